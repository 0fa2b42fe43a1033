"""Agents see and change only the events they work on, in the HTML views and the API alike.

Attacked as an agent of event A would: every route that names an event, with event B's id (and B's
participant, help request and token ids), in the browser and with an API token; the lists (events,
help queue, API events) must not show B either. Admins see everything and assign agents.
"""

from __future__ import annotations

import re

import pytest
from sqlmodel import select

from preflight.api.tokens import create_token
from preflight.db import session_scope
from preflight.models import AuditEntry, StaffUser
from staff_forms import EVENT_FORM

B_NAME, B_MESSAGE, B_EVENT = "Bertha Zwieback", "B-PRIVATE-HELP", "Event B (other team)"


@pytest.fixture
def scoped(app, make_event, make_participant, make_staff, auth, client, ask_for_help):
    event_a = make_event(name="Event A (ours)", agents=None)
    event_b = make_event(name=B_EVENT, agents=None, webhook_url="")
    agent = make_staff("agent", events=None)
    with app.app_context(), session_scope() as session:
        from preflight.auth.scope import add_member

        add_member(session, event_a.id, agent.id)
    participant_b, token_b = make_participant(event=event_b, name=B_NAME)
    request_id = ask_for_help(participant_b, message=B_MESSAGE).id  # B asks from B's own page
    with app.app_context(), session_scope() as session:
        # A write token: the agent's own events may be changed through the API, the others stay invisible.
        api_token = create_token(session, session.get(StaffUser, agent.id), "agent token", "write")[1]
    auth.login(user=agent)
    return dict(
        a=event_a, b=event_b, agent=agent, participant_b=participant_b, request_b=request_id, api_token=api_token
    )


def _event_routes(app):
    for rule in app.url_map.iter_rules():
        if "<int:event_id>" in rule.rule:
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def _url(rule, scoped) -> str:
    values = {
        "event_id": scoped["b"].id,
        "participant_id": scoped["participant_b"].id,
        "request_id": scoped["request_b"],
        "kind": "invitation",
        "name": "readiness",
    }
    return re.sub(r"<(?:int:)?(\w+)>", lambda m: str(values.get(m.group(1), 1)), rule.rule)


def test_every_event_route_is_404_for_an_agent_of_another_event(app, client, scoped):
    checked = 0
    for rule, method in _event_routes(app):
        if rule.rule.startswith("/api/"):
            continue
        response = client.open(_url(rule, scoped), method=method)
        # 404 as for an event that does not exist; 403 where the route is for admins anyway
        assert response.status_code in (403, 404), (method, rule.rule, response.status_code)
        assert B_NAME not in response.get_data(as_text=True)
        checked += 1
    assert checked >= 15


def test_every_api_event_route_is_404_for_an_agent_token_of_another_event(app, scoped):
    api = app.test_client()
    headers = {"Authorization": f"Bearer {scoped['api_token']}"}
    checked = 0
    for rule, method in _event_routes(app):
        if not rule.rule.startswith("/api/"):
            continue
        response = api.open(_url(rule, scoped), method=method, headers=headers, json={})
        assert response.status_code == 404, (method, rule.rule, response.status_code)
        checked += 1
    assert checked >= 3
    listing = api.get("/api/events", headers=headers).get_json()
    assert [e["name"] for e in listing["items"]] == ["Event A (ours)"]


def test_lists_show_only_the_agents_events(client, scoped):
    assert B_EVENT not in client.get("/staff/").get_data(as_text=True)
    queue = client.get("/staff/help?status=active").get_data(as_text=True)
    assert B_MESSAGE not in queue and B_NAME not in queue and B_EVENT not in queue
    assert client.get(f"/staff/events/{scoped['a'].id}").status_code == 200


def test_an_admin_sees_every_event_and_assigns_agents(app, client, auth, scoped, make_staff):
    auth.logout()
    auth.login("admin")
    page = client.get(f"/staff/events/{scoped['b'].id}").get_data(as_text=True)
    assert B_NAME in page and f'data-agent="{scoped["agent"].email}"' in page
    assert (
        client.post(f"/staff/events/{scoped['b'].id}/members", data={"agent": str(scoped["agent"].id)}).status_code
        == 302
    )
    with app.app_context(), session_scope() as session:
        details = [e.detail for e in session.exec(select(AuditEntry).where(AuditEntry.action == "event.member_add"))]
    assert details == [scoped["agent"].email]
    auth.logout()
    auth.login(user=scoped["agent"])
    assert client.get(f"/staff/events/{scoped['b'].id}").status_code == 200
    # and taken off again
    auth.logout()
    auth.login("admin")
    client.post(f"/staff/events/{scoped['b'].id}/members", data={})
    auth.logout()
    auth.login(user=scoped["agent"])
    assert client.get(f"/staff/events/{scoped['b'].id}").status_code == 404


def test_agents_cannot_assign_agents(client, scoped):
    assert client.post(f"/staff/events/{scoped['a'].id}/members", data={}).status_code == 403


def test_an_agent_creating_an_event_works_on_it(app, client, scoped):
    data = {**EVENT_FORM, "name": "Agent's own"}
    response = client.post("/staff/events/new", data=data)
    assert response.status_code == 302
    assert client.get(response.headers["Location"]).status_code == 200
