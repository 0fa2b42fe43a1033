"""``GET /healthz`` for load balancers and monitoring."""

from flask import Blueprint, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from .db import get_engine
from .extensions import limiter

bp = Blueprint("health", __name__)


@bp.get("/healthz")
@limiter.exempt
def healthz():
    """200 with the database reachable, 503 without; the alert worker's heartbeat is reported, not judged.

    A silent worker does not fail the check: the web side still serves participants,
    and a load balancer must not take it out of rotation for that.
    """
    from .alerts.heartbeat import worker_status

    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        worker = worker_status()
    except SQLAlchemyError:
        return jsonify(status="degraded", database="unreachable"), 503
    return jsonify(status="ok", database="ok", worker=worker.status, worker_age_seconds=worker.age_seconds)
