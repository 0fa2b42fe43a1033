"""The outbox: queue a message once, claim it safely, record each delivery attempt.

At most one worker holds a row at a time: a claim sets ``status='sending'``, a
random ``claim`` token and a lease; on PostgreSQL the candidate rows are picked
``FOR UPDATE SKIP LOCKED`` so concurrent workers take different rows, on SQLite
the single writer lock serialises the claiming UPDATE. A worker that dies keeps
its rows only until the lease ends. Delivery results are written back only by
the claim holder, so a message is delivered once (an email carries a Message-ID
and a webhook an ``Idempotency-Key`` derived from the key, for receivers that
deduplicate after a crash between sending and recording).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from flask import current_app
from sqlalchemy import and_, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, SQLModel

from ..models import OutboxMessage, utcnow

BATCH = 10


def insert_ignore(session: Session, row: SQLModel, *conflict_columns: str) -> bool:
    """INSERT ``row`` unless it collides on ``conflict_columns``; True when inserted.

    ON CONFLICT DO NOTHING instead of catching IntegrityError: a failed INSERT
    would otherwise abort the caller's whole transaction.
    """
    table = type(row).__table__
    values = {k: v for k, v in row.model_dump().items() if k in table.c and not (k == "id" and v is None)}
    dialect = session.get_bind().dialect.name
    module = postgresql if dialect == "postgresql" else sqlite
    stmt = module.insert(table).values(**values).on_conflict_do_nothing(index_elements=list(conflict_columns))
    # RETURNING, not rowcount: drivers report rowcount differently for INSERT .. ON CONFLICT.
    return session.execute(stmt.returning(*table.primary_key.columns)).first() is not None


def enqueue(
    session: Session,
    key: str,
    kind: str,
    channel: str,
    target: str,
    payload: dict,
    *,
    event_id: int | None = None,
    participant_id: int | None = None,
    batch: str | None = None,
) -> bool:
    """Queue one message under an idempotency key; queuing the same key again does nothing."""
    if not target:
        return False
    message = OutboxMessage(
        idempotency_key=key[:120],
        kind=kind,
        channel=channel,
        target=target[:500],
        payload=payload,
        event_id=event_id,
        participant_id=participant_id,
        batch=batch,
    )
    return insert_ignore(session, message, "idempotency_key")


def _due(now):
    return or_(
        and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
        and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now),
    )


def lease_seconds(batch: int) -> int:
    """Long enough for every message of a batch to hit its network timeout, with a margin."""
    return batch * (int(current_app.config["SMTP_TIMEOUT"]) + int(current_app.config.get("WEBHOOK_TIMEOUT", 10))) + 60


def claim(session: Session, limit: int = BATCH) -> list[OutboxMessage]:
    """Take up to ``limit`` due messages for this worker (commits the claim)."""
    now = utcnow()
    token = uuid.uuid4().hex
    # Pick the ids first, then update exactly those: as a subquery of the UPDATE, PostgreSQL may
    # run the LIMIT ... SKIP LOCKED select more than once and claim far more rows than ``limit``
    # (a lease sized for ten messages holding a thousand). The picked rows stay locked until commit.
    picked = list(
        session.execute(
            select(OutboxMessage.id)
            .where(_due(now))
            .order_by(OutboxMessage.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        ).scalars()
    )
    if not picked:
        session.commit()
        return []
    session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id.in_(picked), _due(now))
        .values(status="sending", claim=token, lease_until=now + timedelta(seconds=lease_seconds(limit)))
        .execution_options(synchronize_session=False)
    )
    session.commit()
    # populate_existing: a row this session saw before must show the claim just written, not its old copy.
    rows = session.execute(
        select(OutboxMessage)
        .where(OutboxMessage.claim == token)
        .order_by(OutboxMessage.id)
        .execution_options(populate_existing=True)
    )
    return list(rows.scalars())


def backoff(attempts: int) -> timedelta:
    """Delay before the next attempt: doubling from OUTBOX_RETRY_SECONDS, capped at an hour."""
    base = float(current_app.config.get("OUTBOX_RETRY_SECONDS", 30))
    return timedelta(
        seconds=min(base * 2 ** max(attempts - 1, 0), float(current_app.config.get("OUTBOX_RETRY_MAX_SECONDS", 3600)))
    )


def record(session: Session, message: OutboxMessage, error: str | None) -> bool:
    """Write the outcome of one attempt, only if this worker still holds the claim."""
    now = utcnow()
    attempts = message.attempts + 1
    values: dict = {"attempts": attempts, "claim": None, "lease_until": None}
    if error is None:
        values.update(status="sent", sent_at=now, last_error="")
    else:
        dead = attempts >= int(current_app.config.get("OUTBOX_MAX_ATTEMPTS", 25))
        values.update(
            status="dead" if dead else "pending", next_attempt_at=now + backoff(attempts), last_error=error[:500]
        )
    done = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.id == message.id, OutboxMessage.claim == message.claim)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    session.commit()
    return done == 1


def requeue_dead(session: Session, event_id: int | None = None) -> int:
    """Give dead messages a fresh round of attempts (after fixing the mail server or webhook)."""
    stmt = update(OutboxMessage).where(OutboxMessage.status == "dead")
    if event_id is not None:
        stmt = stmt.where(OutboxMessage.event_id == event_id)
    count = session.execute(
        stmt.values(status="pending", attempts=0, next_attempt_at=utcnow()).execution_options(synchronize_session=False)
    ).rowcount
    return count
