"""Personal data in alerts: team alerts name participants, so they go when the participants go.

Participant-specific rows (survey invitations, replies) cascade with the participant; team alerts
(digests, mass alerts, help-request notices) belong to the event, so purging participants must
also scrub them. Alert rows stay, without names, so the report's alert counts remain.
"""

from __future__ import annotations

from sqlalchemy import delete, select
from sqlmodel import Session

from ..models import Alert, OutboxMessage, Participant

TEAM_KINDS = ("alert_digest", "mass_alert", "help_request")


def forget_event_people(session: Session, event_id: int) -> int:
    """After an event's participants are purged: drop its team messages, strip names from its alerts."""
    deleted = session.execute(
        delete(OutboxMessage).where(OutboxMessage.event_id == event_id, OutboxMessage.kind.in_(TEAM_KINDS))
    ).rowcount
    for alert in session.execute(select(Alert).where(Alert.event_id == event_id)).scalars():
        if alert.summary.get("participants") or alert.summary.get("participant"):
            alert.summary = {
                k: v for k, v in alert.summary.items() if k not in ("participants", "participant", "message")
            }
            session.add(alert)
    return deleted


def forget_participant(session: Session, participant: Participant) -> int:
    """Before one participant is erased: remove them from alert summaries and drop team messages naming them."""
    deleted = 0
    for message in session.execute(
        select(OutboxMessage).where(OutboxMessage.event_id == participant.event_id, OutboxMessage.kind.in_(TEAM_KINDS))
    ).scalars():
        if participant.email in str(message.payload):
            session.delete(message)
            deleted += 1
    for alert in session.execute(select(Alert).where(Alert.event_id == participant.event_id)).scalars():
        summary = dict(alert.summary)
        lines = summary.get("participants")
        if lines and any(line.get("participant_id") == participant.id for line in lines):
            summary["participants"] = [line for line in lines if line.get("participant_id") != participant.id]
            alert.summary = summary
            session.add(alert)
    session.flush()
    return deleted
