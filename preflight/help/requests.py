"""Help requests without Flask's request: creating them and telling the team, the queue's query, the history,
replies to participants through the outbox."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from ..alerts.links import absolute
from ..alerts.notify import notify_team
from ..alerts.outbox import enqueue
from ..alerts.summary import check_lines, event_info, latest_runs_of, results_by_run
from ..links import participant_url
from ..models import CheckRun, Event, HelpRequest, Participant, StaffNote, StaffUser, utcnow
from .priority import priority

MAX_UNRESOLVED = 3
ACTIVE_LIMIT = 500  # unresolved requests are sorted by priority in Python, so they are not paged
PAGE_SIZE = 50  # resolved requests, newest first


def unresolved_count(session: Session, participant: Participant) -> int:
    """How many of the participant's requests are still open or in progress."""
    return len(
        session.execute(
            select(HelpRequest.id).where(HelpRequest.participant_id == participant.id, HelpRequest.status != "resolved")
        ).all()
    )


def create(
    session: Session, event: Event, participant: Participant, message: str, channel: str, phone: str, language: str
) -> HelpRequest:
    """Store the request (with the participant's latest run) and alert the team."""
    run = latest_runs_of(session, [participant.id]).get(participant.id)
    request = HelpRequest(
        event_id=event.id,
        participant_id=participant.id,
        run_id=run.id if run else None,
        message=message.strip(),
        channel=channel,
        phone=phone.strip() if channel == "phone" else "",
        language=language,
    )
    session.add(request)
    session.flush()
    results = results_by_run(session, [run.id]) if run else {}
    summary = {
        "kind": "help_request",
        "event": event_info(event),
        "participant": {
            "id": participant.id,
            "name": participant.name,
            "email": participant.email,
            "role": participant.role,
            "language": participant.language,
        },
        "message": request.message,
        "channel": channel,
        "phone": request.phone,
        "checks": check_lines(results.get(run.id, [])) if run else [],
        "url": absolute("help.request", event_id=event.id, request_id=request.id),
        "dashboard_url": absolute("dashboard.participant", event_id=event.id, participant_id=participant.id),
    }
    notify_team(session, event, f"help:{request.id}", "help_request", summary)
    return request


def log(session: Session, request: HelpRequest, author: StaffUser | None, kind: str, body: str) -> StaffNote:
    """Add a note, reply or change record to the request's history."""
    note = StaffNote(
        participant_id=request.participant_id,
        help_request_id=request.id,
        author_id=author.id if author else None,
        kind=kind,
        body=body[:4000],
    )
    session.add(note)
    session.flush()
    return note


def reply(session: Session, request: HelpRequest, author: StaffUser, body: str) -> StaffNote:
    """Record the reply and queue it by email to the participant, in the language they asked in."""
    participant = session.get(Participant, request.participant_id)
    event = session.get(Event, request.event_id)
    note = log(session, request, author, "reply", body)
    with force_locale(request.language or participant.language):
        context = {
            "event": event,
            "participant": participant,
            "body": body,
            "link": participant_url(participant),
            "author": author,
        }
        payload = {
            "to_name": participant.name,
            # i18n: email subject of a support reply; %(event)s is the event name
            "subject": _("Your help request for %(event)s", event=event.name),
            "text": render_template("email/help_reply.txt", **context),
            "html": render_template("email/help_reply.html", **context),
            "reply_to": event.support_email,
        }
    enqueue(
        session,
        f"help-reply:{note.id}",
        "help_reply",
        "email",
        participant.email,
        payload,
        event_id=event.id,
        participant_id=participant.id,
    )
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


def for_participant(session: Session, participant: Participant, limit: int = 3) -> list[dict]:
    """The participant's latest requests, newest first, each with the replies sent to them."""
    requests = (
        session.execute(
            select(HelpRequest)
            .where(HelpRequest.participant_id == participant.id)
            .order_by(HelpRequest.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
    replies: dict[int, list[StaffNote]] = {}
    if requests:
        notes = session.execute(
            select(StaffNote)
            .where(StaffNote.help_request_id.in_([r.id for r in requests]), StaffNote.kind == "reply")
            .order_by(StaffNote.id)
        ).scalars()
        for note in notes:
            replies.setdefault(note.help_request_id, []).append(note)
    return [{"request": r, "replies": replies.get(r.id, [])} for r in requests]


@dataclass(frozen=True)
class QueueFilters:
    """What the queue shows: one event or all, a status ("active" = not resolved), an assignee filter, a page."""

    event_id: int | None = None
    status: str = "active"
    assigned: str = ""  # "me", "none" or "" (anybody)
    page: int = 1


@dataclass(frozen=True)
class QueuePage:
    """Rows of the queue (dicts for the template), the page shown and the number of pages."""

    items: list[dict]
    page: int
    pages: int


def queue_page(
    session: Session, filters: QueueFilters, viewer_id: int, now: datetime, event_ids: set[int] | None = None
) -> QueuePage:
    """Unresolved requests by priority (at most ACTIVE_LIMIT), or resolved ones newest first, PAGE_SIZE a page.

    ``event_ids``: only requests of these events (an agent's events); None for every event.
    """
    stmt = (
        select(HelpRequest, Participant, Event, CheckRun, StaffUser)
        .join(Participant, Participant.id == HelpRequest.participant_id)
        .join(Event, Event.id == HelpRequest.event_id)
        .join(CheckRun, CheckRun.id == HelpRequest.run_id, isouter=True)
        .join(StaffUser, StaffUser.id == HelpRequest.assigned_to_id, isouter=True)
    )
    if event_ids is not None:
        stmt = stmt.where(HelpRequest.event_id.in_(event_ids or {-1}))
    if filters.event_id:
        stmt = stmt.where(HelpRequest.event_id == filters.event_id)
    if filters.assigned == "me":
        stmt = stmt.where(HelpRequest.assigned_to_id == viewer_id)
    elif filters.assigned == "none":
        stmt = stmt.where(HelpRequest.assigned_to_id.is_(None))
    page, pages = filters.page, 1
    if filters.status == "resolved":
        stmt = stmt.where(HelpRequest.status == "resolved")
        total = session.execute(select(func.count()).select_from(stmt.subquery())).scalar_one()
        pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
        page = min(page, pages)
        rows = session.execute(
            stmt.order_by(HelpRequest.resolved_at.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
        ).all()
    else:
        if filters.status == "active":
            stmt = stmt.where(HelpRequest.status != "resolved")
        else:
            stmt = stmt.where(HelpRequest.status == filters.status)
        rows = session.execute(stmt.order_by(HelpRequest.id).limit(ACTIVE_LIMIT)).all()
    # Priority depends on the participant's *current* latest run, not the one they asked from.
    latest = latest_runs_of(session, list({p.id for _, p, _, _, _ in rows}))
    items = []
    for help_request, participant, event, run, assignee in rows:
        current = latest.get(participant.id)
        prio = priority(current.overall if current else None, participant.role, now, event.starts_at, event.ends_at)
        items.append(
            {
                "request": help_request,
                "participant": participant,
                "event": event,
                "run": current or run,
                "assignee": assignee,
                "priority": prio,
            }
        )
    if filters.status != "resolved":
        items.sort(key=lambda item: (-item["priority"].score, item["request"].created_at))
    return QueuePage(items, page, pages)
