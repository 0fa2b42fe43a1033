"""Queue one alert to the support team: email to the event's support address and the webhook."""

from __future__ import annotations

from flask import current_app
from sqlmodel import Session

from ..models import Event
from .compose import render, webhook_body
from .outbox import enqueue


def webhook_url(event: Event) -> str:
    """The event's own webhook, else the configured default (may be empty)."""
    return (event.webhook_url or current_app.config.get("ALERT_WEBHOOK_URL") or "").strip()


def notify_team(session: Session, event: Event, key: str, kind: str, summary: dict) -> int:
    """Queue the email and the webhook post for ``summary``; returns how many messages were queued."""
    rendered = render(summary)
    queued = 0
    if event.support_email:
        payload = {"to_name": "", "subject": rendered["subject"], "text": rendered["text"], "html": rendered["html"]}
        queued += enqueue(session, f"{key}:email", kind, "email", event.support_email, payload, event_id=event.id)
    url = webhook_url(event)
    if url:
        queued += enqueue(
            session,
            f"{key}:webhook",
            kind,
            "webhook",
            url,
            {"json": webhook_body(url, summary, rendered)},
            event_id=event.id,
        )
    return queued
