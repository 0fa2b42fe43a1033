"""Readiness of an event's participants, computed in SQL.

A participant's status comes from their latest *judged* run (overall pass, warn
or fail): ready, warnings, not ready; without one they have not started. Every
list, count and filter here is one SQL statement whatever the number of
participants, so the dashboard holds with thousands of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import and_, case, exists, func, literal, or_, select
from sqlalchemy.orm import aliased
from sqlmodel import Session

from ..models import CHECKS, CheckResult, CheckRun, NetworkProbe, Participant, ParticipantHandled

STATUSES = ("not_ready", "warnings", "not_started", "ready")  # attention order
JUDGED = ("pass", "warn", "fail")
SORTS = ("attention", "name", "-name", "email", "last_run", "-last_run", "status")
PAGE_SIZE = 50


@dataclass
class Filters:
    """What the staff member asked to see."""

    status: str = ""  # one of STATUSES, "attention", or empty
    check: str = ""  # a check with a failing verdict on the latest run
    role: str = ""
    q: str = ""
    sort: str = "attention"
    page: int = 1
    network: str = ""  # "regressed": the latest re-probe looks worse than the last complete check

    @classmethod
    def from_args(cls, args) -> "Filters":
        """Read and sanitise query-string arguments (unknown values are ignored, never an error)."""
        status = args.get("status", "")
        check = args.get("check", "")
        sort = args.get("sort", "attention")
        try:
            page = max(int(args.get("page", 1)), 1)
        except (TypeError, ValueError):
            page = 1
        return cls(
            status=status if status in STATUSES + ("attention",) else "",
            check=check if check in CHECKS else "",
            role=args.get("role", "")[:20],
            q=args.get("q", "").strip()[:100],
            sort=sort if sort in SORTS else "attention",
            page=min(page, 100000),
            network="regressed" if args.get("network") == "regressed" else "",
        )

    def args(self, **overrides) -> dict:
        """Query arguments that reproduce these filters (for links and paging)."""
        values = {
            "status": self.status,
            "check": self.check,
            "role": self.role,
            "q": self.q,
            "sort": self.sort,
            "page": self.page,
            "network": self.network,
        }
        values.update(overrides)
        return {
            k: v
            for k, v in values.items()
            if v not in ("", None) and not (k == "sort" and v == "attention") and not (k == "page" and v == 1)
        }


def latest_runs(event_id: int, before: datetime | None = None):
    """Subquery (participant_id, run_id): each participant's latest judged run, optionally before a time."""
    stmt = (
        select(CheckRun.participant_id.label("participant_id"), func.max(CheckRun.id).label("run_id"))
        .join(Participant, Participant.id == CheckRun.participant_id)
        .where(Participant.event_id == event_id, CheckRun.overall.in_(JUDGED))
        .group_by(CheckRun.participant_id)
    )
    if before is not None:
        stmt = stmt.where(CheckRun.created_at < before)
    return stmt.subquery("latest")


@dataclass
class Columns:
    """The joined columns every readiness query uses."""

    latest: object
    run: object
    handled: object
    status: object
    rank: object
    is_handled: object
    probe: object


def _columns(event_id: int, before: datetime | None = None) -> Columns:
    latest = latest_runs(event_id, before)
    run = aliased(CheckRun, name="latest_run")
    handled = aliased(ParticipantHandled, name="handled")
    status = case(
        (latest.c.run_id.is_(None), literal("not_started")),
        (run.overall == "pass", literal("ready")),
        (run.overall == "warn", literal("warnings")),
        else_=literal("not_ready"),
    )
    rank = case(
        (latest.c.run_id.is_(None), 2),
        (run.overall == "fail", 0),
        (run.overall == "warn", 1),
        else_=3,
    )
    # Handled counts only until a newer run comes in.
    is_handled = case((and_(handled.handled_at.is_not(None), handled.handled_at >= run.updated_at), 1), else_=0)
    probe = aliased(NetworkProbe, name="probe")  # one row per participant at most
    return Columns(latest, run, handled, status, rank, is_handled, probe)


def _base(cols: Columns, *columns):
    return (
        select(*columns)
        .select_from(Participant)
        .join(cols.latest, cols.latest.c.participant_id == Participant.id, isouter=True)
        .join(cols.run, cols.run.id == cols.latest.c.run_id, isouter=True)
        .join(cols.handled, cols.handled.participant_id == Participant.id, isouter=True)
        .join(cols.probe, cols.probe.participant_id == Participant.id, isouter=True)
    )


def counts(session: Session, event_id: int, before: datetime | None = None) -> dict[str, int]:
    """Number of participants in each status (every status present, zero included)."""
    cols = _columns(event_id, before)
    # Everyone invited counts, even if added late: without a run before ``before`` they had not started.
    stmt = _base(cols, cols.status, func.count()).where(Participant.event_id == event_id)
    found = dict(session.execute(stmt.group_by(cols.status)).all())
    return {status: int(found.get(status, 0)) for status in STATUSES}


@dataclass
class Row:
    """One participant line of the dashboard."""

    participant: Participant
    status: str
    run: CheckRun | None
    handled: bool
    results: list[CheckResult] = field(default_factory=list)
    probe: NetworkProbe | None = None  # the latest re-probe, while no newer network check replaced it

    @property
    def problems(self) -> list[CheckResult]:
        """Failing checks first, then warnings."""
        bad = [r for r in self.results if r.verdict in ("fail", "warn")]
        return sorted(bad, key=lambda r: (r.verdict != "fail", CHECKS.index(r.check) if r.check in CHECKS else 99))


@dataclass
class Page:
    """A page of rows and what is needed to page through them."""

    rows: list[Row]
    total: int
    page: int
    pages: int


def _filtered(cols: Columns, event_id: int, filters: Filters, *columns):
    stmt = _base(cols, *columns).where(Participant.event_id == event_id)
    if filters.status == "attention":
        stmt = stmt.where(cols.rank < 2, cols.is_handled == 0)
    elif filters.status:
        stmt = stmt.where(cols.status == filters.status)
    if filters.check:
        failing = exists().where(
            CheckResult.run_id == cols.latest.c.run_id,
            CheckResult.check == filters.check,
            CheckResult.verdict == "fail",
        )
        stmt = stmt.where(failing)
    if filters.network == "regressed":
        stmt = stmt.where(cols.probe.regressed.is_(True))
    if filters.role:
        stmt = stmt.where(Participant.role == filters.role)
    if filters.q:
        like = "%" + filters.q.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        stmt = stmt.where(
            or_(
                func.lower(Participant.name).like(like, escape="\\"),
                func.lower(Participant.email).like(like, escape="\\"),
            )
        )
    return stmt


def _order(cols: Columns, sort: str):
    last = cols.run.updated_at
    orders = {
        "attention": (cols.is_handled, cols.rank, last.desc(), Participant.name),
        "status": (cols.rank, Participant.name),
        "name": (Participant.name,),
        "-name": (Participant.name.desc(),),
        "email": (Participant.email,),
        # NULLs (never run) last either way; portable across SQLite and PostgreSQL.
        "last_run": (case((last.is_(None), 1), else_=0), last.desc()),
        "-last_run": (case((last.is_(None), 1), else_=0), last),
    }
    return orders[sort] + (Participant.id,)


def page(session: Session, event_id: int, filters: Filters, page_size: int = PAGE_SIZE) -> Page:
    """One page of participants with their status, latest run and its results (three queries)."""
    cols = _columns(event_id)
    total = session.execute(
        select(func.count()).select_from(_filtered(cols, event_id, filters, Participant.id).subquery())
    ).scalar_one()
    pages = max((total + page_size - 1) // page_size, 1)
    number = min(filters.page, pages)
    stmt = _filtered(cols, event_id, filters, Participant, cols.status, cols.run, cols.is_handled, cols.probe)
    found = session.execute(
        stmt.order_by(*_order(cols, filters.sort)).offset((number - 1) * page_size).limit(page_size)
    ).all()
    rows = [
        Row(participant=p, status=status, run=run, handled=bool(handled), probe=probe)
        for p, status, run, handled, probe in found
    ]
    attach_results(session, rows)
    return Page(rows=rows, total=total, page=number, pages=pages)


def attach_results(session: Session, rows: list[Row]) -> None:
    """Load the check results of each row's run in one query."""
    run_ids = [row.run.id for row in rows if row.run is not None]
    if not run_ids:
        return
    by_run: dict[int, list[CheckResult]] = {}
    for result in session.execute(select(CheckResult).where(CheckResult.run_id.in_(run_ids))).scalars():
        by_run.setdefault(result.run_id, []).append(result)
    for row in rows:
        if row.run is not None:
            row.results = sorted(
                by_run.get(row.run.id, []), key=lambda r: CHECKS.index(r.check) if r.check in CHECKS else 99
            )


def participant_status(session: Session, participant: Participant) -> Row:
    """The status row of one participant."""
    cols = _columns(participant.event_id)
    found = session.execute(
        _base(cols, cols.status, cols.run, cols.is_handled, cols.probe).where(Participant.id == participant.id)
    ).one()
    row = Row(participant=participant, status=found[0], run=found[1], handled=bool(found[2]), probe=found[3])
    attach_results(session, [row])
    return row


def failing_by_check(session: Session, event_id: int) -> dict[str, dict[str, int]]:
    """For each check, how many participants' latest runs fail or warn on it."""
    latest = latest_runs(event_id)
    stmt = (
        select(CheckResult.check, CheckResult.verdict, func.count())
        .join(latest, latest.c.run_id == CheckResult.run_id)
        .where(CheckResult.verdict.in_(("fail", "warn")))
        .group_by(CheckResult.check, CheckResult.verdict)
    )
    out = {check: {"fail": 0, "warn": 0} for check in CHECKS}
    for check, verdict, n in session.execute(stmt):
        out.setdefault(check, {"fail": 0, "warn": 0})[verdict] = int(n)
    return out
