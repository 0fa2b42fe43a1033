"""/healthz both ways, the demo command, error pages."""

from sqlmodel import select

from preflight import create_app
from preflight.db import session_scope
from preflight.models import Event, Participant, StaffUser


def test_healthz_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "worker": "missing", "worker_age_seconds": None}


def test_healthz_503_when_database_unreachable(app_config):
    app_config["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app(app_config)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unreachable"


def test_participant_page_friendly_503_when_database_down(app_config):
    app_config["DATABASE_URL"] = "postgresql+psycopg://nobody@127.0.0.1:1/none?connect_timeout=1"
    app = create_app(app_config)
    response = app.test_client().get("/c/" + "a" * 43)
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    assert b"Traceback" not in response.data


def test_demo_is_idempotent_and_prints_link_and_sign_in(runner, app):
    first = runner.invoke(args=["demo"])
    assert first.exit_code == 0, first.output
    assert "Participant link: http://localhost/c/" in first.output
    assert "admin@example.com" in first.output
    second = runner.invoke(args=["demo"])
    assert second.exit_code == 0
    with app.app_context(), session_scope() as session:
        assert len(session.exec(select(Event)).all()) == 1
        assert len(session.exec(select(Participant)).all()) == 4
        assert len(session.exec(select(StaffUser)).all()) == 1
    password = first.output.split("password ")[1].split()[0]
    link = first.output.split("Participant link: ")[1].split()[0]
    client = app.test_client()
    assert client.get(link.replace("http://localhost", "")).status_code == 200
    login = client.post("/staff/login", data={"email": "admin@example.com", "password": password})
    assert login.status_code == 302


def test_unknown_page_is_friendly_404(client):
    response = client.get("/nowhere")
    assert response.status_code == 404
    assert b"does not exist" in response.data


def test_api_style_errors_are_json(client):
    response = client.get("/api/nothing-here")
    assert response.status_code == 404
    assert response.is_json


def test_crash_gives_a_friendly_500(app):
    @app.get("/boom")
    def boom():
        raise RuntimeError("secret internals")

    response = app.test_client().get("/boom")
    assert response.status_code == 500
    assert b"secret internals" not in response.data and b"Traceback" not in response.data


def test_security_headers(client):
    response = client.get("/staff/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_favicon(client):
    with client.get("/favicon.ico") as response:
        assert response.status_code == 200


def test_nul_bytes_in_forms_are_a_clear_400(client, auth):
    auth.login("agent")
    response = client.post("/staff/events/new", data={"name": "bad\x00name"})
    assert response.status_code == 400
    assert client.get("/staff/?q=a\x00b").status_code == 400
