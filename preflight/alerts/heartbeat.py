"""The alert worker's heartbeat: written after every loop, read by /healthz and the dashboard."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from ..db import get_engine
from ..models import WorkerHeartbeat, utcnow

# A worker is silent once this many of its intervals pass without a beat
# (one slow pass, e.g. an SMTP timeout, must not raise the alarm).
STALE_INTERVALS = 3


def worker_id() -> str:
    """host:pid of this process, the heartbeat row's key."""
    return f"{socket.gethostname()}:{os.getpid()}"[:120]


def beat(interval: float, now: datetime | None = None) -> None:
    """Record that this worker just finished a loop (its own short transaction)."""
    with Session(get_engine()) as session:
        row = session.get(WorkerHeartbeat, worker_id()) or WorkerHeartbeat(worker_id=worker_id())
        row.beat_at = now or utcnow()
        row.interval_seconds = interval
        session.add(row)
        session.commit()


@dataclass
class WorkerStatus:
    """The freshest heartbeat of any worker: ``missing``, ``ok`` or ``stale``."""

    status: str
    age_seconds: float | None = None

    @property
    def running(self) -> bool:
        return self.status == "ok"


def worker_status(now: datetime | None = None) -> WorkerStatus:
    """Status from the most recent heartbeat row (any worker counts)."""
    with Session(get_engine()) as session:
        latest = session.execute(
            select(WorkerHeartbeat).order_by(WorkerHeartbeat.beat_at.desc()).limit(1)
        ).scalar_one_or_none()
    if latest is None:
        return WorkerStatus("missing")
    age = max(0.0, ((now or utcnow()) - latest.beat_at).total_seconds())
    limit = max(latest.interval_seconds, 1.0) * STALE_INTERVALS
    return WorkerStatus("ok" if age <= limit else "stale", round(age, 1))


def last_beat_timestamp() -> float | None:
    """Unix time of the latest heartbeat, or None (for /metrics)."""
    with Session(get_engine()) as session:
        latest = session.execute(select(func.max(WorkerHeartbeat.beat_at))).scalar_one_or_none()
    return latest.timestamp() if latest else None
