"""All tables. Import from here so Alembic and the app see the same metadata."""

from sqlmodel import SQLModel

from .audit import AuditEntry
from .events import PARTICIPANT_ROLES, PLATFORMS, Event, EventMember, Participant
from .imports import PendingImport
from .results import CHECKS, VERDICTS, CheckResult, CheckRun
from .probes import NetworkProbe
from .messages import MESSAGE_KINDS, ParticipantMessage
from .outbox import OUTBOX_KINDS, Alert, AlertItem, OutboxMessage
from .support import (
    API_SCOPES,
    HELP_CHANNELS,
    HELP_LEVELS,
    HELP_STATUSES,
    ApiToken,
    HelpRequest,
    ParticipantHandled,
    PlaybookRevision,
    StaffNote,
    SurveyResponse,
)
from .staff import Role, StaffUser
from .heartbeat import WorkerHeartbeat
from .types import UTCDateTime, utcnow

metadata = SQLModel.metadata

__all__ = [
    "API_SCOPES",
    "AuditEntry",
    "PendingImport",
    "NetworkProbe",
    "EventMember",
    "Alert",
    "AlertItem",
    "ApiToken",
    "HELP_CHANNELS",
    "HELP_LEVELS",
    "HELP_STATUSES",
    "HelpRequest",
    "OUTBOX_KINDS",
    "OutboxMessage",
    "ParticipantHandled",
    "PlaybookRevision",
    "StaffNote",
    "SurveyResponse",
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
    "WorkerHeartbeat",
]
