"""Issue 17: the worker's heartbeat (healthz, dashboard) and the base URL of its links."""

from datetime import timedelta

from flask import request, url_for

from preflight.alerts import worker as worker_module
from preflight.alerts.heartbeat import STALE_INTERVALS, beat, worker_status
from preflight.models import utcnow


def test_healthz_reports_missing_then_ok_worker(runner, client):
    assert client.get("/healthz").get_json()["worker"] == "missing"
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    health = client.get("/healthz").get_json()
    assert health["status"] == "ok" and health["worker"] == "ok"
    assert 0 <= health["worker_age_seconds"] < 60


def test_heartbeat_goes_stale_after_missed_intervals(app):
    with app.app_context():
        beat(10.0, now=utcnow() - timedelta(seconds=10 * STALE_INTERVALS + 5))
        stale = worker_status()
        assert stale.status == "stale" and stale.age_seconds >= 35
        beat(10.0)
        assert worker_status().status == "ok"


def test_worker_links_use_base_url_in_request_context(app, monkeypatch):
    """url_for(_external=True) and request.host_url inside the worker's pass give BASE_URL, not localhost."""
    app.config["BASE_URL"] = "https://preflight.example.org:8443"
    seen = {}

    def fake_tick():
        seen["host"] = request.host_url
        seen["external"] = url_for("health.healthz", _external=True)

    monkeypatch.setattr(worker_module, "tick", fake_tick)
    with app.app_context():
        worker_module.run_tick()
    assert seen == {
        "host": "https://preflight.example.org:8443/",
        "external": "https://preflight.example.org:8443/healthz",
    }


def test_worker_refuses_default_base_url_in_production(runner, app, monkeypatch):
    monkeypatch.delenv("PREFLIGHT_BASE_URL", raising=False)
    app.config.update(BASE_URL="http://127.0.0.1:5000", ENV="production")
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code != 0
    assert "PREFLIGHT_BASE_URL is not set" in result.output


def test_worker_warns_on_default_base_url_in_development(runner, app, monkeypatch, caplog):
    monkeypatch.delenv("PREFLIGHT_BASE_URL", raising=False)
    app.config.update(BASE_URL="http://127.0.0.1:5000", ENV="development")
    result = runner.invoke(args=["worker", "--once"])
    assert result.exit_code == 0, result.output
    assert "PREFLIGHT_BASE_URL is not set" in caplog.text
