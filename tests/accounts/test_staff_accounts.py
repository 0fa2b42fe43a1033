"""Staff accounts through the real pages and real SMTP: invitation, roles, reset links (expiring,
single use), deactivation ending sessions, changing one's own password."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous.timed import TimestampSigner
from sqlmodel import select

from preflight.api.tokens import create_token
from preflight.db import session_scope
from preflight.models import AuditEntry, StaffUser

NEW_PASSWORD = "Tangerine-Otter-2931"
LINK = re.compile(r"http://localhost(/staff/password/set/[A-Za-z0-9_.\-]+)")


def _link(message) -> str:
    """The password link's path from an email (plain and HTML parts carry the same link)."""
    [path] = set(LINK.findall(message.get_body(("plain",)).get_content()))
    assert path in message.get_body(("html",)).get_content()
    return path


def _user(app, email) -> StaffUser:
    with app.app_context(), session_scope() as session:
        return session.exec(select(StaffUser).where(StaffUser.email == email)).one()


def _signed_in(client) -> bool:
    response = client.get("/staff/account/password")
    return response.status_code == 200


def _login(app, email, password) -> int:
    return app.test_client().post("/staff/login", data={"email": email, "password": password}).status_code


def test_admin_invites_a_colleague_who_sets_a_password_once(smtp_server, app, client, auth):
    admin = auth.login("admin")
    response = client.post("/staff/users", data={"name": "Noor Haddad", "email": "Noor@Example.org", "role": "agent"})
    assert response.status_code == 302
    [mail] = smtp_server.messages
    assert mail["To"].addresses[0].addr_spec == "noor@example.org" and "Preflight" in mail["Subject"]
    assert admin.name in mail.get_body(("plain",)).get_content()
    path = _link(mail)
    page = client.get("/staff/users").get_data(as_text=True)
    noor = _user(app, "noor@example.org")
    assert f'data-staff="{noor.id}" data-staff-state="invited" data-staff-role="agent"' in page
    assert _login(app, "noor@example.org", "") != 302  # no password yet: cannot sign in

    newcomer = app.test_client()
    assert newcomer.get(path).status_code == 200
    assert newcomer.post(path, data={"password": "short", "confirm": "short"}).status_code == 400
    assert newcomer.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD + "x"}).status_code == 400
    done = newcomer.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"].endswith("/staff/login")
    assert _login(app, "noor@example.org", NEW_PASSWORD) == 302
    # single use
    again = newcomer.get(path)
    assert again.status_code == 410 and 'data-link="invalid"' in again.get_data(as_text=True)
    assert (
        newcomer.post(path, data={"password": "Other-Password-1234", "confirm": "Other-Password-1234"}).status_code
        == 410
    )
    assert f'data-staff="{noor.id}" data-staff-state="active"' in client.get("/staff/users").get_data(as_text=True)
    # the same email cannot be invited twice
    assert (
        client.post("/staff/users", data={"name": "Noor", "email": "noor@example.org", "role": "agent"}).status_code
        == 400
    )
    with app.app_context(), session_scope() as session:
        actions = [e.action for e in session.exec(select(AuditEntry).order_by(AuditEntry.id))]
    assert "staff.invite" in actions and "staff.password_set" in actions


def test_reset_link_ends_sessions_works_once_and_expires(
    smtp_server, app, client, auth, make_staff, staff_password, monkeypatch
):
    agent = make_staff("agent", email="agent.reset@example.org")
    agent_browser = app.test_client()
    assert (
        agent_browser.post("/staff/login", data={"email": agent.email, "password": staff_password}).status_code == 302
    )
    auth.login("admin")
    assert client.post(f"/staff/users/{agent.id}/link").status_code == 302
    assert (
        client.post(f"/staff/users/{agent.id}/link").status_code == 302
    )  # a second link: both valid until one is used
    first, second = (_link(m) for m in smtp_server.messages)
    assert "hour" in smtp_server.messages[0].get_body(("plain",)).get_content()

    # expired after an hour
    now = int(time.time())
    monkeypatch.setattr(TimestampSigner, "get_timestamp", lambda self: now + 3601)
    assert app.test_client().get(first).status_code == 410
    monkeypatch.undo()

    assert _signed_in(agent_browser)
    assert app.test_client().post(first, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert not _signed_in(agent_browser)  # the old session ended
    assert _login(app, agent.email, staff_password) != 302 and _login(app, agent.email, NEW_PASSWORD) == 302
    assert app.test_client().get(first).status_code == 410
    assert app.test_client().get(second).status_code == 410  # using one link kills the other


def test_forgot_password_answers_the_same_for_unknown_addresses(smtp_server, app, client, make_staff):
    make_staff("translator", email="tr@example.org")
    unknown = client.post("/staff/password/forgot", data={"email": "nobody@example.org"})
    known = client.post("/staff/password/forgot", data={"email": "TR@example.org"})
    assert unknown.status_code == known.status_code == 302
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["tr@example.org"]
    path = _link(smtp_server.messages[0])
    assert client.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 302
    assert _login(app, "tr@example.org", NEW_PASSWORD) == 302
    assert client.post("/staff/password/forgot", data={"email": "not an email"}).status_code == 400
    assert 'href="/staff/password/forgot"' in client.get("/staff/login").get_data(as_text=True)


def test_deactivating_ends_sessions_and_links_and_roles_apply_at_once(
    smtp_server, app, client, auth, make_staff, staff_password
):
    agent = make_staff("agent")
    agent_browser = app.test_client()
    assert (
        agent_browser.post("/staff/login", data={"email": agent.email, "password": staff_password}).status_code == 302
    )
    assert agent_browser.get("/staff/help").status_code == 200
    with app.app_context(), session_scope() as session:
        _row, api_token = create_token(session, session.get(StaffUser, agent.id), "agent's script")
    bearer = {"Authorization": f"Bearer {api_token}"}
    assert app.test_client().get("/api/events", headers=bearer).status_code == 200
    auth.login("admin")
    assert client.post(f"/staff/users/{agent.id}/link").status_code == 302
    link = _link(smtp_server.messages[0])

    # role: agent -> translator, effective on the next request
    assert client.post(f"/staff/users/{agent.id}", data={"role": "translator", "active": "y"}).status_code == 302
    assert agent_browser.get("/staff/help").status_code == 403

    # deactivate: the session ends, sign-in and the pending link are refused
    assert client.post(f"/staff/users/{agent.id}", data={"role": "translator"}).status_code == 302
    assert not _signed_in(agent_browser)
    assert _login(app, agent.email, staff_password) != 302
    assert app.test_client().get(link).status_code == 410
    assert app.test_client().get("/api/events", headers=bearer).status_code == 401  # API tokens stop too
    assert (
        client.post(f"/staff/users/{agent.id}/link").status_code == 302 and len(smtp_server.messages) == 1
    )  # no link for inactive
    page = client.get("/staff/users").get_data(as_text=True)
    assert f'data-staff="{agent.id}" data-staff-state="deactivated" data-staff-role="translator"' in page

    assert client.post(f"/staff/users/{agent.id}", data={"role": "agent", "active": "y"}).status_code == 302
    assert _login(app, agent.email, staff_password) == 302


def test_the_last_admin_stays_and_nobody_deactivates_themselves(app, client, auth, make_staff):
    admin = auth.login("admin")
    assert client.post(f"/staff/users/{admin.id}", data={"role": "agent", "active": "y"}).status_code == 409
    assert client.post(f"/staff/users/{admin.id}", data={"role": "admin"}).status_code == 409
    other = make_staff("admin")
    assert client.post(f"/staff/users/{admin.id}", data={"role": "admin"}).status_code == 409  # not yourself
    assert client.post(f"/staff/users/{other.id}", data={"role": "agent", "active": "y"}).status_code == 302
    assert client.post(f"/staff/users/{other.id}", data={"role": "boss", "active": "y"}).status_code == 400
    assert client.post("/staff/users/99999", data={"role": "agent"}).status_code == 404
    assert _user(app, admin.email).role == "admin" and _user(app, other.email).role == "agent"


def test_everyone_changes_their_own_password_and_other_sessions_end(app, make_staff, staff_password):
    translator = make_staff("translator")
    laptop, phone = app.test_client(), app.test_client()
    for browser in (laptop, phone):
        assert (
            browser.post("/staff/login", data={"email": translator.email, "password": staff_password}).status_code
            == 302
        )
    url = "/staff/account/password"
    assert 'href="/staff/account/password"' in laptop.get("/staff/login", follow_redirects=True).get_data(as_text=True)
    wrong = laptop.post(url, data={"current": "not-it", "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert wrong.status_code == 400 and "not your current password" in wrong.get_data(as_text=True)
    assert (
        laptop.post(
            url, data={"current": staff_password, "password": "weakpassword", "confirm": "weakpassword"}
        ).status_code
        == 400
    )
    assert (
        laptop.post(
            url, data={"current": staff_password, "password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
        ).status_code
        == 302
    )
    assert _signed_in(laptop) and not _signed_in(phone)
    assert _login(app, translator.email, staff_password) != 302 and _login(app, translator.email, NEW_PASSWORD) == 302
    assert app.test_client().get(url).status_code == 302  # anonymous: to the sign-in page


@pytest.mark.ratelimit
def test_forgot_and_set_password_are_throttled_like_sign_in(client, app):
    app.config["RATELIMIT_LOGIN"] = "3 per minute"
    statuses = [
        client.post("/staff/password/forgot", data={"email": f"x{i}@example.org"}).status_code for i in range(4)
    ]
    assert statuses == [302, 302, 302, 429]
    guesses = [client.post(f"/staff/password/set/guess{i}", data={}).status_code for i in range(4)]
    assert guesses == [410, 410, 410, 429]
