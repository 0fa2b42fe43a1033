"""The JSON API: token auth, filters, results, help requests, and conformance to its own OpenAPI document."""

from __future__ import annotations

import jsonschema
import pytest
from openapi_spec_validator import validate
from sqlmodel import select

from preflight.api.tokens import create_token
from preflight.db import session_scope
from preflight.models import ApiToken, StaffUser


@pytest.fixture
def token_for(app):
    """``token_for(user) -> str``: a fresh API token of that staff member."""

    def _make(user, name="test"):
        with app.app_context(), session_scope() as session:
            return create_token(session, session.get(StaffUser, user.id), name)[1]

    return _make


@pytest.fixture
def api(client, make_staff, token_for):
    """``api.get(path, **kw)`` with an agent's bearer token."""

    class Api:
        token = token_for(make_staff("agent"))

        def get(self, path, token=None, **kw):
            return client.get(path, headers={"Authorization": f"Bearer {token or self.token}"}, **kw)

    return Api()


@pytest.fixture
def data(make_event, make_participant, run_check, ask_for_help):
    event = make_event(name="API event")
    fail, _ = make_participant(event=event, name="Failing Fred", email="fred@example.org", role="presenter")
    ok, _ = make_participant(event=event, name="Okay Olga", email="olga@example.org")
    make_participant(event=event, name="Idle Ivan", email="ivan@example.org")
    run_check(fail, "pass")
    run_check(fail, "fail", checks={"network": "fail", "camera": "pass"})
    run_check(ok, "pass")
    ask_for_help(fail, message="UDP?", channel="phone", phone="+44 20 7946 0000")
    return {"event": event, "fail": fail, "ok": ok}


def _spec(client):
    return client.get("/api/openapi.json").get_json()


def _validate(spec, name, body):
    """Validate ``body`` against a component schema of the document (JSON Schema 2020-12 in OpenAPI 3.1)."""
    schema = {"$ref": f"#/components/schemas/{name}", "components": spec["components"]}
    jsonschema.validate(body, schema, cls=jsonschema.Draft202012Validator)


def test_openapi_document_is_valid_and_complete(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    spec = response.get_json()
    validate(spec)
    assert spec["openapi"].startswith("3.1")
    assert set(spec["paths"]) == {
        "/api/events",
        "/api/events/{event_id}/participants",
        "/api/events/{event_id}/participants/{participant_id}",
        "/api/events/{event_id}/help-requests",
        "/api/events/{event_id}/help-requests/{request_id}",
        "/api/events/{event_id}/readiness",
    }
    params = {p["name"] for p in spec["paths"]["/api/events/{event_id}/participants"]["get"]["parameters"]}
    assert {"event_id", "status", "check", "role", "q", "sort", "page", "per_page"} <= params
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"


def test_participants_with_status_and_filters(api, client, data):
    event = data["event"]
    body = api.get(f"/api/events/{event.id}/participants").get_json()
    _validate(_spec(client), "ParticipantPage", body)
    assert body["total"] == 3 and [p["name"] for p in body["items"]][0] == "Failing Fred"
    fred = body["items"][0]
    assert fred["status"] == "not_ready" and fred["failing_checks"] == ["network"] and fred["browser"] == "Chrome 120.0"
    only = api.get(f"/api/events/{event.id}/participants?status=ready").get_json()
    assert [p["name"] for p in only["items"]] == ["Okay Olga"]
    assert api.get(f"/api/events/{event.id}/participants?check=network&role=presenter").get_json()["total"] == 1
    assert api.get(f"/api/events/{event.id}/participants?q=IVAN").get_json()["items"][0]["status"] == "not_started"
    paged = api.get(f"/api/events/{event.id}/participants?per_page=1&page=2&sort=name").get_json()
    assert (paged["pages"], paged["page"], [p["name"] for p in paged["items"]]) == (3, 2, ["Idle Ivan"])


@pytest.mark.parametrize(
    "query", ["status=gone", "check=teleport", "page=0", "per_page=1000", "sort=random", "page=abc", "q=" + "x" * 101]
)
def test_bad_filters_are_400_with_a_message(api, data, query):
    response = api.get(f"/api/events/{data['event'].id}/participants?{query}")
    assert response.status_code == 400
    assert set(response.get_json()) == {"error", "message"}


def test_one_participants_results(api, client, data):
    event, fred = data["event"], data["fail"]
    body = api.get(f"/api/events/{event.id}/participants/{fred.id}").get_json()
    _validate(_spec(client), "ParticipantDetail", body)
    assert body["participant"]["status"] == "not_ready" and len(body["runs"]) == 2
    latest = {r["check"]: r for r in body["runs"][0]["results"]}
    assert latest["network"]["verdict"] == "fail" and latest["network"]["values"]["metrics"]["upload_kbps"] == 40
    assert latest["network"]["guide"] == "low-bandwidth#upload"
    assert api.get(f"/api/events/{event.id}/participants/999999").status_code == 404
    assert api.get(f"/api/events/999999/participants/{fred.id}").status_code == 404


def test_help_requests(api, client, data):
    body = api.get(f"/api/events/{data['event'].id}/help-requests").get_json()
    _validate(_spec(client), "HelpRequestList", body)
    [item] = body["items"]
    assert (
        item["participant_name"] == "Failing Fred"
        and item["channel"] == "phone"
        and item["priority"] in ("normal", "high")
    )
    assert api.get(f"/api/events/{data['event'].id}/help-requests?status=resolved").get_json()["items"] == []
    assert api.get(f"/api/events/{data['event'].id}/help-requests?status=closed").status_code == 400


def test_events(api, client, data):
    body = api.get("/api/events").get_json()
    _validate(_spec(client), "EventList", body)
    assert [e["name"] for e in body["items"]] == ["API event"]


def test_authentication(client, auth, make_staff, token_for, data, app):
    url = f"/api/events/{data['event'].id}/participants"
    assert client.get(url).status_code == 401
    assert client.get(url, headers={"Authorization": "Bearer pf_nope"}).status_code == 401
    assert client.get(url, headers={"Authorization": "Basic abc"}).status_code == 401
    assert client.get(url).get_json()["error"] == "Unauthorized"
    # a staff session cookie is not an API credential
    auth.login("admin")
    assert client.get(url).status_code == 401
    translator = make_staff("translator")
    assert client.get(url, headers={"Authorization": f"Bearer {token_for(translator)}"}).status_code == 403
    agent = make_staff("agent")
    token = token_for(agent)
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 200
    with app.app_context(), session_scope() as session:
        row = session.exec(select(ApiToken).where(ApiToken.staff_user_id == agent.id)).one()
        assert row.last_used_at is not None and row.token_hash != token and token.startswith(row.prefix)
        row.revoked_at = row.last_used_at
        session.add(row)
    assert client.get(url, headers={"Authorization": f"Bearer {token}"}).status_code == 401
    other = make_staff("agent", active=False)
    assert client.get(url, headers={"Authorization": f"Bearer {token_for(other)}"}).status_code == 401


def test_participant_link_is_no_api_credential(client, data, make_participant):
    _, token = make_participant(event=data["event"])
    assert (
        client.get(
            f"/api/events/{data['event'].id}/participants", headers={"Authorization": f"Bearer {token}"}
        ).status_code
        == 401
    )


def test_api_token_cli(runner, make_staff, client):
    agent = make_staff("agent", email="cli-agent@example.org")
    make_staff("translator", email="cli-translator@example.org")
    result = runner.invoke(args=["api-token", "create", "--email", "cli-agent@example.org", "--name", "ticketing"])
    assert result.exit_code == 0, result.output
    token = result.output.strip().split()[-1]
    assert client.get("/api/events", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert runner.invoke(args=["api-token", "create", "--email", "cli-translator@example.org"]).exit_code != 0
    assert runner.invoke(args=["api-token", "create", "--email", "nobody@example.org"]).exit_code != 0
    listing = runner.invoke(args=["api-token", "list"]).output
    assert "cli-agent@example.org" in listing and "ticketing" in listing and token not in listing
    token_id = listing.split()[0]
    assert runner.invoke(args=["api-token", "revoke", "--id", token_id]).exit_code == 0
    assert client.get("/api/events", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    assert runner.invoke(args=["api-token", "revoke", "--id", "99999"]).exit_code != 0
    assert agent.id


def test_api_token_staff_page(client, auth, make_staff):
    auth.login("agent")
    page = client.post("/staff/api-tokens/", data={"name": "chat bot"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "data-new-token" in html
    token = html.split('id="new-token"')[1].split('value="')[1].split('"')[0]
    assert client.get("/api/events", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    assert token not in client.get("/staff/api-tokens/").get_data(as_text=True)  # shown once
    assert client.post("/staff/api-tokens/", data={"name": ""}).status_code == 400
    token_id = html.split('data-token="')[1].split('"')[0]
    assert client.post(f"/staff/api-tokens/{token_id}/revoke").status_code == 302
    assert client.get("/api/events", headers={"Authorization": f"Bearer {token}"}).status_code == 401
    auth.logout()
    auth.login("agent")  # someone else
    assert client.post(f"/staff/api-tokens/{token_id}/revoke").status_code == 404
    auth.logout()
    auth.login("translator")
    assert client.get("/staff/api-tokens/").status_code == 403
