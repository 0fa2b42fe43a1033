"""Signed, expiring, single-use links to set a password (invitation or reset).

The token (itsdangerous, signed with the app's secret key) names the account and a *stamp* of its
current password hash and session version. Setting a password, a second reset or deactivating the
account changes the stamp, so a link works once and dies with any of those; ``max_age`` makes it
expire.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from flask import current_app
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlmodel import Session

from ..models import StaffUser

SALT = "preflight-staff-password-link"
MAX_AGE = {"invite": timedelta(days=7), "reset": timedelta(hours=1)}


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def stamp(user: StaffUser) -> str:
    """Changes whenever the password or the session version changes."""
    return hashlib.sha256(f"{user.password_hash}:{user.session_version}:{user.active}".encode()).hexdigest()[:20]


def make_token(user: StaffUser, purpose: str) -> str:
    """A link token for ``purpose`` ("invite" or "reset")."""
    return _serializer().dumps({"u": user.id, "s": stamp(user), "p": purpose})


def read_token(session: Session, token: str, purpose: str) -> StaffUser | None:
    """The active account the token was made for, or None (bad, expired, used or for another purpose)."""
    try:
        data = _serializer().loads(token, max_age=int(MAX_AGE[purpose].total_seconds()))
    except BadSignature:  # SignatureExpired is a BadSignature
        return None
    if not isinstance(data, dict) or data.get("p") != purpose or not isinstance(data.get("u"), int):
        return None
    user = session.get(StaffUser, data["u"])
    if user is None or not user.active or data.get("s") != stamp(user):
        return None
    return user
