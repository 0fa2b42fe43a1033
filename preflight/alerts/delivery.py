"""Sending one outbox message: an email through the mail module, or a JSON webhook post."""

from __future__ import annotations

import hashlib
import hmac
import json
import time

from flask import current_app
from sqlmodel import Session

from ..db import get_engine
from ..mail import MailError, build_message, send_message
from ..models import Event, OutboxMessage
from . import egress


class DeliveryError(RuntimeError):
    """The receiver did not take the message; the text goes to ``last_error``."""


def send_email(message: OutboxMessage) -> None:
    """Send an email whose rendered parts are in the payload."""
    payload = message.payload
    try:
        msg = build_message(
            payload.get("to_name", ""),
            message.target,
            payload["subject"],
            payload["text"],
            payload.get("html"),
            reply_to=payload.get("reply_to", ""),
        )
        # A stable Message-ID lets a mail system drop a duplicate sent after a worker crash.
        del msg["Message-ID"]
        msg["Message-ID"] = f"<{message.idempotency_key.replace(':', '.')}@preflight.local>"
        send_message(msg)
    except MailError as exc:
        raise DeliveryError(str(exc)) from exc


def signature_headers(secret: str, body: bytes, now: float | None = None) -> dict[str, str]:
    """Headers that let a receiver check a post came from this server and is recent.

    ``X-Preflight-Signature: v1=<hex HMAC-SHA256 of "<timestamp>." + body, keyed with the secret>``
    and ``X-Preflight-Timestamp`` (Unix seconds); receivers should refuse posts older than 5 minutes.
    """
    if not secret:
        return {}
    timestamp = str(int(now if now is not None else time.time()))
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256).hexdigest()
    return {"X-Preflight-Timestamp": timestamp, "X-Preflight-Signature": f"v1={digest}"}


def webhook_secret(message: OutboxMessage) -> str:
    """The signing key for this post: the event's own for its webhook, else the configured default's."""
    if message.event_id is not None:
        with Session(get_engine()) as session:
            event = session.get(Event, message.event_id)
            if event is not None and event.webhook_url and event.webhook_url.strip() == message.target:
                return event.webhook_secret or ""
    return current_app.config.get("ALERT_WEBHOOK_SECRET") or ""


def post_webhook(message: OutboxMessage) -> None:
    """POST the JSON body, signed; any status other than 2xx is a failure to retry."""
    body = json.dumps(message.payload["json"], ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json; charset=utf-8",
        "Idempotency-Key": message.idempotency_key,
        "User-Agent": "Preflight-alerts/1",
        **signature_headers(webhook_secret(message), body),
    }
    try:
        egress.post(message.target, body, headers, timeout=float(current_app.config.get("WEBHOOK_TIMEOUT", 10)))
    except egress.PostFailed as exc:
        raise DeliveryError(str(exc)) from exc


def deliver(message: OutboxMessage) -> None:
    """Deliver ``message`` or raise DeliveryError."""
    from ..mail import bulk  # bulk builds on the outbox module of this package

    if message.kind in bulk.KINDS:
        try:
            bulk.send_queued(message)
        except bulk.SendFailed as exc:
            raise DeliveryError(str(exc)) from exc
    elif message.channel == "email":
        send_email(message)
    elif message.channel == "webhook":
        post_webhook(message)
    else:
        raise DeliveryError(f"unknown channel {message.channel!r}")
