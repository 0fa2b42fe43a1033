"""Staff sessions end when they should: sign-out revokes copied cookies, sessions expire absolutely,
and sensitive actions ask for the password again."""

from __future__ import annotations

import time

from flask.testing import FlaskClient
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import ApiToken, Participant

PASSWORD = "correct-horse-42-battery"


def _copy_cookie(app, client) -> FlaskClient:
    """A second client holding the same session cookie (a cookie captured off the wire or a shared machine)."""
    thief = app.test_client()
    cookie = client.get_cookie("session")
    thief.set_cookie(cookie.key, cookie.value)
    return thief


def test_a_cookie_captured_before_sign_out_stops_working(app, client, auth):
    auth.login("agent")
    thief = _copy_cookie(app, client)
    assert thief.get("/staff/").status_code == 200
    auth.logout()
    assert thief.get("/staff/").status_code == 302  # to the sign-in page
    assert "/staff/login" in thief.get("/staff/").headers["Location"]


def test_sessions_end_after_session_hours_however_active(app, client, auth):
    auth.login("agent")
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        session["signed_in_at"] = int(time.time()) - app.config["SESSION_HOURS"] * 3600 - 5
    assert client.get("/staff/").status_code == 302
    assert client.get("/staff/").status_code == 302  # and stays signed out


def test_creating_an_api_token_needs_a_recent_password(app, client, auth):
    user = auth.login("agent")
    with client.session_transaction() as session:
        session["confirmed_at"] = int(time.time()) - app.config["REAUTH_MINUTES"] * 60 - 5
    response = client.post(
        "/staff/api-tokens/", data={"name": "stolen"}, headers={"Referer": "http://localhost/staff/api-tokens/"}
    )
    assert response.status_code == 302 and "/staff/login/confirm" in response.headers["Location"]
    with app.app_context(), session_scope() as db:
        assert db.exec(select(ApiToken)).first() is None
    assert (
        client.post("/staff/login/confirm?next=/staff/api-tokens/", data={"password": "wrong-one"}).status_code == 401
    )
    confirmed = client.post("/staff/login/confirm?next=/staff/api-tokens/", data={"password": PASSWORD})
    assert confirmed.status_code == 302 and confirmed.headers["Location"].endswith("/staff/api-tokens/")
    assert client.post("/staff/api-tokens/", data={"name": "mine"}).status_code == 200
    with app.app_context(), session_scope() as db:
        assert [t.staff_user_id for t in db.exec(select(ApiToken))] == [user.id]


def test_deleting_a_participant_needs_a_recent_password(app, client, auth, make_participant):
    auth.login("admin")
    participant, _token = make_participant()
    with client.session_transaction() as session:
        session.pop("confirmed_at")
    response = client.post(f"/staff/events/{participant.event_id}/participants/{participant.id}/delete")
    assert response.status_code == 302 and "/staff/login/confirm" in response.headers["Location"]
    with app.app_context(), session_scope() as db:
        assert db.get(Participant, participant.id) is not None
