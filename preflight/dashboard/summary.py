"""An event's readiness summary: the numbers at the top of the dashboard, also served by the API
(``GET /api/events/<id>/readiness``), so both always show the same figures."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select
from sqlmodel import Session

from ..models import HelpRequest, utcnow
from .status import counts, failing_by_check


@dataclass(frozen=True)
class Summary:
    """Participants per status, their shares, per-check problems and open help requests, at ``computed_at``."""

    counts: dict[str, int]  # every status of status.STATUSES, zero included
    total: int
    shares: dict[str, int]  # whole percent of ``total`` per status, as the dashboard shows them
    failing: dict[str, dict[str, int]]  # check -> {"fail": n, "warn": n} on participants' latest judged runs
    open_help: int  # help requests not resolved (open or in progress)
    computed_at: datetime


def open_help_requests(session: Session, event_id: int) -> int:
    """How many of the event's help requests are open or in progress."""
    return session.execute(
        select(func.count(HelpRequest.id)).where(HelpRequest.event_id == event_id, HelpRequest.status != "resolved")
    ).scalar_one()


def readiness_summary(session: Session, event_id: int) -> Summary:
    """The event's summary, computed now."""
    numbers = counts(session, event_id)
    total = sum(numbers.values())
    return Summary(
        counts=numbers,
        total=total,
        shares={status: (round(100 * n / total) if total else 0) for status, n in numbers.items()},
        failing=failing_by_check(session, event_id),
        open_help=open_help_requests(session, event_id),
        computed_at=utcnow(),
    )
