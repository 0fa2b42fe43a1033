"""JSON summaries of participants' failures, shared by digests, help-request alerts and the API."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlmodel import Session

from ..dashboard.format import playbook_slug
from ..models import CHECKS, CheckResult, CheckRun, Event, Participant
from .links import absolute


def event_info(event: Event) -> dict:
    """The event fields every summary carries."""
    return {"id": event.id, "name": event.name, "starts_at": event.starts_at.isoformat(), "platform": event.platform}


def latest_runs_of(session: Session, participant_ids: list[int]) -> dict[int, CheckRun]:
    """Each given participant's latest judged run."""
    if not participant_ids:
        return {}
    latest = (
        select(func.max(CheckRun.id))
        .where(CheckRun.participant_id.in_(participant_ids), CheckRun.overall.in_(("pass", "warn", "fail")))
        .group_by(CheckRun.participant_id)
    )
    runs = session.execute(select(CheckRun).where(CheckRun.id.in_(latest.scalar_subquery()))).scalars()
    return {run.participant_id: run for run in runs}


def check_lines(results: list[CheckResult], verdicts=("fail", "warn")) -> list[dict]:
    """Failing (then warning) checks with their reason, guide, playbook page and raw values."""
    chosen = [r for r in results if r.verdict in verdicts]
    chosen.sort(key=lambda r: (r.verdict != "fail", CHECKS.index(r.check) if r.check in CHECKS else 99))
    return [
        {
            "check": r.check,
            "verdict": r.verdict,
            "reason": r.reason,
            "guide": r.guide,
            "playbook": absolute("playbook.show", slug=playbook_slug(r.check, r.reason)),
            "values": r.values if isinstance(r.values, dict) else {},
        }
        for r in chosen
    ]


def results_by_run(session: Session, run_ids: list[int]) -> dict[int, list[CheckResult]]:
    """Check results grouped by run, in one query."""
    out: dict[int, list[CheckResult]] = {}
    if run_ids:
        for result in session.execute(select(CheckResult).where(CheckResult.run_id.in_(run_ids))).scalars():
            out.setdefault(result.run_id, []).append(result)
    return out


def participant_line(participant: Participant, run: CheckRun | None, results: list[CheckResult]) -> dict:
    """One participant in an alert: who, where, what failed, link to their dashboard page."""
    return {
        "participant_id": participant.id,
        "name": participant.name,
        "email": participant.email,
        "role": participant.role,
        "language": participant.language,
        "run_at": run.updated_at.isoformat() if run else None,
        "overall": run.overall if run else None,
        "browser": f"{run.browser_family} {run.browser_version}".strip() if run else "",
        "os": f"{run.os_family} {run.os_version}".strip() if run else "",
        "checks": check_lines(results),
        "url": absolute("dashboard.participant", event_id=participant.event_id, participant_id=participant.id),
    }
