"""Pydantic models of the API: they validate query strings, shape responses and generate the OpenAPI schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal, Optional

import email_validator
from flask import has_app_context
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ..dashboard.status import SORTS, STATUSES
from ..i18n import available_locales
from ..safe_input import has_control_characters

# Free text in a query string: the app refuses NUL characters everywhere with a 400
# (security.py: PostgreSQL text cannot hold them), so the schema says so too.
NO_NUL = r"^[^\x00]*$"
# A single-line field of a body: no control characters or line separators (safe_input.py). Documented only:
# the field validators enforce it with a clearer message than a pattern mismatch.
SINGLE_LINE = {"pattern": "^[^\\u0000-\\u001f\\u007f-\\u009f\\u2028\\u2029]*$"}

Role = Literal["attendee", "presenter"]
Status = Literal["not_ready", "warnings", "not_started", "ready"]
Check = Literal["browser", "camera", "microphone", "speakers", "network"]
Verdict = Literal["pass", "warn", "fail"]
HelpStatus = Literal["open", "in_progress", "resolved"]
assert set(STATUSES) == set(Status.__args__)
# Bodies the API takes: unknown fields, wrong JSON types, NaN and nulls where a value is expected are refused.
STRICT_BODY = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)


class Error(BaseModel):
    """An error: a short title and a sentence."""

    error: str
    message: str


class FieldErrors(Error):
    """A body that does not match its schema: the first problem in ``message``, every field's in ``fields``."""

    fields: dict[str, str] = Field(description="Field name (dotted for nested ones; `body` for the whole) -> problem.")


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
    network: Optional[Literal["regressed"]] = Field(
        None, description="`regressed`: the latest re-probe looks worse than the last complete network check."
    )


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
    network_regressed: bool = Field(
        False, description="The latest re-probe looks worse than the last complete network check."
    )
    network_worse: list[Literal["relay_now", "rtt_higher", "rate_lower", "no_connection"]] = Field(
        default_factory=list, description="Why the latest re-probe looks worse (empty when it does not)."
    )
    network_changed: Optional[bool] = Field(
        None,
        description="The latest re-probe came from a different network (address prefix); null when unknown or none.",
    )


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


class ParticipantWithLink(ParticipantOut):
    """A participant with their personal check link (null while the link is revoked)."""

    link: Optional[str]


def _single_line(value: str) -> str:
    if has_control_characters(value):
        raise ValueError("must not contain line breaks or control characters")
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def _email(value: str) -> str:
    _single_line(value)
    try:
        # The staff form's rule (WTForms' Email()): syntax only, no DNS lookup.
        email_validator.validate_email(value.strip(), check_deliverability=False)
    except email_validator.EmailNotValidError:
        raise ValueError("not a valid email address") from None
    return value


def _language(value: str) -> str:
    # Outside a request (building the OpenAPI document) there is nothing to check against.
    if has_app_context() and value not in available_locales():
        raise ValueError(f"must be one of: {', '.join(available_locales())}")
    return value


def _not_nullable(schema: dict) -> None:
    """PATCH fields are optional but never null: drop the ``default: null`` pydantic writes, ask for one field."""
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)
    schema["minProperties"] = 1


class _Patch(BaseModel):
    """A partial update: fields left out keep their value; an empty object changes nothing and is refused."""

    @model_validator(mode="after")
    def _something(self):
        if not self.model_fields_set:
            raise ValueError("give at least one field to change")
        return self


class ParticipantCreate(BaseModel):
    """A participant to add; language and role default to the event's."""

    model_config = STRICT_BODY

    name: str = Field(min_length=1, max_length=200, json_schema_extra=SINGLE_LINE)
    email: str = Field(
        min_length=3,
        max_length=254,
        description="Unique within the event (compared in lower case).",
        json_schema_extra={**SINGLE_LINE, "format": "email"},
    )
    language: Optional[str] = Field(None, max_length=10, description="A locale this server ships, e.g. `en`.")
    role: Optional[Role] = None

    _name = field_validator("name")(_single_line)
    _check_email = field_validator("email")(_email)
    _check_language = field_validator("language")(lambda v: v if v is None else _language(v))


class ParticipantUpdate(_Patch):
    """Fields to change; those left out keep their value. At least one, none null."""

    model_config = ConfigDict(**STRICT_BODY, json_schema_extra=_not_nullable)

    name: str = Field(None, min_length=1, max_length=200, json_schema_extra=SINGLE_LINE)  # type: ignore[assignment]
    email: str = Field(None, min_length=3, max_length=254, json_schema_extra={**SINGLE_LINE, "format": "email"})  # type: ignore[assignment]
    language: str = Field(None, max_length=10, description="A locale this server ships, e.g. `en`.")  # type: ignore[assignment]
    role: Role = None  # type: ignore[assignment]

    _name = field_validator("name")(_single_line)
    _check_email = field_validator("email")(_email)
    _check_language = field_validator("language")(_language)


class HelpRequestUpdate(_Patch):
    """A new status and/or a reply emailed to the participant (shown on their check page too).

    A reply to an open request puts it in progress, as in the staff pages; with both, the status is set after
    the reply."""

    model_config = ConfigDict(**STRICT_BODY, json_schema_extra=_not_nullable)

    status: HelpStatus = None  # type: ignore[assignment]
    reply: str = Field(None, min_length=1, max_length=4000)  # type: ignore[assignment]

    @field_validator("reply")
    @classmethod
    def _reply(cls, value: str) -> str:
        if has_control_characters(value, multiline=True):
            raise ValueError("must not contain control characters")
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class StatusCounts(BaseModel):
    """Participants per readiness status (the status of their latest judged run)."""

    ready: int = Field(description="Latest run passed.")
    warnings: int = Field(description="Latest run had warnings.")
    not_ready: int = Field(description="Latest run failed.")
    not_started: int = Field(description="No judged run yet.")
    total: int


class CheckProblems(BaseModel):
    """Participants whose latest judged run fails or warns on one check."""

    fail: int
    warn: int


class CheckCounts(BaseModel):
    """Problems per check."""

    browser: CheckProblems
    camera: CheckProblems
    microphone: CheckProblems
    speakers: CheckProblems
    network: CheckProblems


class Readiness(BaseModel):
    """An event's readiness summary: the figures at the top of its dashboard."""

    event_id: int
    participants: StatusCounts
    share_ready: int = Field(ge=0, le=100, description="Percent of participants ready, rounded as the dashboard.")
    shares: dict[Status, int] = Field(description="Percent of participants per status, rounded as the dashboard.")
    checks: CheckCounts
    open_help_requests: int = Field(description="Help requests open or in progress.")
    computed_at: datetime


MODELS = (
    Error,
    FieldErrors,
    EventOut,
    EventList,
    ParticipantOut,
    ParticipantPage,
    ResultOut,
    RunOut,
    ParticipantDetail,
    HelpRequestOut,
    HelpRequestList,
    ParticipantWithLink,
    ParticipantCreate,
    ParticipantUpdate,
    HelpRequestUpdate,
    Readiness,
)
