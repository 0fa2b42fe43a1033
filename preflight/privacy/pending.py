"""Import previews (the ``pending_import`` table) under retention and erasure.

A preview holds the parsed rows (names and addresses) between preview and
confirm, never the uploaded file. It must not linger: it expires after
``PREVIEW_HOURS`` (the import page then asks for the file again), ``purge``
deletes expired ones, and erasing a participant deletes every waiting preview
that lists their address.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, delete, select

from ..models import PendingImport, utcnow

PREVIEW_HOURS = 2


def is_expired(pending: PendingImport, now: datetime | None = None) -> bool:
    """Whether a waiting preview is older than PREVIEW_HOURS."""
    return (now or utcnow()) - pending.created_at > timedelta(hours=PREVIEW_HOURS)


def purge_pending_imports(session: Session, now: datetime | None = None) -> int:
    """Delete expired previews; returns how many."""
    cutoff = (now or utcnow()) - timedelta(hours=PREVIEW_HOURS)
    result = session.exec(delete(PendingImport).where(PendingImport.created_at < cutoff))
    return result.rowcount or 0


def forget_pending_imports_listing(session: Session, email: str) -> int:
    """Delete every waiting preview with a row for ``email`` (any case); returns how many."""
    needle = email.strip().lower()
    if not needle:
        return 0
    gone = 0
    for pending in session.exec(select(PendingImport)):
        rows = pending.payload.get("rows", [])
        if any(row.get("email", "").lower() == needle for row in rows):
            session.delete(pending)
            gone += 1
    return gone
