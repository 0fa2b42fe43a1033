"""The server's own figures travel back to the page signed, and return with its results.

With several gunicorn workers the results post may reach another process than the one that
ran the peer, so the record cannot stay in memory. Signing it (HMAC with the app's secret)
lets the judge trust it wherever it lands; binding it to the participant and the run stops
a page from reusing someone else's or an older record.
"""

from __future__ import annotations

from typing import Any

from itsdangerous import BadSignature, URLSafeTimedSerializer

SALT = "preflight.network.summary"
MAX_AGE_S = 3600


def sign(secret: str, record: dict[str, Any]) -> str:
    """The record as a signed, URL-safe string."""
    return URLSafeTimedSerializer(secret, salt=SALT).dumps(record)


def verify(
    secret: str, signed: Any, participant_id: int, run_id: str, max_age_s: int = MAX_AGE_S
) -> dict[str, Any] | None:
    """The record when ``signed`` is genuine, fresh and belongs to this participant and run; else None."""
    if not isinstance(signed, str) or len(signed) > 16_384:
        return None
    try:
        record = URLSafeTimedSerializer(secret, salt=SALT).loads(signed, max_age=max_age_s)
    except BadSignature:  # also covers SignatureExpired
        return None
    if not isinstance(record, dict) or record.get("pid") != participant_id or record.get("run") != run_id:
        return None
    return record
