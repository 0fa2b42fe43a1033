"""A bounded schemathesis run: generated requests against every documented operation, responses checked
against the OpenAPI document (status codes, content types, schemas) and never a server error.

The operations are driven from inside one test with Hypothesis (``as_strategy``) rather than
schemathesis' pytest plugin, whose fixture loader does not work with this pytest version.
"""

from __future__ import annotations

import schemathesis
from hypothesis import HealthCheck, given, settings

from preflight.api.tokens import create_token
from preflight.db import session_scope
from preflight.models import StaffUser

EXAMPLES = 25  # per operation: keeps the run to a few seconds


def test_api_conforms_to_its_schema(app, make_event, make_participant, run_check, ask_for_help, make_staff):
    event = make_event()
    for n in range(3):
        p, _ = make_participant(event=event)
        run_check(p, ("pass", "warn", "fail")[n])
    ask_for_help(p, message="help")
    with app.app_context(), session_scope() as session:
        token = create_token(session, session.get(StaffUser, make_staff("agent").id), "schemathesis")[1]
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) == 4
    seen = {}
    for operation in operations:
        statuses = seen.setdefault(operation.path, set())

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def run(case):
            response = case.call_and_validate(headers={"Authorization": f"Bearer {token}"})
            statuses.add(response.status_code)

        run()
    assert all(statuses for statuses in seen.values())
    assert 200 in seen["/api/events"]
