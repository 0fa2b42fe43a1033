"""Issue 17: a request id on every request, and JSON log lines that never hold a link token."""

from __future__ import annotations

import io
import json
import logging

import pytest
from flask import request

from preflight import create_app
from preflight.structured_logs import _assign_request_id


def test_incoming_request_id_is_kept_and_returned(client):
    response = client.get("/healthz", headers={"X-Request-ID": "proxy-5f3a9c1e"})
    assert response.headers["X-Request-ID"] == "proxy-5f3a9c1e"


@pytest.mark.parametrize("incoming", ["", "short", "x" * 200, "bad id with spaces", "evil\\nline"])
def test_insane_request_id_is_replaced_by_a_new_one(client, incoming):
    returned = client.get("/healthz", headers={"X-Request-ID": incoming}).headers["X-Request-ID"]
    assert returned != incoming and len(returned) == 32 and int(returned, 16) >= 0


@pytest.fixture
def json_lines(app_config):
    """An app with LOG_FORMAT=json, and the lines its JSON handler writes."""
    app = create_app({**app_config, "LOG_FORMAT": "json"})
    root = logging.getLogger()
    handler = next(h for h in root.handlers if getattr(h, "preflight_json", False))
    stream = io.StringIO()
    handler.setStream(stream)
    try:
        yield app, lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    finally:
        root.removeHandler(handler)
        app.extensions["preflight_engine"].dispose()


def test_json_log_line_has_request_id_and_no_token(json_lines, make_participant):
    app, lines = json_lines
    _participant, token = make_participant()
    with app.test_request_context(f"/c/{token}/results", headers={"X-Request-ID": "req-0123456789"}):
        _assign_request_id()
        app.logger.warning("could not store %s", request.url, extra={"url": request.url, "path": request.path})
        try:
            raise ValueError(f"bad post on /c/{token}/results")
        except ValueError:
            app.logger.exception("failed")
    written = lines()
    assert [line["message"] for line in written][:1] == ["could not store http://localhost/c/[token]/results"]
    first = written[0]
    assert first["level"] == "WARNING" and first["request_id"] == "req-0123456789"
    assert first["url"] == "http://localhost/c/[token]/results" and first["path"] == "/c/[token]/results"
    assert "ValueError" in written[1]["exception"]
    everything = json.dumps(written)
    assert token not in everything and "/c/[token]" in everything
