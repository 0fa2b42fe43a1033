"""Adding and editing one participant, without Flask's request: the staff pages and the API share these rules."""

from __future__ import annotations

from sqlmodel import Session, select

from ..links import issue_link
from ..models import Event, Participant

EDITABLE = ("name", "email", "language", "role")


def normalise_email(email: str) -> str:
    """Emails are stored trimmed and in lower case (one participant per address and event)."""
    return email.strip().lower()


def email_taken(session: Session, event_id: int, email: str, participant_id: int | None = None) -> bool:
    """Whether another participant of the event already has this (normalised) email."""
    stmt = select(Participant.id).where(Participant.event_id == event_id, Participant.email == email)
    if participant_id is not None:
        stmt = stmt.where(Participant.id != participant_id)
    return session.exec(stmt).first() is not None


def add_participant(session: Session, event: Event, name: str, email: str, language: str, role: str) -> Participant:
    """A new participant with a personal link (the caller checked ``email_taken`` first)."""
    participant = Participant(
        event_id=event.id, name=name.strip(), email=normalise_email(email), language=language, role=role
    )
    issue_link(participant)
    session.add(participant)
    session.flush()
    return participant


def update_participant(session: Session, participant: Participant, new: dict[str, str]) -> list[str]:
    """Apply the given fields of ``EDITABLE``; return the names of those that changed."""
    values = dict(new)
    if "name" in values:
        values["name"] = values["name"].strip()
    if "email" in values:
        values["email"] = normalise_email(values["email"])
    changed = [name for name in EDITABLE if name in values and getattr(participant, name) != values[name]]
    for name in changed:
        setattr(participant, name, values[name])
    session.add(participant)
    session.flush()
    return changed
