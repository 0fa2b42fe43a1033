"""The audit log of staff actions."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlmodel import Field, SQLModel

from .types import UTCDateTime, utcnow


class AuditEntry(SQLModel, table=True):
    """Who did what to which record, and when (exports, event changes, reading a participant...)."""

    __tablename__ = "audit_entry"

    id: Optional[int] = Field(default=None, primary_key=True)
    at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    # No foreign key: the trail must outlive deleted accounts and purged participants.
    staff_id: Optional[int] = Field(default=None, index=True)
    staff_email: str = Field(default="", max_length=254)
    action: str = Field(max_length=60, index=True)
    target_type: str = Field(default="", max_length=40)
    target_id: Optional[int] = Field(default=None)
    detail: str = Field(default="", max_length=500)
