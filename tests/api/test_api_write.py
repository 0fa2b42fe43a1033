"""The API's write side: token scopes, adding and changing participants, answering help requests.

Every body is strict JSON: wrong types, unknown fields, bad JSON, other content types and huge bodies get
a JSON error (400, 413, 415, 422), never a 500. Help requests are asked through the participant's own
page, and the reply comes back there, as with the staff pages.
"""

from __future__ import annotations

import json
import os
import re

import pytest
from sqlalchemy import create_engine, text
from sqlmodel import Session, select

from dbutil import temporary_database
from preflight import migrate as migrations
from preflight.api.body import MAX_BODY_BYTES
from preflight.api.tokens import create_token
from preflight.db import session_scope
from preflight.models import ApiToken, AuditEntry, HelpRequest, OutboxMessage, Participant, StaffNote, StaffUser


@pytest.fixture
def token_for(app):
    """``token_for(user, scope="read") -> str``: a fresh API token of that staff member."""

    def _make(user, scope="read"):
        with app.app_context(), session_scope() as session:
            return create_token(session, session.get(StaffUser, user.id), "test", scope)[1]

    return _make


class Api:
    """Requests with a bearer token (the write token unless told otherwise)."""

    def __init__(self, client, token, read_token):
        self.client, self.token, self.read_token = client, token, read_token

    def call(self, method, path, token=None, **kw):
        headers = {"Authorization": f"Bearer {token or self.token}", **kw.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kw)

    def post(self, path, **kw):
        return self.call("POST", path, **kw)

    def patch(self, path, **kw):
        return self.call("PATCH", path, **kw)

    def get(self, path, **kw):
        return self.call("GET", path, **kw)


@pytest.fixture
def event(make_event):
    return make_event(name="Write event", default_language="fr", default_role="attendee")


@pytest.fixture
def agent(make_staff, event):
    return make_staff("agent")


@pytest.fixture
def api(client, agent, token_for):
    return Api(client, token_for(agent, "write"), token_for(agent, "read"))


def _audit(app, action):
    with app.app_context(), session_scope() as session:
        return [(e.detail, e.staff_id) for e in session.exec(select(AuditEntry).where(AuditEntry.action == action))]


def _participant(app, participant_id):
    with app.app_context(), session_scope() as session:
        return session.get(Participant, participant_id)


# --- scopes ------------------------------------------------------------------------------------------


def test_a_read_token_cannot_write(api, app, event, make_participant):
    p, _ = make_participant(event=event, name="Unchanged")
    calls = [
        ("POST", f"/api/events/{event.id}/participants", {"name": "New", "email": "new@example.org"}),
        ("PATCH", f"/api/events/{event.id}/participants/{p.id}", {"name": "Changed"}),
        ("PATCH", f"/api/events/{event.id}/help-requests/1", {"status": "resolved"}),
    ]
    for method, url, body in calls:
        response = api.call(method, url, token=api.read_token, json=body)
        assert response.status_code == 403, (method, url)
        error = response.get_json()
        assert error["error"] == "Forbidden" and "write scope" in error["message"]
    assert _participant(app, p.id).name == "Unchanged"
    assert api.get("/api/events", token=api.read_token).status_code == 200
    assert api.get("/api/events").status_code == 200  # write implies read
    assert _audit(app, "api.write") == []


def test_write_scope_is_checked_before_the_event(api, event):
    # A read token learns nothing about which events exist: the same 403 for a real and a made-up one.
    for event_id in (event.id, 999999):
        response = api.post(f"/api/events/{event_id}/participants", token=api.read_token, json={})
        assert response.status_code == 403


def test_translators_and_strangers_cannot_write(client, make_staff, token_for, event):
    url = f"/api/events/{event.id}/participants"
    body = {"name": "X", "email": "x@example.org"}
    assert client.post(url, json=body).status_code == 401
    assert client.post(url, json=body, headers={"Authorization": "Bearer pf_nope"}).status_code == 401
    translator = token_for(make_staff("translator"), "write")
    assert client.post(url, json=body, headers={"Authorization": f"Bearer {translator}"}).status_code == 403


def test_an_agent_writes_only_to_their_events(client, make_event, make_staff, make_participant, token_for, app):
    theirs = make_event(name="Not ours", agents=None)
    p, token = make_participant(event=theirs)
    participant_client = app.test_client()
    participant_client.post(f"/c/{token}/help", data={"message": "help", "channel": "email"})
    agent = make_staff("agent", events=None)
    headers = {"Authorization": f"Bearer {token_for(agent, 'write')}"}
    with app.app_context(), session_scope() as session:
        request_id = session.exec(select(HelpRequest.id)).one()
    calls = [
        ("POST", f"/api/events/{theirs.id}/participants", {"name": "X", "email": "x@example.org"}),
        ("PATCH", f"/api/events/{theirs.id}/participants/{p.id}", {"name": "X"}),
        ("PATCH", f"/api/events/{theirs.id}/help-requests/{request_id}", {"status": "resolved"}),
    ]
    for method, url, body in calls:
        assert client.open(url, method=method, json=body, headers=headers).status_code == 404, url
    # an admin's write token reaches every event
    admin = {"Authorization": f"Bearer {token_for(make_staff('admin'), 'write')}"}
    for method, url, body in calls:
        assert client.open(url, method=method, json=body, headers=admin).status_code in (200, 201), url


def test_token_page_creates_write_tokens_and_lists_scopes(client, auth):
    auth.login("agent")
    page = client.post("/staff/api-tokens/", data={"name": "ticketing", "scope": "write"})
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-token-scope="write"' in html
    token = html.split('id="new-token"')[1].split('value="')[1].split('"')[0]
    listing = client.get("/staff/api-tokens/").get_data(as_text=True)
    assert 'data-scope="write"' in listing and "Read and write" in listing
    client.post("/staff/api-tokens/", data={"name": "dashboard"})  # no choice: read only
    listing = client.get("/staff/api-tokens/").get_data(as_text=True)
    assert 'data-scope="read"' in listing and "Read only" in listing
    assert client.post("/staff/api-tokens/", data={"name": "x", "scope": "admin"}).status_code == 400
    assert client.get("/api/events", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_cli_creates_scoped_tokens(runner, make_staff, client, app):
    make_staff("agent", email="writer@example.org")
    result = runner.invoke(args=["api-token", "create", "--email", "writer@example.org", "--scope", "write"])
    assert result.exit_code == 0 and result.output.startswith("write token"), result.output
    default = runner.invoke(args=["api-token", "create", "--email", "writer@example.org"])
    assert default.output.startswith("read token")
    assert runner.invoke(args=["api-token", "create", "--email", "writer@example.org", "--scope", "all"]).exit_code
    lines = runner.invoke(args=["api-token", "list"]).output.splitlines()
    assert [line.split("\t")[4] for line in lines] == ["write", "read"]


# --- adding a participant ------------------------------------------------------------------------------


def test_add_a_participant(api, app, client, event, agent):
    response = api.post(
        f"/api/events/{event.id}/participants",
        json={"name": "Zoé Nouvelle", "email": " Zoe@Example.org ", "role": "presenter"},
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["name"] == "Zoé Nouvelle" and body["email"] == "zoe@example.org" and body["role"] == "presenter"
    assert body["language"] == "fr"  # the event's default
    assert body["status"] == "not_started" and body["failing_checks"] == []
    assert response.headers["Location"] == f"/api/events/{event.id}/participants/{body['id']}"
    assert api.get(response.headers["Location"]).get_json()["participant"]["email"] == "zoe@example.org"
    link = body["link"]
    assert link.startswith("http://localhost/c/")
    assert app.test_client().get(link.removeprefix("http://localhost")).status_code == 200  # the link works
    assert _audit(app, "participant.create") == [("", agent.id)]
    assert _audit(app, "api.write") == [(f"POST /api/events/{event.id}/participants", agent.id)]
    # the staff list shows them too
    with app.app_context(), session_scope() as session:
        assert session.exec(select(Participant.name).where(Participant.event_id == event.id)).all() == ["Zoé Nouvelle"]


def test_a_duplicate_email_is_409(api, event, make_participant):
    make_participant(event=event, email="taken@example.org")
    response = api.post(f"/api/events/{event.id}/participants", json={"name": "Again", "email": "TAKEN@example.org"})
    assert response.status_code == 409
    assert response.get_json() == {
        "error": "Conflict",
        "message": "taken@example.org is already a participant of this event.",
    }


def test_a_duplicate_email_racing_the_check_is_409_too(api, app, event, make_participant, monkeypatch):
    # Two requests add the same email at once: both pass the check, the database's unique constraint stops one.
    make_participant(event=event, email="race@example.org")
    other, _ = make_participant(event=event, email="other@example.org")
    monkeypatch.setattr("preflight.api.writes.email_taken", lambda *a, **kw: False)
    created = api.post(f"/api/events/{event.id}/participants", json={"name": "Twin", "email": "race@example.org"})
    changed = api.patch(f"/api/events/{event.id}/participants/{other.id}", json={"email": "race@example.org"})
    for response in (created, changed):
        assert response.status_code == 409 and response.get_json()["error"] == "Conflict"
    assert _participant(app, other.id).email == "other@example.org"
    assert _audit(app, "api.write") == []


@pytest.mark.parametrize(
    "body, field",
    [
        ({"email": "a@example.org"}, "name"),
        ({"name": "A"}, "email"),
        ({"name": "A", "email": "not an email"}, "email"),
        ({"name": "A", "email": "a@example.org", "language": "xx"}, "language"),
        ({"name": "A", "email": "a@example.org", "role": "host"}, "role"),
        ({"name": "A", "email": "a@example.org", "admin": True}, "admin"),
        ({"name": 42, "email": "a@example.org"}, "name"),
        ({"name": ["A"], "email": "a@example.org"}, "name"),
        ({"name": "A\nB", "email": "a@example.org"}, "name"),
        ({"name": "A\u0000", "email": "a@example.org"}, "name"),
        ({"name": "   ", "email": "a@example.org"}, "name"),
        ({"name": "x" * 201, "email": "a@example.org"}, "name"),
        ({"name": "A", "email": "a\r\nBcc: b@example.org"}, "email"),
    ],
)
def test_invalid_participants_are_422_with_field_messages(api, event, body, field):
    response = api.post(f"/api/events/{event.id}/participants", json=body)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()
    assert error["error"] == "Unprocessable Entity" and field in error["fields"]
    assert error["message"].startswith(field + ":")


@pytest.mark.parametrize(
    "data, content_type, status",
    [
        ("{not json", "application/json", 400),
        ('{"name": "A", "email": "a@example.org",}', "application/json", 400),
        (b"\xff\xfe{}", "application/json", 400),
        ("[" * 5000 + "]" * 5000, "application/json", 400),  # nested past the recursion limit
        ("[]", "application/json", 422),
        ('"a string"', "application/json", 422),
        ("null", "application/json", 422),
        ('{"name": "A", "email": "a@example.org"}', "text/plain", 415),
        ("name=A&email=a@example.org", "application/x-www-form-urlencoded", 415),
        ("", None, 415),
        ("", "application/json", 400),
        ('{"name": "' + "x" * MAX_BODY_BYTES + '"}', "application/json", 413),
        ("1e999", "application/json", 422),
        ('{"name": NaN, "email": Infinity}', "application/json", 422),
        ('{"name": "A", "name": {"nested": []}}', "application/json", 422),
    ],
)
@pytest.mark.parametrize("target", ["POST participants", "PATCH participant", "PATCH help request"])
def test_bad_bodies_get_a_json_error(api, app, event, make_participant, data, content_type, status, target):
    p, token = make_participant(event=event)
    assert app.test_client().post(f"/c/{token}/help", data={"message": "help", "channel": "email"}).status_code == 302
    with app.app_context(), session_scope() as session:
        request_id = session.exec(select(HelpRequest.id)).one()
    urls = {
        "POST participants": f"/api/events/{event.id}/participants",
        "PATCH participant": f"/api/events/{event.id}/participants/{p.id}",
        "PATCH help request": f"/api/events/{event.id}/help-requests/{request_id}",
    }
    headers = {"Content-Type": content_type} if content_type else {}
    response = api.call(target.split()[0], urls[target], data=data, headers=headers)
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert set(response.get_json()) >= {"error", "message"}


def test_a_huge_declared_body_is_refused_unread(api, event):
    # A declared length over the limit is refused before anything is read.
    response = api.post(
        f"/api/events/{event.id}/participants",
        data=b"{}",
        content_type="application/json",
        environ_overrides={"CONTENT_LENGTH": str(10 * 1024 * 1024)},
    )
    assert response.status_code == 413 and response.get_json()["error"] == "Request Entity Too Large"


# --- changing a participant ----------------------------------------------------------------------------


def test_change_a_participant(api, app, event, agent, make_participant):
    p, token = make_participant(event=event, name="Old Name", email="old@example.org", language="en")
    url = f"/api/events/{event.id}/participants/{p.id}"
    response = api.patch(url, json={"name": "New Name", "language": "de"})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert (body["name"], body["email"], body["language"], body["role"]) == (
        "New Name",
        "old@example.org",
        "de",
        "attendee",
    )
    assert body["link"].endswith(f"/c/{token}")  # editing keeps the link
    assert api.patch(url, json={"email": "OLD@example.org"}).status_code == 200  # their own address, another case
    assert api.patch(url, json={"role": "presenter"}).get_json()["role"] == "presenter"
    assert _audit(app, "participant.edit") == [
        ("name, language", agent.id),
        ("no change", agent.id),
        ("role", agent.id),
    ]
    stored = _participant(app, p.id)
    assert (stored.name, stored.language, stored.role) == ("New Name", "de", "presenter")


def test_changing_to_another_participants_email_is_409(api, app, event, make_participant):
    p, _ = make_participant(event=event, email="me@example.org")
    make_participant(event=event, email="you@example.org")
    response = api.patch(f"/api/events/{event.id}/participants/{p.id}", json={"email": "You@example.org"})
    assert response.status_code == 409 and "you@example.org" in response.get_json()["message"]
    assert _participant(app, p.id).email == "me@example.org"


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "body"),
        ({"name": None}, "name"),
        ({"email": "nope"}, "email"),
        ({"language": "klingon"}, "language"),
        ({"role": "speaker"}, "role"),
        ({"id": 5}, "id"),
        ({"event_id": 2}, "event_id"),
        ({"name": True}, "name"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_changes_are_422(api, app, event, make_participant, body, field):
    p, _ = make_participant(event=event, name="Kept")
    response = api.patch(f"/api/events/{event.id}/participants/{p.id}", json=body)
    assert response.status_code == 422 and field in response.get_json()["fields"], response.get_json()
    assert _participant(app, p.id).name == "Kept"


def test_changing_a_participant_of_another_event_is_404(api, event, make_event, make_participant):
    other, _ = make_participant(event=make_event(name="Other"))
    assert api.patch(f"/api/events/{event.id}/participants/{other.id}", json={"name": "X"}).status_code == 404
    assert api.patch(f"/api/events/{event.id}/participants/999999", json={"name": "X"}).status_code == 404
    assert api.patch(f"/api/events/999999/participants/{other.id}", json={"name": "X"}).status_code == 404


# --- answering a help request --------------------------------------------------------------------------


@pytest.fixture
def asked(app, event, make_participant):
    """A help request made on the participant's own page: (participant, link token, request id)."""
    p, token = make_participant(event=event, name="Chloé Martin", email="chloe@example.org", language="fr")
    page = app.test_client()
    assert (
        page.post(f"/c/{token}/help", data={"message": "Mon micro ne marche pas", "channel": "email"}).status_code
        == 302
    )
    with app.app_context(), session_scope() as session:
        request_id = session.exec(select(HelpRequest.id).where(HelpRequest.participant_id == p.id)).one()
    return p, token, request_id


def _history(app, request_id):
    with app.app_context(), session_scope() as session:
        notes = session.exec(select(StaffNote).where(StaffNote.help_request_id == request_id).order_by(StaffNote.id))
        return [(n.kind, n.body, n.author_id) for n in notes]


def test_reply_to_a_help_request(api, app, event, agent, asked):
    p, token, request_id = asked
    url = f"/api/events/{event.id}/help-requests/{request_id}"
    response = api.patch(url, json={"reply": "Bonjour, essayez le micro intégré."})
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert body["id"] == request_id and body["status"] == "in_progress"  # a reply puts an open request in progress
    assert body["participant_name"] == "Chloé Martin"
    # the participant sees the reply on their page
    status = app.test_client().get(f"/c/{token}/help/status").get_data(as_text=True)
    assert 'data-help-request-status="in_progress"' in status and "essayez le micro intégré" in status
    # it is queued by email, in the language they asked in
    with app.app_context(), session_scope() as session:
        [mail] = session.exec(select(OutboxMessage).where(OutboxMessage.kind == "help_reply")).all()
        assert mail.target == "chloe@example.org" and "essayez le micro intégré" in mail.payload["text"]
    # and the request's history names the token's owner, as when the reply is typed in the staff page
    assert _history(app, request_id) == [
        ("reply", "Bonjour, essayez le micro intégré.", agent.id),
        ("system", "status: in_progress", agent.id),
    ]
    assert _audit(app, "help.update") == [("reply", agent.id)]


def test_resolve_with_a_last_reply(api, app, event, agent, asked):
    _p, token, request_id = asked
    url = f"/api/events/{event.id}/help-requests/{request_id}"
    body = api.patch(url, json={"status": "resolved", "reply": "  Réglé : bon événement !  "}).get_json()
    assert body["status"] == "resolved" and body["resolved_at"] is not None
    status = app.test_client().get(f"/c/{token}/help/status").get_data(as_text=True)
    assert 'data-help-request-status="resolved"' in status and "Réglé : bon événement !" in status
    assert [kind for kind, *_ in _history(app, request_id)] == ["reply", "system", "system"]
    # reopened: the same transitions as the staff page allows
    assert api.patch(url, json={"status": "open"}).get_json()["resolved_at"] is None
    assert api.patch(url, json={"status": "open"}).status_code == 200  # unchanged: no new history line
    assert _history(app, request_id)[-1][1] == "status: open" and len(_history(app, request_id)) == 4


@pytest.mark.parametrize(
    "body, field",
    [
        ({}, "body"),
        ({"status": "closed"}, "status"),
        ({"status": None}, "status"),
        ({"reply": ""}, "reply"),
        ({"reply": "   "}, "reply"),
        ({"reply": "x" * 4001}, "reply"),
        ({"reply": "bell\u0007"}, "reply"),
        ({"reply": 12}, "reply"),
        ({"level": "L2"}, "level"),
        ({"note": "internal"}, "note"),
    ],
)
def test_invalid_help_updates_are_422(api, app, event, asked, body, field):
    _p, _token, request_id = asked
    response = api.patch(f"/api/events/{event.id}/help-requests/{request_id}", json=body)
    assert response.status_code == 422 and field in response.get_json()["fields"], response.get_json()
    assert _history(app, request_id) == []


def test_a_reply_keeps_line_breaks(api, app, event, asked):
    _p, _token, request_id = asked
    response = api.patch(f"/api/events/{event.id}/help-requests/{request_id}", json={"reply": "Bonjour,\n\nEssayez."})
    assert response.status_code == 200
    assert _history(app, request_id)[0][1] == "Bonjour,\n\nEssayez."


def test_help_request_of_another_event_is_404(api, event, make_event, asked):
    _p, _token, request_id = asked
    other = make_event(name="Other")
    assert (
        api.patch(f"/api/events/{other.id}/help-requests/{request_id}", json={"status": "resolved"}).status_code == 404
    )
    assert api.patch(f"/api/events/{event.id}/help-requests/999999", json={"status": "resolved"}).status_code == 404


# --- CSRF: exempt for bearer tokens only ---------------------------------------------------------------


@pytest.mark.csrf
def test_bearer_writes_need_no_csrf_token_but_cookies_write_nothing(client, event, token_for, agent, staff_password):
    url = f"/api/events/{event.id}/participants"
    body = {"name": "Via API", "email": "api@example.org"}
    headers = {"Authorization": f"Bearer {token_for(agent, 'write')}"}
    assert client.post(url, json=body, headers=headers).status_code == 201
    # A signed-in browser (what a cross-site request would ride on) gets nothing from the API...
    page = client.get("/staff/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    signed_in = client.post("/staff/login", data={"email": agent.email, "password": staff_password, "csrf_token": csrf})
    assert signed_in.status_code == 302
    assert client.post(url, json={**body, "email": "cookie@example.org"}).status_code == 401
    # ...and the staff pages still want their CSRF token.
    assert client.post("/staff/api-tokens/", data={"name": "x", "scope": "write"}).status_code == 400


def test_write_tokens_are_stored_with_their_scope(app, agent, token_for):
    token_for(agent, "write")
    with app.app_context(), session_scope() as session:
        assert [t.scope for t in session.exec(select(ApiToken))] == ["write"]
    with pytest.raises(ValueError), app.app_context(), session_scope() as session:
        create_token(session, session.get(StaffUser, agent.id), "bad", "admin")


def test_error_bodies_are_json(api, event):
    response = api.post(
        f"/api/events/{event.id}/participants", data=json.dumps({"name": "A"}), content_type="application/json"
    )
    assert response.is_json and response.get_json()["fields"] == {"email": "Field required"}


def test_tokens_made_before_scopes_become_read_only(tmp_path):
    """The migration gives existing tokens the read scope: they were made when the API could only read."""
    with temporary_database(os.environ.get("PREFLIGHT_TEST_DATABASE_URL"), tmp_path, "preflight_scope") as url:
        engine = create_engine(url)
        try:
            migrations.upgrade(engine, "a7f3c9e21d54")
            with Session(engine) as session:
                user = StaffUser(email="old@example.org", name="Old", role="agent", password_hash="!")
                session.add(user)
                session.commit()
                session.execute(
                    text(
                        "INSERT INTO api_token (staff_user_id, name, token_hash, prefix, created_at) "
                        "VALUES (:user, 'old', :hash, 'pf_old', CURRENT_TIMESTAMP)"
                    ),
                    {"user": user.id, "hash": "0" * 64},
                )
                session.commit()
            migrations.upgrade(engine)
            with engine.connect() as conn:
                assert conn.execute(text("SELECT scope FROM api_token")).scalars().all() == ["read"]
            migrations.downgrade(engine, "a7f3c9e21d54")
            with engine.connect() as conn:
                assert conn.execute(text("SELECT name FROM api_token")).scalars().all() == ["old"]
        finally:
            engine.dispose()
