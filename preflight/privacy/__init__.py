"""Data retention: purge participants after the retention period, delete one on request."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, select

from ..models import Event, Participant
from .alerts import forget_event_people, forget_participant
from .mail_sink import forget_mail_to, purge_mail_sink
from .pending import forget_pending_imports_listing, purge_pending_imports


def expired_events(session: Session, retention_days: int, now: datetime) -> list[Event]:
    """Events that ended more than ``retention_days`` before ``now``."""
    cutoff = now - timedelta(days=retention_days)
    return list(session.exec(select(Event).where(Event.ends_at < cutoff)))


def purge(session: Session, retention_days: int, now: datetime, *, dry_run: bool = False) -> dict[int, int]:
    """Delete the participants (and, by cascade, their runs, results, emails and help requests)
    of every event past retention; return {event_id: participants deleted}. Events stay, empty,
    so the post-event report keeps its aggregate history until an admin deletes the event."""
    counts: dict[int, int] = {}
    if not dry_run:
        purge_mail_sink(now - timedelta(days=retention_days))  # mail written locally when no SMTP server is set
        purge_pending_imports(session, now)  # import previews never confirmed
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
    forget_mail_to(participant.email)  # and the local mail sink holds what was sent to them
    forget_pending_imports_listing(session, participant.email)  # and an import preview may list them
    session.exec(delete(Participant).where(Participant.id == participant.id))


def privacy_notice() -> dict:
    """What the participant page's privacy notice shows: the privacy guide's title and summary in
    the page's language (English when not translated) and the retention period."""
    from flask import current_app
    from flask_babel import get_locale

    from ..guides.library import resolve
    from ..guides.links import translations_root

    resolved = resolve(translations_root(), "privacy", str(get_locale() or current_app.config["DEFAULT_LOCALE"]))
    guide = resolved.guide if resolved else None
    return {
        "title": guide.title if guide else "",
        "summary": guide.summary if guide else "",
        "lang": guide.locale if guide else "en",
        "retention_days": current_app.config["RETENTION_DAYS"],
    }


def init_app(app) -> None:
    """``privacy_notice()`` for templates (``participant/_privacy_notice.html``)."""
    app.add_template_global(privacy_notice, "privacy_notice")
