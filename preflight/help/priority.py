"""Priority of a help request: how bad the participant's failures are and how soon the event starts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask_babel import lazy_gettext as _l

# i18n: priority of a help request in the support queue
PRIORITY_LABELS = {"urgent": _l("Urgent"), "high": _l("High"), "normal": _l("Normal"), "low": _l("Low")}
SEVERITY = {"fail": 3, "warn": 2, None: 2, "pass": 1}  # None: no check run yet, we know nothing


@dataclass(frozen=True)
class Priority:
    """A sortable score and its label."""

    score: int
    level: str


def time_pressure(now: datetime, starts_at: datetime, ends_at: datetime) -> int:
    """0 (days away or over) to 4 (the event is running)."""
    if now >= ends_at:
        return 0
    if now >= starts_at:
        return 4
    hours = (starts_at - now).total_seconds() / 3600
    return 3 if hours < 2 else 2 if hours < 24 else 1 if hours < 72 else 0


def priority(overall: str | None, role: str, now: datetime, starts_at: datetime, ends_at: datetime) -> Priority:
    """Score = 2 x severity of the latest run + time pressure + 1 for presenters."""
    score = 2 * SEVERITY.get(overall, 2) + time_pressure(now, starts_at, ends_at) + (1 if role == "presenter" else 0)
    level = "urgent" if score >= 9 else "high" if score >= 7 else "normal" if score >= 4 else "low"
    return Priority(score, level)
