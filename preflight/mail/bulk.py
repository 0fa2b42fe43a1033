"""Invitations and reminders to many participants: queued by one click, sent by the worker.

Sending a thousand emails inside the request that asked for them would hold it for minutes and
lose the rest when it times out. A click instead queues one outbox row per participant who needs
the email and returns at once; the worker (``flask worker``) composes each email in its
participant's language when it sends it, with the outbox's retries and exactly-once claim, and
records the attempt in ``participant_message`` like a single send. The rows of one click share a
``batch`` id, which the event page polls for progress.

Exactly once per person: an invitation's idempotency key is the participant and their link, so a
second click (or a colleague's) queues nothing again, and a re-issued link gets its own invitation;
a reminder's key is the participant and the click, and nobody already waiting in the outbox for an
email of that kind is queued again.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, update
from sqlmodel import Session, select

from ..alerts.outbox import enqueue
from ..db import get_engine
from ..models import Event, OutboxMessage, Participant, ParticipantMessage, utcnow
from .invitations import REMINDER_GAP, compose, record_attempt
from .sender import MailError, send_message

KINDS = ("invitation", "reminder")


class SendFailed(RuntimeError):
    """The mail server did not take a queued email; the outbox tries again later."""


@dataclass
class Queued:
    """What one click queued."""

    batch: str
    queued: int
    skipped: int


@dataclass
class Progress:
    """Where a batch stands: sent, failed for good, retrying after an error, still waiting."""

    total: int = 0
    sent: int = 0
    dead: int = 0
    retrying: int = 0
    waiting: int = 0

    @property
    def done(self) -> bool:
        return self.waiting == 0 and self.retrying == 0

    @property
    def handled(self) -> int:
        return self.sent + self.dead


def _last_sent(session: Session, participant_ids: list[int], kind: str) -> dict[int, datetime]:
    rows = session.exec(
        select(ParticipantMessage.participant_id, func.max(ParticipantMessage.sent_at))
        .where(
            ParticipantMessage.participant_id.in_(participant_ids),
            ParticipantMessage.kind == kind,
            ParticipantMessage.status == "sent",
        )
        .group_by(ParticipantMessage.participant_id)
    ).all()
    return {pid: sent_at for pid, sent_at in rows if sent_at is not None}


def _waiting(session: Session, event_id: int, kind: str) -> set[int]:
    rows = session.exec(
        select(OutboxMessage.participant_id).where(
            OutboxMessage.event_id == event_id,
            OutboxMessage.kind == kind,
            OutboxMessage.status.in_(("pending", "sending")),
        )
    ).all()
    return set(rows)


def _needs(participant: Participant, kind: str, last_sent: datetime | None, now: datetime) -> bool:
    if participant.link_revoked_at is not None or participant.link_nonce is None:
        return False
    if kind == "invitation":
        return last_sent is None
    if participant.last_checked_at is not None:
        return False
    return last_sent is None or now - last_sent > REMINDER_GAP


def _key(participant: Participant, kind: str, batch: str) -> str:
    if kind == "invitation":
        return f"invitation:{participant.id}:{participant.link_nonce[:16]}"
    return f"reminder:{participant.id}:{batch}"


def queue_batch(
    session: Session,
    event: Event,
    participants: list[Participant],
    kind: str,
    *,
    again: bool = False,
    batch: str | None = None,
) -> Queued:
    """Queue ``kind`` for each participant who needs it; ``again`` queues all given (a retry).

    Runs in the caller's unit of work: the rows appear with the click's commit, all or none.
    """
    batch = batch or uuid.uuid4().hex
    ids = [p.id for p in participants]
    last_sent = _last_sent(session, ids, kind) if ids else {}
    waiting = _waiting(session, event.id, kind)
    now = utcnow()
    queued = skipped = 0
    for participant in participants:
        if participant.id in waiting or not (again or _needs(participant, kind, last_sent.get(participant.id), now)):
            skipped += 1
            continue
        key = _key(participant, kind, batch) + (f":{batch}" if again and kind == "invitation" else "")
        added = enqueue(
            session,
            key,
            kind,
            "email",
            participant.email,
            {"kind": kind},
            event_id=event.id,
            participant_id=participant.id,
            batch=batch,
        )
        queued += int(added)
        skipped += int(not added)
    return Queued(batch, queued, skipped)


def queue_failed(session: Session, event: Event) -> Queued:
    """Try again, now, every invitation or reminder of ``event`` whose last attempt failed.

    Emails the outbox is already retrying (or gave up on) are made due at once rather than queued a
    second time; failed single sends are queued. All of them share one batch, so the retry's
    progress reads as one.
    """
    batch = uuid.uuid4().hex
    ours = (OutboxMessage.event_id == event.id, OutboxMessage.kind.in_(KINDS))
    retrying = session.execute(
        update(OutboxMessage)
        .where(*ours, OutboxMessage.status == "pending", OutboxMessage.attempts > 0)
        .values(next_attempt_at=utcnow(), batch=batch)
        .execution_options(synchronize_session=False)
    ).rowcount
    revived = session.execute(
        update(OutboxMessage)
        .where(*ours, OutboxMessage.status == "dead")
        .values(status="pending", attempts=0, next_attempt_at=utcnow(), batch=batch)
        .execution_options(synchronize_session=False)
    ).rowcount
    failed = session.exec(
        select(Participant, ParticipantMessage.kind)
        .join(ParticipantMessage, ParticipantMessage.participant_id == Participant.id)
        .where(Participant.event_id == event.id, ParticipantMessage.status == "failed")
        .order_by(ParticipantMessage.id)
    ).all()
    total = Queued(batch, retrying + revived, 0)
    for kind in KINDS:
        people = [p for p, k in failed if k == kind]
        if people:  # those already in the outbox (just made due above) are skipped here
            part = queue_batch(session, event, people, kind, again=True, batch=batch)
            total.queued += part.queued
    return total


def send_queued(message: OutboxMessage) -> None:
    """Compose and send one queued invitation or reminder, and record the attempt (the worker's side).

    Raises SendFailed when the mail server refuses it, so the outbox retries it later.
    """
    with Session(get_engine(), expire_on_commit=False) as session:
        participant = session.get(Participant, message.participant_id)
        event = session.get(Event, message.event_id)
        if participant is None or event is None or participant.link_nonce is None:
            # Erased or revoked after the click: there is no one, or no link, to send.
            current_app.logger.info("outbox %s: %s no longer needed", message.id, message.kind)
            return
        try:
            email = compose(event, participant, message.kind)
            # A stable Message-ID lets a mail system drop a duplicate sent after a worker crash.
            del email["Message-ID"]
            email["Message-ID"] = f"<{message.idempotency_key.replace(':', '.')}@preflight.local>"
            send_message(email)
        except MailError as exc:
            record_attempt(session, participant, message.kind, str(exc))
            session.commit()
            raise SendFailed(str(exc)) from exc
        record_attempt(session, participant, message.kind, None)
        session.commit()


def progress(session: Session, event_id: int, batch: str) -> Progress | None:
    """Counts of one batch of ``event_id`` (None for an unknown batch)."""
    rows = session.exec(
        select(OutboxMessage.status, OutboxMessage.attempts, func.count())
        .where(OutboxMessage.event_id == event_id, OutboxMessage.batch == batch)
        .group_by(OutboxMessage.status, OutboxMessage.attempts)
    ).all()
    if not rows:
        return None
    out = Progress()
    for status, attempts, count in rows:
        out.total += count
        if status == "sent":
            out.sent += count
        elif status == "dead":
            out.dead += count
        elif status == "pending" and attempts > 0:
            out.retrying += count
        else:
            out.waiting += count
    return out
