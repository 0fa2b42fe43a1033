"""Who got the survey: each participant's invitation (from the outbox) and answer."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import and_, select
from sqlmodel import Session

from ..models import Event, OutboxMessage, Participant, SurveyResponse

LIMIT = 2000


@dataclass(frozen=True)
class Recipient:
    """One participant's survey state."""

    participant: Participant
    invitation: OutboxMessage | None
    answer: SurveyResponse | None

    @property
    def state(self) -> str:
        """answered, sent, failed (given up), queued (not delivered yet) or none."""
        if self.answer is not None:
            return "answered"
        if self.invitation is None:
            return "none"
        return {"sent": "sent", "dead": "failed"}.get(self.invitation.status, "queued")


def recipients(session: Session, event: Event, limit: int = LIMIT) -> list[Recipient]:
    """The event's participants (by name) with their survey invitation and answer."""
    stmt = (
        select(Participant, OutboxMessage, SurveyResponse)
        .join(
            OutboxMessage,
            and_(OutboxMessage.participant_id == Participant.id, OutboxMessage.kind == "survey"),
            isouter=True,
        )
        .join(SurveyResponse, SurveyResponse.participant_id == Participant.id, isouter=True)
        .where(Participant.event_id == event.id)
        .order_by(Participant.name, Participant.id)
        .limit(limit)
    )
    return [Recipient(p, message, answer) for p, message, answer in session.execute(stmt).all()]


def tally(rows: list[Recipient]) -> dict[str, int]:
    """How many participants are in each state."""
    counts = dict.fromkeys(("none", "queued", "sent", "failed", "answered"), 0)
    for row in rows:
        counts[row.state] += 1
    return counts
