"""The participant's latest re-probe: a short network check compared with their last complete one."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON
from sqlmodel import Column, Field, SQLModel

from .types import UTCDateTime, utcnow


class NetworkProbe(SQLModel, table=True):
    """One row per participant (the latest re-probe replaces the previous one).

    ``fingerprint`` is built by the server (address prefixes, path type, round trip), never full
    addresses; ``changed``/``worse`` are the server's comparison with ``compared_run_id``.
    Erased with the participant (cascade), so retention and erasure cover it."""

    __tablename__ = "network_probe"

    id: Optional[int] = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", unique=True, index=True, ondelete="CASCADE")
    compared_run_id: Optional[int] = Field(default=None, foreign_key="check_run.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    fingerprint: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    # Different network than at the compared check: True, False, or None (could not tell).
    changed: Optional[bool] = Field(default=None)
    # Reason codes: relay_now, rtt_higher, rate_lower (preflight/netrules/fingerprint.py).
    worse: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    regressed: bool = Field(default=False, index=True)
