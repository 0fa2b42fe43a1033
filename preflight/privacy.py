"""Data retention: purge participants after the retention period, delete one on request."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from .alerts.privacy import forget_event_people, forget_participant
from .models import Event, Participant


def expired_events(session: Session, retention_days: int, now: datetime) -> list[Event]:
    """Events that ended more than ``retention_days`` before ``now``."""
    cutoff = now - timedelta(days=retention_days)
    return list(session.exec(select(Event).where(Event.ends_at < cutoff)))


def purge(session: Session, retention_days: int, now: datetime, *, dry_run: bool = False) -> dict[int, int]:
    """Delete the participants (and, by cascade, their runs, results, emails and help requests)
    of every event past retention; return {event_id: participants deleted}. Events stay, empty,
    so the post-event report keeps its aggregate history until an admin deletes the event."""
    counts: dict[int, int] = {}
    for event in expired_events(session, retention_days, now):
        ids = list(session.exec(select(Participant.id).where(Participant.event_id == event.id)))
        if not ids:
            continue
        counts[event.id] = len(ids)
        if not dry_run:
            session.exec(delete(Participant).where(Participant.event_id == event.id))
            forget_event_people(session, event.id)  # team alerts name them too
    return counts


def delete_participant(session: Session, participant: Participant) -> None:
    """Erase one participant and everything recorded about them (a data-subject request)."""
    forget_participant(session, participant)  # team alerts name them too
    session.exec(delete(Participant).where(Participant.id == participant.id))
