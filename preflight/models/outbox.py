"""The delivery outbox and the alert records that feed it.

Everything the support side sends (alert emails and webhooks, replies to help
requests, survey invitations) is first written here in the same transaction as
the change that caused it, then delivered by the worker (``flask worker``) with
retries. ``idempotency_key`` is unique, so the same logical message can never
be queued twice; ``claim`` + ``lease_until`` keep two workers off the same row.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Optional

from sqlalchemy import JSON, Index, UniqueConstraint
from sqlmodel import Column, Field, SQLModel

from .types import UTCDateTime, utcnow

OUTBOX_CHANNELS = ("email", "webhook")
OUTBOX_STATUSES = ("pending", "sending", "sent", "dead")
OUTBOX_KINDS = (
    "alert_digest",
    "mass_alert",
    "help_reply",
    "survey",
    "help_request",
    "invitation",
    "reminder",
    "latency_alert",
)


class OutboxMessage(SQLModel, table=True):
    """One message to deliver (an email or a webhook post) and how delivery went."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_due", "status", "next_attempt_at"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    idempotency_key: str = Field(max_length=120, unique=True)
    kind: str = Field(max_length=20, index=True)
    channel: str = Field(max_length=10)
    # An email address or a webhook URL.
    target: str = Field(max_length=500)
    # email: {to_name, subject, text, html, reply_to}; webhook: {"json": body}
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    event_id: Optional[int] = Field(default=None, foreign_key="event.id", index=True, ondelete="CASCADE")
    participant_id: Optional[int] = Field(default=None, foreign_key="participant.id", index=True, ondelete="CASCADE")
    # The staff action that queued it (one click on "Send invitations"), for its progress.
    batch: Optional[str] = Field(default=None, max_length=40, index=True)
    status: str = Field(default="pending", max_length=10)
    attempts: int = Field(default=0)
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Set while a worker holds the row; an expired lease lets another worker take over.
    claim: Optional[str] = Field(default=None, max_length=40)
    lease_until: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class Alert(SQLModel, table=True):
    """One alert sent to the support team: a digest of failures or a mass alert."""

    __tablename__ = "alert"
    __table_args__ = (UniqueConstraint("event_id", "kind", "dedupe_key", name="uq_alert_event_kind_key"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=10)  # digest, mass, latency
    # digest: id of its first failure; mass: "<check>:<window number>" (one mass alert per check and
    # window); latency: "rtt:<window number>"
    dedupe_key: str = Field(max_length=60)
    check: str = Field(default="", max_length=20)
    item_count: int = Field(default=0)
    summary: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)


class AlertItem(SQLModel, table=True):
    """A failing run waiting to be reported in its event's next digest."""

    __tablename__ = "alert_item"

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE")
    run_id: int = Field(foreign_key="check_run.id", unique=True, ondelete="CASCADE")
    alert_id: Optional[int] = Field(default=None, foreign_key="alert.id", index=True, ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
