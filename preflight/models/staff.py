"""Staff accounts: admins, support agents and translators."""

from __future__ import annotations

from datetime import datetime
from enum import Enum
from typing import Optional

from flask_login import UserMixin
from sqlmodel import Field, SQLModel

from .types import UTCDateTime, utcnow


class Role(str, Enum):
    """What a staff member may do."""

    admin = "admin"
    agent = "agent"
    translator = "translator"


class StaffUser(UserMixin, SQLModel, table=True):
    """A signed-in member of the support team."""

    __tablename__ = "staff_user"

    id: Optional[int] = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, unique=True, index=True)
    name: str = Field(max_length=200)
    password_hash: str = Field(max_length=255)
    role: str = Field(default=Role.agent.value, max_length=20)
    active: bool = Field(default=True)
    timezone: str = Field(default="UTC", max_length=64)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_login_at: Optional[datetime] = Field(default=None, sa_type=UTCDateTime)
    # Part of the session's user id: raising it signs the account out everywhere (password change,
    # reset, deactivation); see preflight/auth/access.py.
    session_version: int = Field(default=0, sa_column_kwargs={"server_default": "0"})

    def get_id(self) -> str:  # flask-login: what the session cookie carries
        return f"{self.id}:{self.session_version}"

    @property
    def is_active(self) -> bool:  # flask-login
        return self.active

    def has_role(self, *roles: str) -> bool:
        """True when the user holds one of ``roles``."""
        return self.role in roles
