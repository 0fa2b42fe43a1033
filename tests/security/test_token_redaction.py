"""A participant's link token never reaches a log: gunicorn's access and error logs, the app's logger."""

from __future__ import annotations

import logging
import socket
import urllib.error
import urllib.request

import pytest
from gunicorn_server import GunicornServer

from preflight.gunicorn_logging import RedactingFilter, redact

SECRET = "test-secret-key-that-is-long-enough-for-production-0123456789"


def test_redact_replaces_every_token_form():
    token = "AbC-dEf_123"
    for text in (
        f"GET /c/{token} HTTP/1.1",
        f"/c/{token}/results",
        f"/c/{token}?lang=fr",
        f"https://x.example/c/{token}/network/offer",
        f'"GET /c/{token}" 200',
    ):
        assert token not in redact(text), text


def test_filter_rewrites_records():
    record = logging.LogRecord(
        "gunicorn.error", logging.DEBUG, __file__, 1, "%s %s", ("GET", "/c/secret-token-1"), None
    )
    RedactingFilter().filter(record)
    assert "secret-token-1" not in record.getMessage()


def _raw(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as conn:
        conn.sendall(data)
        try:
            conn.recv(4096)
        except OSError:
            pass


def test_gunicorn_logs_never_contain_the_token(app_config, make_participant, tmp_path):
    """Real gunicorn at debug level: page, language switch, results, bad requests, referers."""
    _participant, token = make_participant()
    server = GunicornServer(
        app_config["DATABASE_URL"], SECRET, tmp_path / "gunicorn.log", extra_args=("--log-level", "debug")
    ).start()
    try:
        with urllib.request.urlopen(f"{server.url}/c/{token}?lang=fr", timeout=10) as page:
            assert page.status == 200
        request = urllib.request.Request(
            f"{server.url}/c/{token}/results",
            data=b"{}",
            method="POST",
            headers={"Content-Type": "application/json", "Referer": f"{server.url}/c/{token}"},
        )
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(request, timeout=10)  # no CSRF token: refused, and logged
        with pytest.raises(urllib.error.HTTPError):
            urllib.request.urlopen(f"{server.url}/c/{token}/no-such-thing", timeout=10)
        _raw(server.port, f"GET /c/{token} HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n".encode())
        _raw(server.port, f"GET http://x/c/{token} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    finally:
        server.stop()
    log = server.log()
    assert "/c/[token]" in log  # the requests were logged...
    assert token not in log  # ...without the token


def test_app_logger_never_gets_the_token(app, client, make_participant, caplog, monkeypatch):
    """A crash and a database outage while serving a participant: logged, without the link."""
    from sqlalchemy.exc import OperationalError

    from preflight.participant import views

    _participant, token = make_participant()
    caplog.set_level(logging.DEBUG)

    def crash(*args, **kwargs):
        raise RuntimeError("boom while rendering")

    monkeypatch.setattr(views, "render_template", crash)
    assert client.get(f"/c/{token}").status_code == 500

    def down(*args, **kwargs):
        raise OperationalError("SELECT", {}, Exception("connection refused"))

    monkeypatch.setattr(views, "render_template", down)
    assert client.get(f"/c/{token}").status_code == 503
    assert caplog.records, "the crash was logged"
    for record in caplog.records:
        text = record.getMessage() + (logging.Formatter().formatException(record.exc_info) if record.exc_info else "")
        assert token not in text


def test_a_forced_500_under_gunicorn_never_logs_the_token(app_config, make_participant, tmp_path):
    """Crashes in a view and in an error handler (Flask's own 'Exception on <path>'), with tracebacks."""
    _participant, token = make_participant()
    server = GunicornServer(
        app_config["DATABASE_URL"], SECRET, tmp_path / "gunicorn.log", app_module="crashing_wsgi:app"
    ).start()
    try:
        for path in ("crash", "crash-twice"):
            with pytest.raises(urllib.error.HTTPError) as failed:
                urllib.request.urlopen(f"{server.url}/c/{token}/{path}", timeout=10)
            assert failed.value.code == 500
            assert token not in failed.value.read().decode()
    finally:
        server.stop()
    log = server.log()
    assert "Exception on /c/[token]/crash-twice" in log  # Flask's log_exception ran...
    assert "boom while serving" in log and "Traceback" in log  # ...and the app's crash handler, with traces
    assert token not in log


def test_every_logger_in_the_process_is_redacted(app, caplog):
    """Flask's log_exception, a worker's module logger, the root logger and a traceback's text."""
    import sys

    token = "secret-link-token-42"
    caplog.set_level(logging.DEBUG)
    with app.test_request_context(f"/c/{token}/results", method="POST"):
        try:
            raise ValueError(f"bad payload from http://localhost/c/{token}/results")
        except ValueError:
            app.log_exception(sys.exc_info())
    logging.getLogger("preflight.alerts.worker").warning("delivering %s", f"https://x.example/c/{token}")
    logging.getLogger().error("root: /c/%s?lang=fr", token)
    assert len(caplog.records) == 3
    text = caplog.text + "".join(record.exc_text or "" for record in caplog.records)
    assert "/c/[token]" in text
    assert token not in text
