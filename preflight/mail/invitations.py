"""Invitations and reminders to participants, in each participant's language.

Every attempt is recorded in ``participant_message``. One participant's email is
sent at once (``send_now``); a whole event's go through the outbox
(``preflight.mail.bulk``), which skips a participant who already has a sent
invitation and sends a reminder only to participants who have not run the check
and have not had one in the last ``REMINDER_GAP``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import render_template
from babel.dates import format_date, format_time, get_timezone_name
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from sqlmodel import Session, select

from ..links import participant_url
from ..models import Event, Participant, ParticipantMessage, utcnow
from .calendar import invitation_calendar
from .sender import MailError, build_message, send_message

REMINDER_GAP = timedelta(hours=12)


@dataclass
class SendReport:
    """What a send run did."""

    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def count(self, participant: Participant, record: ParticipantMessage) -> None:
        """Tally one attempt."""
        if record.status == "sent":
            self.sent += 1
        else:
            self.failed += 1
            self.errors.append(f"{participant.email}: {record.last_error}")


def event_start(event: Event) -> str:
    """When the event starts, in its own time zone, as a reader of the current locale writes it:
    date, time without seconds, and the zone's name ("Sunday 10 January 2027, 10:00, Central
    European Time")."""
    # Babel directly, not Flask-Babel's helpers: those would convert to the viewer's time zone.
    zone = ZoneInfo(event.timezone)
    local, locale = event.starts_at.astimezone(zone), get_locale()
    date = format_date(local, "full", locale=locale)
    time = format_time(local, "short", tzinfo=zone, locale=locale)
    name = get_timezone_name(local, width="long", uncommon=False, locale=locale)
    # i18n: when an event starts in its own time zone; e.g. "Sunday 10 January 2027, 10:00, Central European Time"
    return _("%(date)s, %(time)s, %(zone)s", date=date, time=time, zone=name)


def compose(event: Event, participant: Participant, kind: str):
    """The localised email for ``participant`` (an invitation carries the event as an .ics entry)."""
    with force_locale(participant.language):
        link = participant_url(participant)
        context = {
            "event": event,
            "participant": participant,
            "link": link,
            "starts": event_start(event),
            "kind": kind,
        }
        if kind == "reminder":
            # i18n: email subject; %(event)s is the event name
            subject = _("Reminder: check your setup for %(event)s", event=event.name)
        else:
            # i18n: email subject; %(event)s is the event name
            subject = _("Check your camera, microphone and connection for %(event)s", event=event.name)
        text = render_template("email/invitation.txt", **context)
        html = render_template("email/invitation.html", **context)
        # No calendar entry without a working link (a revoked one): it would point nowhere.
        calendar = invitation_calendar(event, participant, link) if kind != "reminder" and link else None
    message = build_message(participant.name, participant.email, subject, text, html, reply_to=event.support_email)
    if calendar is not None:
        message.add_attachment(calendar, subtype="calendar", filename="event.ics", params={"method": "PUBLISH"})
    return message


def record_attempt(session: Session, participant: Participant, kind: str, error: str | None) -> ParticipantMessage:
    """Record one attempt at ``kind`` for ``participant``: sent, or failed with ``error``.

    A failed earlier attempt is updated rather than joined by a second row, so the participant's
    history shows one line per email.
    """
    record = session.exec(
        select(ParticipantMessage).where(
            ParticipantMessage.participant_id == participant.id,
            ParticipantMessage.kind == kind,
            ParticipantMessage.status == "failed",
        )
    ).first() or ParticipantMessage(participant_id=participant.id, kind=kind)
    record.attempts += 1
    if error is None:
        record.status = "sent"
        record.sent_at = utcnow()
        record.last_error = ""
    else:
        record.status = "failed"
        record.last_error = error[:500]
    session.add(record)
    session.flush()
    return record


def send_one(session: Session, event: Event, participant: Participant, kind: str) -> ParticipantMessage:
    """Send one email now and record the attempt (committed by the caller's unit of work)."""
    try:
        send_message(compose(event, participant, kind))
    except MailError as exc:
        return record_attempt(session, participant, kind, str(exc))
    return record_attempt(session, participant, kind, None)


def send_now(session: Session, event: Event, participants: list[Participant], kind: str) -> SendReport:
    """Send ``kind`` to each of ``participants`` now, on purpose (a staff member's resend to one person).

    Many participants go through the outbox instead (``preflight.mail.bulk``).
    """
    report = SendReport()
    for participant in participants:
        report.count(participant, send_one(session, event, participant, kind))
    return report
