"""Support work on participants: help requests, staff notes, "handled" marks,
satisfaction survey answers and the editable support playbook."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import Index
from sqlmodel import Field, SQLModel

from .results import CheckRun
from .types import UTCDateTime, utcnow

HELP_CHANNELS = ("chat", "email", "phone")
HELP_STATUSES = ("open", "in_progress", "resolved")
HELP_LEVELS = ("L1", "L2", "expert")
NOTE_KINDS = ("note", "reply", "system")
# What an API token may do: read, or read and write ("write" implies "read").
API_SCOPES = ("read", "write")


class HelpRequest(SQLModel, table=True):
    """A participant's "I need help", and the support team's handling of it."""

    __tablename__ = "help_request"
    __table_args__ = (Index("ix_help_request_event_status", "event_id", "status"),)

    id: Optional[int] = Field(default=None, primary_key=True)
    event_id: int = Field(foreign_key="event.id", ondelete="CASCADE")
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    # The participant's latest run when they asked, so staff see what they saw.
    run_id: Optional[int] = Field(default=None, foreign_key="check_run.id", ondelete="SET NULL")
    message: str = Field(max_length=2000)
    channel: str = Field(default="email", max_length=10)
    phone: str = Field(default="", max_length=50)
    language: str = Field(default="en", max_length=10)
    status: str = Field(default="open", max_length=12)
    level: str = Field(default="L1", max_length=10)
    assigned_to_id: Optional[int] = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resolved_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


class StaffNote(SQLModel, table=True):
    """An internal note, a reply sent to the participant, or a logged change (kind)."""

    __tablename__ = "staff_note"

    id: Optional[int] = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    help_request_id: Optional[int] = Field(default=None, foreign_key="help_request.id", index=True, ondelete="CASCADE")
    author_id: Optional[int] = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    kind: str = Field(default="note", max_length=10)
    body: str = Field(max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ParticipantHandled(SQLModel, table=True):
    """Staff marked the participant's problems as handled; a newer run needs attention again."""

    __tablename__ = "participant_handled"

    participant_id: int = Field(foreign_key="participant.id", primary_key=True, ondelete="CASCADE")
    handled_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    handled_by_id: Optional[int] = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")


class SurveyResponse(SQLModel, table=True):
    """A participant's satisfaction answer after the event (one per participant)."""

    __tablename__ = "survey_response"

    id: Optional[int] = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", unique=True, ondelete="CASCADE")
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    rating: int
    comment: str = Field(default="", max_length=2000)
    language: str = Field(default="en", max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class PlaybookRevision(SQLModel, table=True):
    """A staff edit of a playbook page; the newest revision wins over the shipped file."""

    __tablename__ = "playbook_revision"

    id: Optional[int] = Field(default=None, primary_key=True)
    slug: str = Field(max_length=60, index=True)
    body: str = Field(max_length=50000)
    author_id: Optional[int] = Field(default=None, foreign_key="staff_user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A staff member's token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Optional[int] = Field(default=None, primary_key=True)
    staff_user_id: int = Field(foreign_key="staff_user.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    token_hash: str = Field(max_length=64, unique=True)
    # First characters of the token, shown so its owner can tell tokens apart.
    prefix: str = Field(max_length=12)
    # "read" or "write" (API_SCOPES); tokens made before scopes existed became "read" (docs/support.md).
    scope: str = Field(default="read", max_length=10)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_used_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    revoked_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)


# The dashboard asks "latest judged run of each participant" on every poll: serve it from an index.
Index("ix_check_run_participant_overall", CheckRun.participant_id, CheckRun.overall, CheckRun.id)
