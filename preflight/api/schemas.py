"""Pydantic models of the API: they validate query strings, shape responses and generate the OpenAPI schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..dashboard.status import SORTS, STATUSES

# Free text in a query string: the app refuses NUL characters everywhere with a 400
# (security.py: PostgreSQL text cannot hold them), so the schema says so too.
NO_NUL = r"^[^\x00]*$"

Status = Literal["not_ready", "warnings", "not_started", "ready"]
Check = Literal["browser", "camera", "microphone", "speakers", "network"]
Verdict = Literal["pass", "warn", "fail"]
HelpStatus = Literal["open", "in_progress", "resolved"]
assert set(STATUSES) == set(Status.__args__)


class Error(BaseModel):
    """An error: a short title and a sentence."""

    error: str
    message: str


class EventOut(BaseModel):
    """An event."""

    id: int
    name: str
    starts_at: datetime
    ends_at: datetime
    timezone: str
    platform: str


class EventList(BaseModel):
    """Events, latest first."""

    items: list[EventOut]


class ParticipantQuery(BaseModel):
    """Filters of the participant list."""

    model_config = ConfigDict(extra="ignore")

    status: Optional[Literal["not_ready", "warnings", "not_started", "ready", "attention"]] = Field(
        None, description="Readiness status; `attention` = not ready or warnings, not yet handled."
    )
    check: Optional[Check] = Field(None, description="Only participants whose latest run fails this check.")
    role: Optional[str] = Field(None, max_length=20, pattern=NO_NUL, description="attendee or presenter.")
    q: Optional[str] = Field(None, max_length=100, pattern=NO_NUL, description="Search in name and email.")
    sort: Literal[SORTS] = "attention"  # type: ignore[valid-type]
    page: int = Field(1, ge=1, le=100000)
    per_page: int = Field(50, ge=1, le=200)


class HelpQuery(BaseModel):
    """Filters of the help-request list."""

    model_config = ConfigDict(extra="ignore")

    status: Optional[HelpStatus] = None


class ParticipantOut(BaseModel):
    """A participant with their readiness."""

    id: int
    name: str
    email: str
    role: str
    language: str
    status: Status
    handled: bool
    last_run_at: Optional[datetime]
    failing_checks: list[Check]
    warning_checks: list[Check]
    browser: str
    os: str


class ParticipantPage(BaseModel):
    """One page of participants."""

    items: list[ParticipantOut]
    total: int
    page: int
    pages: int
    per_page: int


class ResultOut(BaseModel):
    """The server's verdict on one check, with the raw values it judged."""

    check: str
    verdict: Verdict
    reason: str
    guide: str
    values: dict[str, Any]
    attempts: int
    updated_at: datetime


class RunOut(BaseModel):
    """One pass through the check page."""

    id: int
    created_at: datetime
    updated_at: datetime
    overall: Literal["pass", "warn", "fail", "incomplete"]
    browser_family: str
    browser_version: str
    os_family: str
    os_version: str
    device_type: str
    untrusted: bool
    results: list[ResultOut]


class ParticipantDetail(BaseModel):
    """A participant and every run, newest first."""

    participant: ParticipantOut
    runs: list[RunOut]


class HelpRequestOut(BaseModel):
    """A help request and its handling."""

    id: int
    event_id: int
    participant_id: int
    participant_name: str
    participant_email: str
    message: str
    channel: Literal["chat", "email", "phone"]
    phone: str
    language: str
    status: HelpStatus
    level: Literal["L1", "L2", "expert"]
    assigned_to: Optional[str]
    priority: Literal["urgent", "high", "normal", "low"]
    priority_score: int
    created_at: datetime
    updated_at: datetime
    resolved_at: Optional[datetime]


class HelpRequestList(BaseModel):
    """Help requests: unresolved by priority, then resolved."""

    items: list[HelpRequestOut]


MODELS = (
    Error,
    EventOut,
    EventList,
    ParticipantOut,
    ParticipantPage,
    ResultOut,
    RunOut,
    ParticipantDetail,
    HelpRequestOut,
    HelpRequestList,
)
