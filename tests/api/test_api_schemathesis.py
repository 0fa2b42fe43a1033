"""A bounded schemathesis run: generated requests against every documented operation, responses checked
against the OpenAPI document (status codes, content types, schemas) and never a server error.

The operations are driven from inside one test with Hypothesis (``as_strategy``) rather than
schemathesis' pytest plugin, whose fixture loader does not work with this pytest version.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from preflight.api.tokens import create_token
from preflight.db import session_scope
from preflight.models import StaffUser

EXAMPLES = 25  # per operation: keeps the run to a few seconds


def test_api_conforms_to_its_schema(app, make_event, make_participant, run_check, ask_for_help, make_staff):
    event = make_event()
    for n in range(3):
        p, _ = make_participant(event=event)
        run_check(p, ("pass", "warn", "fail")[n])
    agent = make_staff("agent")
    help_request = ask_for_help(p, message="help")
    with app.app_context(), session_scope() as session:
        ids = {"event_id": event.id, "participant_id": p.id, "request_id": help_request.id}
        # A write token, so the POST and PATCH operations get past the scope check to their bodies.
        token = create_token(session, session.get(StaffUser, agent.id), "schemathesis", "write")[1]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 8
    seen = {}
    for operation in operations:
        statuses = seen.setdefault(f"{operation.method.upper()} {operation.path}", set())

        # A body the schema allows can still be refused (422): an email address's full syntax and the
        # uniqueness of emails are beyond JSON Schema. Every other check applies to those operations too.
        excluded = [positive_data_acceptance] if operation.body else []
        strategy = operation.as_strategy()
        if operation.body:
            # Random ids only ever reach the 404 (the reads cover it): aim the bodies at real objects.
            strategy = strategy.map(lambda case: _aim(case, ids))

        @given(case=strategy)
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, excluded_checks=excluded)
            statuses.add(response.status_code)

        run()
    assert all(statuses for statuses in seen.values())
    assert 200 in seen["GET /api/events"]
    # The bodies were read (not stopped at the token or the ids): some were taken or refused on their merits.
    for write in [key for key in seen if key.startswith(("POST", "PATCH"))]:
        assert seen[write] & {200, 201, 409, 422}, (write, seen[write])


def _aim(case, ids: dict):
    case.path_parameters = {name: ids[name] for name in case.path_parameters}
    return case
