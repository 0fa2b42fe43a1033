"""API tokens: ``pf_`` + 32 random bytes, shown once; only SHA-256 is stored."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from functools import wraps

from flask import abort, g, jsonify, request
from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from .. import audit
from ..db import get_session
from ..models import API_SCOPES, ApiToken, StaffUser, utcnow

PREFIX = "pf_"
API_ROLES = ("admin", "agent")
# Recording every use would turn each read into a write; once a minute is enough to see which tokens live.
TOUCH_EVERY = timedelta(minutes=1)


def hash_token(token: str) -> str:
    """SHA-256 hex of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(session: Session, user: StaffUser, name: str, scope: str = "read") -> tuple[ApiToken, str]:
    """A new token for ``user`` with ``scope`` ("read" or "write"); returns the row and the token (the only
    time it exists in clear)."""
    if scope not in API_SCOPES:
        raise ValueError(f"unknown scope {scope!r}")
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        staff_user_id=user.id,
        name=name.strip()[:100] or "token",
        token_hash=hash_token(token),
        prefix=token[:10],
        scope=scope,
    )
    session.add(row)
    session.flush()
    return row, token


def revoke_token(row: ApiToken) -> None:
    """Stop a token from working."""
    if row.revoked_at is None:
        row.revoked_at = utcnow()


def authenticate(session: Session, header: str) -> tuple[ApiToken, StaffUser] | None:
    """The live token and its active owner for an ``Authorization`` header, or None."""
    scheme, _, token = (header or "").partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token.startswith(PREFIX) or len(token) > 100:
        return None
    found = session.execute(
        select(ApiToken, StaffUser)
        .join(StaffUser, StaffUser.id == ApiToken.staff_user_id)
        .where(ApiToken.token_hash == hash_token(token))
    ).first()
    if found is None or found[0].revoked_at is not None or not found[1].active:
        return None
    return found[0], found[1]


def allows(row: ApiToken, scope: str) -> bool:
    """Whether the token may be used for ``scope`` ("write" implies "read")."""
    return scope == "read" or row.scope == "write"


def _read_only():
    response = jsonify(
        error="Forbidden",
        # i18n: API error for a read-only token used to change data
        message=_("This token may only read. Create a token with the write scope to change data."),
    )
    response.status_code = 403
    return response


def token_required(view=None, *, scope: str = "read"):
    """Allow the view only with a valid bearer token of an admin or agent, of at least ``scope`` (cookies are
    ignored). Use bare (``@token_required``) for reads, ``@token_required(scope="write")`` for writes."""
    if view is None:
        return lambda v: token_required(v, scope=scope)

    @wraps(view)
    def wrapped(*args, **kwargs):
        session = get_session()
        found = authenticate(session, request.headers.get("Authorization", ""))
        if found is None:
            abort(401)
        row, user = found
        if user.role not in API_ROLES:
            abort(403)
        # Checked before the event is looked up, so a read token learns nothing about which events exist.
        if not allows(row, scope):
            abort(_read_only())
        now = utcnow()
        if row.last_used_at is None or now - row.last_used_at > TOUCH_EVERY:
            row.last_used_at = now
            session.add(row)
        g.api_user = user
        # Every API call is audited: a token can read participants' contact details in bulk, or change them.
        audit.record(f"api.{scope}", "api_token", row.id, f"{request.method} {request.path}")
        return view(*args, **kwargs)

    return wrapped
