"""Import previews waiting for confirmation (parsed rows only, never the uploaded file)."""

from __future__ import annotations

from datetime import datetime
from typing import Optional

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel

from .types import UTCDateTime, utcnow


class PendingImport(SQLModel, table=True):
    """What one staff member previewed for one event; expires after two hours.

    It holds names and addresses, so retention purges it and erasure deletes
    any that lists the erased participant (``preflight/privacy/pending.py``).
    """

    __tablename__ = "pending_import"

    id: Optional[int] = Field(default=None, primary_key=True)
    key: str = Field(max_length=64, unique=True)
    event_id: int = Field(foreign_key="event.id", index=True, ondelete="CASCADE")
    staff_id: Optional[int] = Field(default=None, foreign_key="staff_user.id", ondelete="CASCADE")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, index=True)
    filename: str = Field(default="", max_length=200)
    # {"rows": [ImportRow fields...], "errors": number of rejected rows}
    payload: dict = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
