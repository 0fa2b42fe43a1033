"""``GET /api/events/<id>/readiness``: the event's readiness summary, the same figures as its dashboard.

Every run is posted through the participant's own link (``post_run``), help requests through the
participant's help page, so the summary is computed from what the real store wrote.
"""

from __future__ import annotations

import re
from datetime import timedelta

import jsonschema
import pytest
from sqlmodel import select

from participant_runs import post_run
from preflight.api.tokens import create_token
from preflight.db import session_scope
from preflight.models import HelpRequest, StaffUser, utcnow

DENIED = {"camera": "denied"}
SLOW = {"network": {"up": 300, "down": 900, "rtt": 650}}


@pytest.fixture
def bearer(app, make_staff):
    """``bearer(user=None, scope="read") -> headers`` with an API token (an agent's by default)."""

    def _make(user=None, scope="read"):
        user = user or make_staff("agent")
        with app.app_context(), session_scope() as session:
            return {"Authorization": f"Bearer {create_token(session, session.get(StaffUser, user.id), 't', scope)[1]}"}

    return _make


def _run(app, participant, token, expected, **kw):
    answer = post_run(app, app.test_client(), participant, token, **kw)
    assert answer["overall"]["verdict"] == expected, answer["overall"]
    return answer


def _ask_help(app, token):
    response = app.test_client().post(f"/c/{token}/help", data={"message": "help me", "channel": "email"})
    assert response.status_code == 302


@pytest.fixture
def busy_event(app, make_event, make_participant, bearer):
    """Seven participants: 2 ready, 1 with warnings, 2 not ready, 2 not started; 3 help requests, one resolved."""
    event = make_event(name="Busy")
    people = {name: make_participant(event=event, name=name) for name in "ABCDEFG"}
    _run(app, *people["A"], "pass")
    # F failed first, then passed: the latest judged run counts
    _run(app, *people["F"], "fail", at=utcnow() - timedelta(minutes=20), **SLOW)
    _run(app, *people["F"], "pass")
    _run(app, *people["B"], "warn", **DENIED)  # an attendee without a camera can still take part
    _run(app, *people["C"], "fail", **SLOW)
    # E passed first, then failed on the network and warned on the camera
    _run(app, *people["E"], "pass", at=utcnow() - timedelta(minutes=20))
    _run(app, *people["E"], "fail", **DENIED, **SLOW)
    # D and G never ran the check
    for name in "BCD":
        _ask_help(app, people[name][1])
    with app.app_context(), session_scope() as session:
        first = session.exec(select(HelpRequest.id).order_by(HelpRequest.id)).first()
    resolved = app.test_client().patch(
        f"/api/events/{event.id}/help-requests/{first}", json={"status": "resolved"}, headers=bearer(scope="write")
    )
    assert resolved.status_code == 200
    return event


def test_readiness_summary(client, busy_event, bearer):
    response = client.get(f"/api/events/{busy_event.id}/readiness", headers=bearer())
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["event_id"] == busy_event.id
    assert body["participants"] == {"ready": 2, "warnings": 1, "not_ready": 2, "not_started": 2, "total": 7}
    assert body["share_ready"] == 29
    assert body["shares"] == {"ready": 29, "warnings": 14, "not_ready": 29, "not_started": 29}  # whole percent
    assert body["checks"]["camera"] == {"fail": 0, "warn": 2}
    assert body["checks"]["network"]["fail"] == 2
    assert body["checks"]["browser"] == {"fail": 0, "warn": 0}
    assert set(body["checks"]) == {"browser", "camera", "microphone", "speakers", "network"}
    assert body["open_help_requests"] == 2
    assert abs((utcnow() - _parse(body["computed_at"])).total_seconds()) < 60
    spec = client.get("/api/openapi.json").get_json()
    schema = {"$ref": "#/components/schemas/Readiness", "components": spec["components"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


def test_the_dashboard_shows_the_same_figures(client, auth, busy_event, bearer):
    agent = auth.login("agent")
    api = client.get(f"/api/events/{busy_event.id}/readiness", headers=bearer(agent)).get_json()
    html = client.get(f"/staff/events/{busy_event.id}/dashboard/summary").get_data(as_text=True)
    counts = {s: int(n) for s, n in re.findall(r'data-status="(\w+)" data-count="(\d+)"', html)}
    assert counts == {k: v for k, v in api["participants"].items() if k != "total"}
    assert f'data-total="{api["participants"]["total"]}"' in html
    assert f'data-open-help="{api["open_help_requests"]}"' in html
    shares = dict(re.findall(r'<li class="readiness-(\w+)".*?<progress max="100" value="(\d+)"', html, re.S))
    assert {s: int(n) for s, n in shares.items()} == api["shares"]


def test_an_event_without_participants(client, make_event, bearer):
    event = make_event(name="Empty")
    body = client.get(f"/api/events/{event.id}/readiness", headers=bearer()).get_json()
    assert body["participants"]["total"] == 0 and body["share_ready"] == 0 and body["open_help_requests"] == 0
    assert all(counts == {"fail": 0, "warn": 0} for counts in body["checks"].values())


def test_readiness_is_scoped_like_every_read(client, make_event, make_staff, busy_event, bearer):
    assert client.get(f"/api/events/{busy_event.id}/readiness").status_code == 401
    outsider = make_staff("agent", events=None)
    assert client.get(f"/api/events/{busy_event.id}/readiness", headers=bearer(outsider)).status_code == 404
    assert client.get("/api/events/999999/readiness", headers=bearer()).status_code == 404
    assert client.get(f"/api/events/{busy_event.id}/readiness", headers=bearer(make_staff("admin"))).status_code == 200
    translator = bearer(make_staff("translator"))
    assert client.get(f"/api/events/{busy_event.id}/readiness", headers=translator).status_code == 403
    # a write token reads too
    assert client.get(f"/api/events/{busy_event.id}/readiness", headers=bearer(scope="write")).status_code == 200


def _parse(text: str):
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))
