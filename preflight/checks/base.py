"""Shared pieces of the checks: the strict payload base, the judging context, the finding.

The page sends raw measurements only; every verdict is decided here on the server.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any, Callable, ClassVar, Literal, Optional

from pydantic import BaseModel, ConfigDict, Field

from ..profiles import Profile, device_need
from .client import ClientInfo

VERDICT_RANK = {"pass": 0, "warn": 1, "fail": 2}

# Error names the page may report for getUserMedia; anything else is sent as "UnknownError".
MediaErrorName = Literal[
    "NotAllowedError",
    "SecurityError",
    "NotFoundError",
    "NotReadableError",
    "AbortError",
    "OverconstrainedError",
    "NotSupportedError",
    "TypeError",
    "TimeoutError",
    "UnknownError",
]
PermissionState = Literal["granted", "denied", "prompt", "unknown"]
ShortName = Field(default=None, max_length=40, pattern=r"^[A-Za-z0-9_ .-]*$")


class Payload(BaseModel):
    """Base of every check payload: exact types, no unknown keys, no NaN or infinity."""

    model_config = ConfigDict(extra="forbid", strict=True, allow_inf_nan=False, frozen=True)
    # Fields used for judging but never stored (personal data the verdict no longer needs).
    NOT_STORED: ClassVar[frozenset[str]] = frozenset()


class MediaAccess(Payload):
    """What every device check reports about getting at the device."""

    permission: PermissionState = "unknown"
    error: Optional[MediaErrorName] = None
    # The constraint an OverconstrainedError names ("width", "deviceId", ...).
    constraint: Optional[str] = ShortName
    devices: int = Field(default=0, ge=0, le=64)
    # The participant picked a device other than the default in the page.
    chosen: bool = False


@dataclass(frozen=True)
class Context:
    """What a judge may use besides the payload: the event's profile, the role, the browser."""

    profile: Profile
    role: str
    client: ClientInfo
    # For judges that look up server-side measurements (the network check): who and which run.
    participant_id: Optional[int] = None
    run_key: str = ""
    # The results request's address as the server sees it (ProxyFix-aware), for the network fingerprint.
    http_addr: Optional[str] = None


@dataclass(frozen=True)
class Finding:
    """The server's verdict on one check.

    ``metrics`` are the figures shown to the participant (``data-metric`` names, plain numbers);
    ``details`` carries whatever the wording needs (error name, browsers to use instead, ...).
    """

    check: str
    verdict: str
    reason: str
    guide: str = ""
    metrics: dict[str, Any] = field(default_factory=dict)
    details: dict[str, Any] = field(default_factory=dict)


def worst(verdicts) -> str:
    """The worst of some verdicts (``pass`` when there are none)."""
    return max(verdicts, key=VERDICT_RANK.__getitem__, default="pass")


def apply_role(finding: Finding, ctx: Context) -> Finding:
    """Turn a failure into a warning when the role only recommends this device (see profiles.DEVICE_NEEDS)."""
    if finding.verdict == "fail" and device_need(ctx.role, finding.check) == "recommended":
        return replace(finding, verdict="warn", details={**finding.details, "optional_for_role": True})
    return finding


def permission_guide(client: ClientInfo) -> str:
    """The guide section explaining how to allow camera and microphone in this browser."""
    if client.device_type in ("mobile", "tablet"):
        return "allow-camera-microphone#mobile"
    if client.family in ("chrome", "edge", "firefox", "safari"):
        return f"allow-camera-microphone#{client.family}"
    # Opera, Samsung Internet and other Chromium browsers ask the way Chrome does.
    return "allow-camera-microphone#chrome"


# getUserMedia error name -> kind of problem (the reason code is "<check>_<kind>").
ERROR_KINDS = {
    "NotAllowedError": "denied",
    "SecurityError": "denied",
    "NotFoundError": "not_found",
    "NotReadableError": "busy",
    "AbortError": "busy",
    "TimeoutError": "busy",
    "OverconstrainedError": "constraints",
}


def access_finding(check: str, payload: MediaAccess, ctx: Context, guides: dict[str, str]) -> Finding | None:
    """The failure for a device the page could not open, or None when it opened.

    ``guides`` maps a kind (not_found, busy, constraints, error) to a guide section; a denied
    permission always points to the section for this browser.
    """
    if payload.error is None:
        return None
    kind = ERROR_KINDS.get(payload.error, "error")
    guide = permission_guide(ctx.client) if kind == "denied" else guides.get(kind, guides["error"])
    details = {"error": payload.error, "permission": payload.permission, "browser": ctx.client.name}
    if payload.constraint:
        details["constraint"] = payload.constraint
    return Finding(check=check, verdict="fail", reason=f"{check}_{kind}", guide=guide, metrics={}, details=details)


def judge_device(
    check: str, payload: MediaAccess, ctx: Context, guides: dict[str, str], measured: Callable[[Any], Finding]
) -> Finding:
    """The verdict of a device check: access first, then ``measured(payload)``, then the role.

    Camera and microphone share this order: a device that did not open is judged on why
    (``access_finding``); an opened one on its measurements; a role that only recommends the
    device turns a failure into a warning (``apply_role``).
    """
    return apply_role(access_finding(check, payload, ctx, guides) or measured(payload), ctx)
