"""Worker heartbeats: one row per worker process, visible to every web process."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Field, SQLModel

from .types import UTCDateTime, utcnow


class WorkerHeartbeat(SQLModel, table=True):
    """When a worker (``flask worker``) last finished a loop, and its interval."""

    __tablename__ = "worker_heartbeat"

    # host:pid, so several workers each keep their own row.
    worker_id: str = Field(max_length=120, primary_key=True)
    beat_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    interval_seconds: float = Field(default=5.0)
