"""Creating help requests and telling the team; replies to participants through the outbox."""

from __future__ import annotations

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlmodel import Session

from ..alerts.links import absolute
from ..alerts.notify import notify_team
from ..alerts.outbox import enqueue
from ..alerts.summary import check_lines, event_info, latest_runs_of, results_by_run
from ..links import participant_url
from ..models import Event, HelpRequest, Participant, StaffNote, StaffUser, utcnow

MAX_UNRESOLVED = 3


def unresolved_count(session: Session, participant: Participant) -> int:
    """How many of the participant's requests are still open or in progress."""
    return len(session.execute(
        select(HelpRequest.id).where(HelpRequest.participant_id == participant.id, HelpRequest.status != "resolved")
    ).all())


def create(session: Session, event: Event, participant: Participant, message: str, channel: str, phone: str, language: str) -> HelpRequest:
    """Store the request (with the participant's latest run) and alert the team."""
    run = latest_runs_of(session, [participant.id]).get(participant.id)
    request = HelpRequest(event_id=event.id, participant_id=participant.id, run_id=run.id if run else None, message=message.strip(),
                          channel=channel, phone=phone.strip() if channel == "phone" else "", language=language)
    session.add(request)
    session.flush()
    results = results_by_run(session, [run.id]) if run else {}
    summary = {
        "kind": "help_request",
        "event": event_info(event),
        "participant": {"id": participant.id, "name": participant.name, "email": participant.email, "role": participant.role,
                        "language": participant.language},
        "message": request.message,
        "channel": channel,
        "phone": request.phone,
        "checks": check_lines(results.get(run.id, [])) if run else [],
        "url": absolute("helpdesk.request", event_id=event.id, request_id=request.id),
        "dashboard_url": absolute("dashboard.participant", event_id=event.id, participant_id=participant.id),
    }
    notify_team(session, event, f"help:{request.id}", "help_request", summary)
    return request


def log(session: Session, request: HelpRequest, author: StaffUser | None, kind: str, body: str) -> StaffNote:
    """Add a note, reply or change record to the request's history."""
    note = StaffNote(participant_id=request.participant_id, help_request_id=request.id, author_id=author.id if author else None, kind=kind, body=body[:4000])
    session.add(note)
    session.flush()
    return note


def reply(session: Session, request: HelpRequest, author: StaffUser, body: str) -> StaffNote:
    """Record the reply and queue it by email to the participant, in the language they asked in."""
    participant = session.get(Participant, request.participant_id)
    event = session.get(Event, request.event_id)
    note = log(session, request, author, "reply", body)
    with force_locale(request.language or participant.language):
        context = {"event": event, "participant": participant, "body": body, "link": participant_url(participant), "author": author}
        payload = {
            "to_name": participant.name,
            # i18n: email subject of a support reply; %(event)s is the event name
            "subject": _("Your help request for %(event)s", event=event.name),
            "text": render_template("email/help_reply.txt", **context),
            "html": render_template("email/help_reply.html", **context),
            "reply_to": event.support_email,
        }
    enqueue(session, f"help-reply:{note.id}", "help_reply", "email", participant.email, payload, event_id=event.id, participant_id=participant.id)
    if request.status == "open":
        set_status(session, request, author, "in_progress")
    return note


def set_status(session: Session, request: HelpRequest, author: StaffUser | None, status: str) -> None:
    """Change the status, keeping resolution time and a line in the history."""
    if status == request.status:
        return
    request.status = status
    request.updated_at = utcnow()
    request.resolved_at = utcnow() if status == "resolved" else None
    session.add(request)
    log(session, request, author, "system", f"status: {status}")
