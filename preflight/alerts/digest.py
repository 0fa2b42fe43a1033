"""Digests: failing runs of one event, batched so the team gets one message per interval.

The first failure after a quiet interval goes out on the worker's next pass; later
ones wait until ``ALERT_DIGEST_MINUTES`` have passed since the event's previous
digest. A participant whose latest run no longer fails when the digest is built
(they fixed it meanwhile) is left out.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from ..db import session_scope
from ..models import Alert, AlertItem, Event, Participant
from .links import absolute
from .notify import notify_team
from .outbox import insert_ignore
from .summary import event_info, latest_runs_of, participant_line, results_by_run

MAX_LINES = 50


def record_failure(session: Session, run) -> bool:
    """Queue a failing run for its event's next digest (once per run, safe under concurrent posts)."""
    participant = session.get(Participant, run.participant_id)
    if participant is None:
        return False
    return insert_ignore(
        session, AlertItem(event_id=participant.event_id, participant_id=participant.id, run_id=run.id), "run_id"
    )


def _due_events(session: Session, now: datetime) -> list[int]:
    interval = timedelta(minutes=current_app.config["ALERT_DIGEST_MINUTES"])
    pending = select(AlertItem.event_id).where(AlertItem.alert_id.is_(None)).distinct()
    last = dict(
        session.execute(
            select(Alert.event_id, func.max(Alert.created_at))
            .where(Alert.kind == "digest", Alert.event_id.in_(pending))
            .group_by(Alert.event_id)
        ).all()
    )
    due = []
    for (event_id,) in session.execute(pending).all():
        previous = last.get(event_id)
        if previous is None or now - previous >= interval:
            due.append(event_id)
    return due


def build_digest(session: Session, event_id: int, now: datetime) -> Alert | None:
    """Gather the event's pending failures into one alert and queue its messages; None if another worker did."""
    items = list(
        session.execute(
            select(AlertItem)
            .where(AlertItem.event_id == event_id, AlertItem.alert_id.is_(None))
            .order_by(AlertItem.id)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not items:
        return None
    if not insert_ignore(
        session,
        Alert(event_id=event_id, kind="digest", dedupe_key=str(items[0].id), created_at=now),
        "event_id",
        "kind",
        "dedupe_key",
    ):
        return None
    alert = session.execute(
        select(Alert).where(Alert.event_id == event_id, Alert.kind == "digest", Alert.dedupe_key == str(items[0].id))
    ).scalar_one()
    ids = [item.id for item in items]
    taken = session.execute(
        update(AlertItem)
        .where(AlertItem.id.in_(ids), AlertItem.alert_id.is_(None))
        .values(alert_id=alert.id)
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken != len(ids):
        raise _Conflict()
    event = session.get(Event, event_id)
    participant_ids = sorted({item.participant_id for item in items})
    runs = latest_runs_of(session, participant_ids)
    failing = {pid: run for pid, run in runs.items() if run.overall == "fail"}
    results = results_by_run(session, [run.id for run in failing.values()])
    participants = session.execute(select(Participant).where(Participant.id.in_(list(failing)))).scalars().all()
    participants = sorted(participants, key=lambda p: failing[p.id].updated_at, reverse=True)
    lines = [participant_line(p, failing[p.id], results.get(failing[p.id].id, [])) for p in participants]
    summary = {
        "kind": "digest",
        "event": event_info(event),
        "count": len(lines),
        "participants": lines[:MAX_LINES],
        "more": max(len(lines) - MAX_LINES, 0),
        "dashboard_url": absolute("dashboard.event", event_id=event_id, status="attention"),
    }
    alert.item_count = len(lines)
    alert.summary = summary
    session.add(alert)
    if lines:
        notify_team(session, event, f"alert:{alert.id}", "alert_digest", summary)
    return alert


class _Conflict(Exception):
    """Another worker took some of the items first."""


def build_digests(now: datetime) -> int:
    """Build every due digest, one transaction per event; returns how many were sent."""
    with session_scope() as session:
        events = _due_events(session, now)
    sent = 0
    for event_id in events:
        try:
            with session_scope() as session:
                alert = build_digest(session, event_id, now)
                sent += 1 if alert is not None and alert.item_count else 0
        except (_Conflict, OperationalError):
            # Lost a race with another worker (or SQLite's writer lock): that worker sends it.
            current_app.logger.info("digest for event %s left to another worker", event_id)
    return sent
