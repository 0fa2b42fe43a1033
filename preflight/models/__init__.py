"""All tables. Import from here so Alembic and the app see the same metadata."""

from sqlmodel import SQLModel

from .events import PARTICIPANT_ROLES, PLATFORMS, Event, Participant
from .results import CHECKS, VERDICTS, CheckResult, CheckRun
from .messages import MESSAGE_KINDS, ParticipantMessage
from .staff import Role, StaffUser
from .types import UTCDateTime, utcnow

metadata = SQLModel.metadata

__all__ = [
    "CHECKS",
    "CheckResult",
    "CheckRun",
    "VERDICTS",
    "Event",
    "MESSAGE_KINDS",
    "PARTICIPANT_ROLES",
    "PLATFORMS",
    "Participant",
    "ParticipantMessage",
    "Role",
    "StaffUser",
    "UTCDateTime",
    "metadata",
    "utcnow",
]
