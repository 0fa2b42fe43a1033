"""Sending one outbox message: an email through the mail module, or a JSON webhook post."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from flask import current_app

from ..mail import MailError, build_message, send_message
from ..models import OutboxMessage


class DeliveryError(RuntimeError):
    """The receiver did not take the message; the text goes to ``last_error``."""


def send_email(message: OutboxMessage) -> None:
    """Send an email whose rendered parts are in the payload."""
    payload = message.payload
    try:
        msg = build_message(payload.get("to_name", ""), message.target, payload["subject"], payload["text"], payload.get("html"),
                            reply_to=payload.get("reply_to", ""))
        # A stable Message-ID lets a mail system drop a duplicate sent after a worker crash.
        del msg["Message-ID"]
        msg["Message-ID"] = f"<{message.idempotency_key.replace(':', '.')}@preflight.local>"
        send_message(msg)
    except MailError as exc:
        raise DeliveryError(str(exc)) from exc


def post_webhook(message: OutboxMessage) -> None:
    """POST the JSON body; any status other than 2xx is a failure to retry."""
    body = json.dumps(message.payload["json"], ensure_ascii=False).encode()
    request = urllib.request.Request(
        message.target,
        data=body,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "Idempotency-Key": message.idempotency_key, "User-Agent": "Preflight-alerts/1"},
    )
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT", 10))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 - URL set by staff/config, http(s) only
            response.read(1024)
    except urllib.error.HTTPError as exc:
        exc.close()
        raise DeliveryError(f"HTTP {exc.code} {exc.reason}") from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise DeliveryError(f"{exc.__class__.__name__}: {getattr(exc, 'reason', exc)}") from exc


def deliver(message: OutboxMessage) -> None:
    """Deliver ``message`` or raise DeliveryError."""
    if message.channel == "email":
        send_email(message)
    elif message.channel == "webhook":
        if not message.target.startswith(("http://", "https://")):
            raise DeliveryError("webhook URL must start with http:// or https://")
        post_webhook(message)
    else:
        raise DeliveryError(f"unknown channel {message.channel!r}")
