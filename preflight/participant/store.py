"""Storing judged results: one run per (participant, run id), one result per (run, check).

Idempotent: a retried identical post changes nothing; a re-run of a check (the page sends a
higher attempt count, or different values) replaces that check's result and counts the attempt.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app
from sqlalchemy import delete, func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..checks import Finding, overall
from ..checks.client import ClientInfo
from ..checks.submission import Submission
from ..models import CheckResult, CheckRun, NetworkProbe, Participant, utcnow


@dataclass
class Saved:
    """What happened to one check of a post."""

    result: CheckResult
    status: str  # created, replaced or unchanged


def _values(submission: Submission, name: str, finding: Finding) -> dict:
    payload = submission.checks[name]
    return {
        # Minus what the check declares NOT_STORED (personal data such as IP addresses).
        "raw": payload.model_dump(mode="json", exclude=set(getattr(payload, "NOT_STORED", ())) or None),
        "metrics": dict(finding.metrics),
        "details": dict(finding.details),
    }


def _run(session: Session, participant_id: int, run_key: str) -> CheckRun | None:
    return session.exec(
        select(CheckRun).where(CheckRun.participant_id == participant_id, CheckRun.run_key == run_key)
    ).first()


class TooManyRuns(Exception):
    """The participant already has the most runs one link may store (``MAX_RUNS_PER_PARTICIPANT``)."""


def _apply(
    session: Session, participant: Participant, submission: Submission, findings: dict[str, Finding], client: ClientInfo
):
    now = utcnow()
    run = _run(session, participant.id, submission.run_id)
    if run is None:
        # One link must not be able to flood the store (or the alerts counted from it) with runs.
        stored = session.exec(
            select(func.count()).select_from(CheckRun).where(CheckRun.participant_id == participant.id)
        ).one()
        if stored >= current_app.config["MAX_RUNS_PER_PARTICIPANT"]:
            raise TooManyRuns()
        run = CheckRun(participant_id=participant.id, run_key=submission.run_id, created_at=now)
        session.add(run)
        session.flush()
    existing = {r.check: r for r in session.exec(select(CheckResult).where(CheckResult.run_id == run.id))}
    saved: dict[str, Saved] = {}
    for name, finding in findings.items():
        values = _values(submission, name, finding)
        attempt = submission.attempts.get(name, 1)
        result = existing.get(name)
        if result is None:
            result = CheckResult(
                run_id=run.id,
                check=name,
                verdict=finding.verdict,
                reason=finding.reason,
                guide=finding.guide,
                values=values,
                attempts=1,
                created_at=now,
                updated_at=now,
            )
            session.add(result)
            existing[name] = result
            saved[name] = Saved(result, "created")
        elif (result.values or {}).get("raw") == values["raw"] and attempt <= result.attempts:
            saved[name] = Saved(result, "unchanged")
        else:
            result.verdict, result.reason, result.guide = finding.verdict, finding.reason, finding.guide
            result.values = values
            result.attempts += 1
            result.updated_at = now
            saved[name] = Saved(result, "replaced")

    if any(name == "network" and s.status != "unchanged" for name, s in saved.items()):
        # A new network check is the new baseline: an older re-probe compared with the previous one is moot.
        session.exec(delete(NetworkProbe).where(NetworkProbe.participant_id == participant.id))
    run.browser_family, run.browser_version = client.name[:40], client.version[:40]
    run.os_family, run.os_version = client.os_family[:40], client.os_version[:40]
    run.device_type, run.user_agent = client.device_type[:20], client.user_agent[:512]
    run.untrusted = run.untrusted or submission.tab_hidden
    run.overall = overall({name: r.verdict for name, r in existing.items()})
    run.updated_at = now
    participant.last_checked_at = now
    session.flush()
    return run, saved, existing


def save(
    session: Session, participant: Participant, submission: Submission, findings: dict[str, Finding], client: ClientInfo
):
    """Store a judged post; returns ``(run, {check: Saved}, {check: CheckResult of the whole run})``.

    Two identical posts racing each other: the loser hits the unique constraint, rolls back and
    goes again, now finding the winner's rows (so it stores nothing twice).
    """
    participant_id = participant.id
    try:
        return _apply(session, participant, submission, findings, client)
    except IntegrityError:
        session.rollback()
        participant = session.get(Participant, participant_id)
        return _apply(session, participant, submission, findings, client)
