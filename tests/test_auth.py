"""Staff sign-in, roles and CSRF."""

import pytest

PASSWORD = "correct-horse-42-battery"  # as in conftest.PASSWORD


def test_login_page_renders(client):
    assert client.get("/staff/login").status_code == 200


def test_wrong_password_is_refused(client, make_staff):
    user = make_staff("agent")
    response = client.post("/staff/login", data={"email": user.email, "password": "wrong-password-123"})
    assert response.status_code == 401
    assert b"Wrong email or password" in response.data


def test_unknown_email_looks_the_same(client):
    response = client.post("/staff/login", data={"email": "nobody@example.org", "password": PASSWORD})
    assert response.status_code == 401


def test_inactive_user_cannot_sign_in(client, make_staff):
    user = make_staff("agent", active=False)
    assert client.post("/staff/login", data={"email": user.email, "password": PASSWORD}).status_code == 401


def test_agent_signs_in_and_out(client, auth):
    auth.login("agent")
    assert client.get("/staff/").status_code == 200
    auth.logout()
    response = client.get("/staff/")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_next_parameter_cannot_redirect_elsewhere(client, make_staff):
    user = make_staff("agent")
    response = client.post("/staff/login?next=https://evil.example/x", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/staff/"
    client.post("/staff/logout")
    response = client.post("/staff/login?next=/staff/events/new", data={"email": user.email, "password": PASSWORD})
    assert response.headers["Location"] == "/staff/events/new"


def test_anonymous_is_sent_to_login(client):
    response = client.get("/staff/events/new")
    assert response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_translator_sees_no_participant_data(client, auth, make_participant):
    participant, _ = make_participant()
    auth.login("translator")
    assert client.get("/staff/").status_code == 403
    assert client.get(f"/staff/events/{participant.event_id}").status_code == 403
    assert client.get(f"/staff/events/{participant.event_id}/links.csv").status_code == 403
    assert client.get("/staff/translator").status_code == 200


def test_password_hash_is_argon2(make_staff, app):
    from preflight.db import session_scope
    from preflight.models import StaffUser

    user = make_staff("admin")
    with app.app_context(), session_scope() as session:
        assert session.get(StaffUser, user.id).password_hash.startswith("$argon2id$")


@pytest.mark.csrf
def test_post_without_csrf_token_is_refused(client, make_staff):
    user = make_staff("agent")
    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert b"Form expired" in response.data


@pytest.mark.csrf
def test_post_with_csrf_token_works(client, make_staff):
    import re

    user = make_staff("agent")
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post("/staff/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


@pytest.mark.csrf
def test_sign_in_over_https_needs_the_token_not_a_referer(client, make_staff):
    """Behind TLS the browser sends no Referer (Referrer-Policy: no-referrer): the token alone decides."""
    import re

    user = make_staff("agent")
    https = {"base_url": "https://localhost"}
    page = client.get("/staff/login", **https).get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    form = {"email": user.email, "password": PASSWORD}
    assert client.post("/staff/login", data=form, **https).status_code == 400
    assert client.post("/staff/login", data={**form, "csrf_token": "forged"}, **https).status_code == 400
    assert client.post("/staff/login", data={**form, "csrf_token": token}, **https).status_code == 302


@pytest.mark.csrf
def test_staff_action_without_csrf_is_refused(client, make_participant, make_staff):
    import re

    participant, _ = make_participant()
    user = make_staff("agent")
    page = client.get("/staff/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/staff/login", data={"email": user.email, "password": PASSWORD, "csrf_token": token})
    response = client.post(f"/staff/events/{participant.event_id}/participants/{participant.id}/revoke")
    assert response.status_code == 400


def test_create_user_command(runner, app):
    result = runner.invoke(
        args=["create-user", "--email", "Boss@Example.org", "--role", "admin", "--password", "Longenough-password-1"]
    )
    assert result.exit_code == 0, result.output
    assert "created admin boss@example.org" in result.output
    again = runner.invoke(args=["create-user", "--email", "boss@example.org", "--password", "Longenough-password-1"])
    assert again.exit_code != 0 and "already exists" in again.output


def test_create_user_refuses_a_weak_password(runner):
    result = runner.invoke(args=["create-user", "--email", "a@example.org", "--password", "short"])
    assert result.exit_code != 0 and "too_short" in result.output
