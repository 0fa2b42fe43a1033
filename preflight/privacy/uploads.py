"""Import previews (``instance/uploads/``) under retention and erasure.

An uploaded participant file waits there between preview and confirm. It holds names and
addresses, so it must not linger: a preview expires after ``PREVIEW_HOURS`` (the import page then
asks for the file again), ``purge`` deletes expired ones, and erasing a participant deletes every
waiting file that mentions their address.
"""

from __future__ import annotations

import time
from pathlib import Path

from flask import current_app

PREVIEW_HOURS = 2


def upload_dir() -> Path:
    """Where previews wait (created on demand)."""
    path = Path(current_app.instance_path) / "uploads"
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_expired(path: Path, now: float | None = None) -> bool:
    """Whether a waiting preview is older than PREVIEW_HOURS."""
    return (now or time.time()) - path.stat().st_mtime > PREVIEW_HOURS * 3600


def purge_uploads(now: float | None = None) -> int:
    """Delete expired previews; returns how many."""
    gone = 0
    for path in upload_dir().glob("*.bin"):
        if is_expired(path, now):
            path.unlink(missing_ok=True)
            gone += 1
    return gone


def forget_uploads_mentioning(email: str) -> int:
    """Delete every waiting preview that contains ``email`` (any case); returns how many."""
    needle = email.strip().lower().encode()
    if not needle:
        return 0
    gone = 0
    for path in upload_dir().glob("*.bin"):
        if needle in path.read_bytes().lower():
            path.unlink(missing_ok=True)
            gone += 1
    return gone
