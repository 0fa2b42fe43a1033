"""Reading a results post: size, JSON, the envelope and every check's payload, strictly.

``parse(body)`` returns a ``Submission`` or raises ``PayloadError`` (status 400/413/415 and a
message a developer can act on). Unknown checks, unknown keys, wrong types and out-of-range
values are all refused; nothing is judged until the whole post is valid.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from . import get, names

RUN_ID = r"^[A-Za-z0-9_-]{8,64}$"
MAX_DETAILS = 20


class PayloadError(Exception):
    """A post that cannot be accepted; ``status`` is the HTTP status to answer."""

    def __init__(self, status: int, message: str, details: list[dict] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.details = details or []


class RunContext(BaseModel):
    """Facts about the run rather than a device."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    # The tab was hidden during a measurement: timers and frames were throttled.
    tab_hidden: bool = False
    # How many times the page has run each check in this run (a re-run sends 2, 3, ...).
    attempts: dict[str, int] = Field(default_factory=dict, max_length=10)


class Envelope(BaseModel):
    """The outer shape: ``{"run_id": ..., "checks": {name: payload}, "context": {...}}``."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False)

    run_id: str = Field(pattern=RUN_ID)
    checks: dict[str, dict[str, Any]] = Field(min_length=1, max_length=10)
    context: RunContext = Field(default_factory=RunContext)


@dataclass
class Submission:
    """A validated post."""

    run_id: str
    checks: dict[str, BaseModel]
    tab_hidden: bool = False
    attempts: dict[str, int] = field(default_factory=dict)


def _details(exc: ValidationError, prefix: tuple = ()) -> list[dict]:
    out = []
    for error in exc.errors(include_url=False)[:MAX_DETAILS]:
        loc = ".".join(str(part) for part in (*prefix, *error["loc"]))
        out.append({"loc": loc, "message": error["msg"]})
    return out


def _refuse(details: list[dict]) -> PayloadError:
    first = details[0]
    summary = f"{first['loc']}: {first['message']}" if first["loc"] else first["message"]
    more = f" (and {len(details) - 1} more)" if len(details) > 1 else ""
    return PayloadError(400, f"Invalid results: {summary}{more}", details)


def parse(body: bytes, content_type: str | None, max_bytes: int) -> Submission:
    """Validate a raw request body into a ``Submission``."""
    if len(body) > max_bytes:
        raise PayloadError(413, f"Results too large: {len(body)} bytes, at most {max_bytes} accepted.")
    if (content_type or "").split(";")[0].strip().lower() != "application/json":
        raise PayloadError(415, "Send the results as JSON (Content-Type: application/json).")
    try:
        data = json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        raise PayloadError(400, f"Results are not valid JSON: {exc}") from None
    except RecursionError:  # nested deeper than Python's recursion limit
        raise PayloadError(400, "Results are not valid JSON: nested too deeply.") from None
    if not isinstance(data, dict):
        raise PayloadError(400, "Results must be a JSON object.")
    try:
        envelope = Envelope.model_validate(data)
    except ValidationError as exc:
        raise _refuse(_details(exc)) from None

    known = names()
    unknown = [name for name in envelope.checks if name not in known]
    if unknown:
        raise _refuse(
            [{"loc": f"checks.{name}", "message": f"unknown check; known: {', '.join(known)}"} for name in unknown]
        )
    bad_attempts = [name for name, n in envelope.context.attempts.items() if name not in known or not 1 <= n <= 1000]
    if bad_attempts:
        raise _refuse(
            [
                {"loc": f"context.attempts.{name}", "message": "must name a known check, with a count from 1 to 1000"}
                for name in bad_attempts
            ]
        )

    checks: dict[str, BaseModel] = {}
    details: list[dict] = []
    for name in known:
        if name not in envelope.checks:
            continue
        try:
            checks[name] = get(name).model.model_validate(envelope.checks[name])
        except ValidationError as exc:
            details.extend(_details(exc, ("checks", name)))
    if details:
        raise _refuse(details[:MAX_DETAILS])
    return Submission(
        run_id=envelope.run_id,
        checks=checks,
        tab_hidden=envelope.context.tab_hidden,
        attempts=dict(envelope.context.attempts),
    )
