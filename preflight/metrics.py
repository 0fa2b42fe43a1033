"""``GET /metrics`` in the Prometheus text format (issue 17).

Counters and histograms live in this process (or, under gunicorn with
``PROMETHEUS_MULTIPROC_DIR`` set, in files every worker writes and the scrape
sums); the outbox and the worker heartbeat are read from the database at scrape
time, so every process answers the same. The endpoint is off (404) unless
``METRICS_TOKEN`` or ``METRICS_ALLOW`` is set; tokens in participant links never
become label values: requests are labelled by endpoint name.
"""

from __future__ import annotations

import hmac
import os
import time

from flask import Blueprint, Flask, Response, abort, current_app, g, request
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client import generate_latest
from prometheus_client.core import GaugeMetricFamily
from sqlalchemy import func, select

from .extensions import limiter

bp = Blueprint("metrics", __name__)

NETWORK_CHECKS_LIVE = Gauge("preflight_network_checks_live", "Network checks running now.", multiprocess_mode="livesum")
NETWORK_CHECKS_FINISHED = Counter(
    "preflight_network_checks_finished", "Network checks ended, by how they ended.", ["result"]
)
NETWORK_CHECK_DURATION = Histogram(
    "preflight_network_check_duration_seconds",
    "Time from a network check's admission to its end.",
    buckets=(1, 2, 5, 10, 15, 20, 30, 40, 60, 90),
)
NETWORK_CHECKS_REJECTED = Counter(
    "preflight_network_checks_rejected", "Offers answered 503 (every slot busy or no answer in time).", ["reason"]
)
NETWORK_PHASES_STRAINED = Counter(
    "preflight_network_phases_strained",
    "Phases of judged network checks in which the server's WebRTC loop could not keep up (their line failures "
    "were set aside as 'test server busy').",
    ["phase"],
)
RESULTS_STORED = Counter(
    "preflight_results_stored",
    "Check results posted by participants, by check and storage outcome.",
    ["check", "stored"],
)
REQUEST_LATENCY = Histogram(
    "preflight_request_duration_seconds",
    "HTTP request latency by Flask endpoint (never the raw path, which may hold a link token).",
    ["endpoint", "method", "status"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10),
)


def check_started() -> None:
    """A network check was admitted."""
    NETWORK_CHECKS_LIVE.inc()


def network_judged(strained_phases: list[str]) -> None:
    """A network result was judged; ``strained_phases`` are the phases its server could not keep up in."""
    for phase in strained_phases:
        NETWORK_PHASES_STRAINED.labels(phase=phase).inc()


def check_finished(reason: str | None, seconds: float) -> None:
    """A network check ended (``reason`` is its close reason)."""
    NETWORK_CHECKS_LIVE.dec()
    NETWORK_CHECKS_FINISHED.labels(result=reason or "closed").inc()
    NETWORK_CHECK_DURATION.observe(max(0.0, seconds))


class DatabaseCollector:
    """Outbox depth, oldest pending message and the worker heartbeat, read at scrape time."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def collect(self):
        from .alerts.heartbeat import last_beat_timestamp
        from .db import session_scope
        from .models import OutboxMessage, utcnow

        with self.app.app_context(), session_scope() as session:
            rows = session.execute(
                select(OutboxMessage.status, func.count(), func.min(OutboxMessage.created_at)).group_by(
                    OutboxMessage.status
                )
            ).all()
            beat = last_beat_timestamp()
        depth = GaugeMetricFamily("preflight_outbox_messages", "Outbox messages by status.", labels=["status"])
        oldest_pending = None
        for status in ("pending", "sending", "dead"):
            found = [row for row in rows if row[0] == status]
            depth.add_metric([status], found[0][1] if found else 0)
            if status == "pending" and found and found[0][2] is not None:
                oldest_pending = found[0][2]
        yield depth
        age = (utcnow() - oldest_pending).total_seconds() if oldest_pending else 0.0
        yield GaugeMetricFamily(
            "preflight_outbox_oldest_pending_age_seconds", "Age of the oldest undelivered message (0: none).", value=age
        )
        heartbeat = GaugeMetricFamily(
            "preflight_worker_heartbeat_timestamp_seconds", "Unix time of the alert worker's last loop (absent: never)."
        )
        if beat is not None:
            heartbeat.add_metric([], beat)
        yield heartbeat


class _ThisProcess:
    """The metrics of this process, when gunicorn runs without a multiprocess directory."""

    def collect(self):
        return REGISTRY.collect()


def _allowed() -> bool:
    token = current_app.config.get("METRICS_TOKEN") or ""
    allow = current_app.config.get("METRICS_ALLOW") or []
    if not token and not allow:
        abort(404)
    if allow and request.remote_addr in allow:
        return True
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    if token:
        abort(401)
    abort(404)


@bp.get("/metrics")
@limiter.exempt
def metrics():
    """Every metric in the Prometheus text format (bearer token or allowed address)."""
    _allowed()
    registry = CollectorRegistry(auto_describe=False)
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.MultiProcessCollector(registry)
    else:
        registry.register(_ThisProcess())
    registry.register(DatabaseCollector(current_app._get_current_object()))
    return Response(generate_latest(registry), content_type=CONTENT_TYPE_LATEST, headers={"Cache-Control": "no-store"})


def _start_timer() -> None:
    g.metrics_started = time.perf_counter()


def _observe(response):
    started = g.pop("metrics_started", None)
    if started is not None:
        endpoint = request.url_rule.endpoint if request.url_rule else "unmatched"
        REQUEST_LATENCY.labels(endpoint=endpoint, method=request.method, status=str(response.status_code)).observe(
            time.perf_counter() - started
        )
    return response


def init_app(app: Flask) -> None:
    """Time every request and serve /metrics."""
    app.before_request(_start_timer)
    app.after_request(_observe)
    app.register_blueprint(bp)
