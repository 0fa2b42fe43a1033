"""Events and their participants."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from .types import UTCDateTime, utcnow

PLATFORMS = ("zoom", "teams", "meet", "webex", "goto", "jitsi", "generic")
PARTICIPANT_ROLES = ("attendee", "presenter")


class Event(SQLModel, table=True):
    """An online event whose participants run the pre-flight check."""

    id: Optional[int] = Field(default=None, primary_key=True)
    name: str = Field(max_length=200)
    starts_at: datetime = Field(sa_type=UTCDateTime)
    ends_at: datetime = Field(sa_type=UTCDateTime)
    timezone: str = Field(default="UTC", max_length=64)
    platform: str = Field(default="generic", max_length=20)
    default_role: str = Field(default="attendee", max_length=20)
    default_language: str = Field(default="en", max_length=10)
    support_email: str = Field(default="", max_length=254)
    support_phone: str = Field(default="", max_length=50)
    support_chat_url: str = Field(default="", max_length=500)
    webhook_url: str = Field(default="", max_length=500)
    # Key of the HMAC signature on this event's webhook posts (receivers verify it); made with the URL.
    webhook_secret: str = Field(default="", max_length=64)
    # When the satisfaction survey is emailed; None: not sent. Staff set it on the survey page
    # (never derived from ends_at, so editing the end date cannot trigger a mass send).
    survey_send_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    # Latency alert: at least ``latency_alert_participants`` distinct participants whose latest
    # network result within ``latency_alert_minutes`` has a round trip above ``latency_alert_ms``
    # (0 participants: off). See preflight/alerts/latency.py.
    latency_alert_ms: int = Field(default=200)
    latency_alert_participants: int = Field(default=5)
    latency_alert_minutes: int = Field(default=30)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Participant(SQLModel, table=True):
    """Someone invited to an event, reached through a personal link."""

    __table_args__ = (UniqueConstraint("event_id", "email", name="uq_participant_event_email"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=200)
    email: str = Field(max_length=254)
    language: str = Field(default="en", max_length=10)
    role: str = Field(default="attendee", max_length=20)
    # Random per-link secret; the link token is an HMAC of it (see links.py).
    link_nonce: Optional[str] = Field(default=None, max_length=64)
    # SHA-256 of the token: the only form in which a link can be looked up.
    token_hash: Optional[str] = Field(default=None, max_length=64, unique=True, index=True)
    link_created_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    link_revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    first_opened_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    last_checked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class EventMember(SQLModel, table=True):
    """An agent assigned to an event: agents see and change only their events (admins see all)."""

    __tablename__ = "event_member"
    __table_args__ = (UniqueConstraint("event_id", "staff_user_id"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
