"""Emails sent to participants (invitations and reminders)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from .types import UTCDateTime, utcnow

MESSAGE_KINDS = ("invitation", "reminder")


class ParticipantMessage(SQLModel, table=True):
    """One invitation or reminder to one participant, and how its sending went."""

    __tablename__ = "participant_message"

    id: Optional[int] = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=20)
    status: str = Field(default="pending", max_length=20)  # pending, sent, failed
    attempts: int = Field(default=0)
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
