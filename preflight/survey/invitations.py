"""Survey invitations: queued by the worker once per participant, at the time staff chose.

An event's survey goes out when its ``survey_send_at`` has passed (staff set it on the survey
page; None means no survey), never before the event's end, and not once the time is older than
the link lifetime (the survey is reached through the personal link, which expires
``LINK_TTL_DAYS`` after the end). Only participants with a working link who have not been
invited and have not answered yet get one.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import exists, func, select
from sqlmodel import Session

from ..alerts.outbox import enqueue
from ..db import session_scope
from ..links import current_token
from ..models import Event, OutboxMessage, Participant, SurveyResponse

BATCH = 200


def survey_url(participant: Participant) -> str | None:
    """The participant's absolute survey link, or None when their link no longer works."""
    token = current_token(participant)
    if token is None:
        return None
    return current_app.config["BASE_URL"].rstrip("/") + url_for("participant.survey", token=token)


def compose(event: Event, participant: Participant, link: str) -> dict:
    """The localised invitation (subject, text, html)."""
    with force_locale(participant.language):
        context = {"event": event, "participant": participant, "link": link}
        return {
            "to_name": participant.name,
            # i18n: email subject after the event; %(event)s is the event name
            "subject": _("How did the technical preparation for %(event)s go?", event=event.name),
            "text": render_template("email/survey.txt", **context),
            "html": render_template("email/survey.html", **context),
            "reply_to": event.support_email,
        }


def _owed():
    """Conditions on Participant: a working link, not invited, not answered."""
    invited = exists().where(OutboxMessage.participant_id == Participant.id, OutboxMessage.kind == "survey")
    answered = exists().where(SurveyResponse.participant_id == Participant.id)
    return (Participant.link_nonce.is_not(None), Participant.link_revoked_at.is_(None), ~invited, ~answered)


def pending(session: Session, now: datetime, limit: int = BATCH):
    """(event, participant) pairs owed an invitation now."""
    ttl = timedelta(days=int(current_app.config["LINK_TTL_DAYS"]))
    stmt = (
        select(Event, Participant)
        .join(Participant, Participant.event_id == Event.id)
        .where(
            Event.survey_send_at.is_not(None),
            Event.survey_send_at <= now,
            Event.survey_send_at > now - ttl,
            Event.ends_at <= now,
        )
        .where(*_owed())
        .order_by(Participant.id)
        .limit(limit)
    )
    return session.execute(stmt).all()


def owed_count(session: Session, event: Event) -> int:
    """How many of the event's participants would get the survey when it goes out."""
    stmt = select(func.count()).select_from(Participant).where(Participant.event_id == event.id, *_owed())
    return session.execute(stmt).scalar_one()


def queue_survey_invitations(now: datetime) -> int:
    """Queue invitations for every participant owed one; returns how many were queued."""
    queued = 0
    with session_scope() as session:
        for event, participant in pending(session, now):
            link = survey_url(participant)
            if link is None:
                continue
            queued += enqueue(
                session,
                f"survey:{participant.id}",
                "survey",
                "email",
                participant.email,
                compose(event, participant, link),
                event_id=event.id,
                participant_id=participant.id,
            )
    return queued
