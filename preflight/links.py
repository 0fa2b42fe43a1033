"""Personal links: creation, lookup, revocation and expiry.

Each participant gets a random 128-bit nonce; the link token is
HMAC-SHA256(secret key, nonce), base64url, and only SHA-256(token) is
searchable. A copy of the database alone therefore yields no working link,
while the server can still show a participant's link to staff (copy, CSV
export, emails) without ever storing the token itself.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from flask import current_app
from sqlmodel import Session, select

from .models import Event, Participant, utcnow

NONCE_BYTES = 16  # 128 bits of randomness per link
TOKEN_MAX_LEN = 64


def _secret() -> bytes:
    return current_app.config["SECRET_KEY"].encode()


def token_for_nonce(nonce: str) -> str:
    """The link token derived from a participant's nonce."""
    digest = hmac.new(_secret(), b"link:" + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def hash_token(token: str) -> str:
    """What is stored and searched: SHA-256 of the token, hex."""
    return hashlib.sha256(token.encode()).hexdigest()


def issue_link(participant: Participant) -> str:
    """Give ``participant`` a new link (revoking any previous one); return its token."""
    participant.link_nonce = secrets.token_hex(NONCE_BYTES)
    token = token_for_nonce(participant.link_nonce)
    participant.token_hash = hash_token(token)
    participant.link_created_at = utcnow()
    participant.link_revoked_at = None
    return token


def revoke_link(participant: Participant) -> None:
    """Make the participant's link stop working (the nonce is kept out of reach)."""
    participant.link_revoked_at = utcnow()


def current_token(participant: Participant) -> str | None:
    """The participant's working token, or None when revoked or never issued."""
    if participant.link_nonce is None or participant.link_revoked_at is not None:
        return None
    return token_for_nonce(participant.link_nonce)


def participant_url(participant: Participant) -> str | None:
    """The absolute personal link, built on the configured public base URL."""
    token = current_token(participant)
    if token is None:
        return None
    # Built by hand rather than url_for so it also works outside a request (CLI, worker).
    return f"{current_app.config['BASE_URL'].rstrip('/')}/c/{token}"


def link_expires_at(event: Event) -> datetime:
    """When links of ``event`` stop working."""
    return event.ends_at + timedelta(days=current_app.config["LINK_TTL_DAYS"])


class LinkState(str, Enum):
    """Outcome of looking a token up."""

    ok = "ok"
    unknown = "unknown"
    revoked = "revoked"
    expired = "expired"


@dataclass
class LinkLookup:
    """A token lookup: its state and, when known, whom and which event it belongs to."""

    state: LinkState
    participant: Participant | None = None
    event: Event | None = None


def lookup(session: Session, token: str) -> LinkLookup:
    """Resolve a token from a URL; never raises on garbage."""
    if not token or len(token) > TOKEN_MAX_LEN:
        return LinkLookup(LinkState.unknown)
    participant = session.exec(select(Participant).where(Participant.token_hash == hash_token(token))).first()
    if participant is None:
        return LinkLookup(LinkState.unknown)
    event = session.get(Event, participant.event_id)
    if participant.link_revoked_at is not None:
        return LinkLookup(LinkState.revoked, participant, event)
    if utcnow() > link_expires_at(event):
        return LinkLookup(LinkState.expired, participant, event)
    return LinkLookup(LinkState.ok, participant, event)
