"""Issue 17: ``/metrics`` (Prometheus text), its protection, and what a real participant run adds."""

from __future__ import annotations

import os
import subprocess
import sys

from prometheus_client.parser import text_string_to_metric_families

from participant_runs import post_run
from preflight.alerts.outbox import enqueue
from preflight.db import session_scope

TOKEN = "metrics-token-for-tests-0123456789"


def _families(text: str) -> dict:
    return {family.name: family for family in text_string_to_metric_families(text)}


def _value(families: dict, name: str, sample: str | None = None, **labels) -> float | None:
    for s in families[name].samples:
        if (sample is None or s.name == sample) and all(s.labels.get(k) == v for k, v in labels.items()):
            return s.value
    return None


def _scrape(client) -> str:
    response = client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.status_code
    assert response.headers["Content-Type"].startswith("text/plain")
    return response.get_data(as_text=True)


def test_metrics_are_off_without_a_token_or_an_allowed_address(client):
    assert client.get("/metrics").status_code == 404


def test_metrics_need_the_bearer_token(app, client):
    app.config["METRICS_TOKEN"] = TOKEN
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    assert client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"}).status_code == 200


def test_metrics_from_an_allowed_address_only(app, client):
    app.config["METRICS_ALLOW"] = ["10.0.0.9"]
    assert client.get("/metrics").status_code == 404
    app.config["METRICS_ALLOW"] = ["127.0.0.1"]
    assert client.get("/metrics").status_code == 200


def test_scrape_after_a_real_participant_run(app, client, runner, make_event, make_participant):
    app.config["METRICS_TOKEN"] = TOKEN
    before = _families(_scrape(client))
    stored_before = _value(before, "preflight_results_stored", check="camera", stored="created") or 0
    participant, token = make_participant(event=make_event())
    post_run(app, client, participant, token)
    with app.app_context(), session_scope() as session:
        enqueue(session, "metrics:1", "mass_alert", "webhook", "http://127.0.0.1:9/none", {"json": {}})
    assert runner.invoke(args=["worker", "--once", "--interval", "5"]).exit_code == 0

    text = _scrape(client)
    families = _families(text)
    assert token not in text
    assert _value(families, "preflight_results_stored", check="camera", stored="created") == stored_before + 1
    count = _value(
        families,
        "preflight_request_duration_seconds",
        "preflight_request_duration_seconds_count",
        endpoint="participant.post_results",
        method="POST",
        status="200",
    )
    assert count and count >= 1
    # The webhook to port 9 fails: the message is pending again, retried later.
    assert _value(families, "preflight_outbox_messages", status="pending") == 1
    assert _value(families, "preflight_outbox_oldest_pending_age_seconds") >= 0
    assert _value(families, "preflight_worker_heartbeat_timestamp_seconds") > 1.7e9
    assert families["preflight_network_checks_live"].type == "gauge"
    assert families["preflight_network_check_duration_seconds"].type == "histogram"


def test_multiprocess_scrape_sums_every_process(app_config, tmp_path):
    """Under gunicorn each worker writes its own file; the scrape (any worker) sums them, dead ones included."""
    directory = tmp_path / "prom"
    directory.mkdir()
    env = {
        **os.environ,
        "PROMETHEUS_MULTIPROC_DIR": str(directory),
        "PREFLIGHT_DATABASE_URL": app_config["DATABASE_URL"],
        "PREFLIGHT_SECRET_KEY": app_config["SECRET_KEY"],
        "PREFLIGHT_METRICS_TOKEN": TOKEN,
    }
    bump = "from preflight import metrics; metrics.RESULTS_STORED.labels(check='camera', stored='created').inc()"
    for _ in range(2):
        subprocess.run([sys.executable, "-c", bump], env=env, check=True, timeout=30)
    scrape = (
        "from preflight import create_app\n"
        f"r = create_app().test_client().get('/metrics', headers={{'Authorization': 'Bearer {TOKEN}'}})\n"
        "print(r.get_data(as_text=True))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", scrape], env=env, check=True, timeout=60, capture_output=True, text=True
    )
    families = _families(out.stdout)
    assert _value(families, "preflight_results_stored", check="camera", stored="created") == 2
