"""Dashboard pages: the event overview (with live fragments), charts and one participant's page."""

from __future__ import annotations

from datetime import timedelta

from flask import Response, abort, render_template, request
from flask_babel import format_timedelta
from sqlalchemy import select

from .. import audit
from ..alerts.heartbeat import worker_status
from ..auth.scope import event_or_404
from ..auth import role_required
from ..db import get_session
from ..extensions import htmx
from ..models import (
    CHECKS,
    PARTICIPANT_ROLES,
    CheckRun,
    Event,
    HelpRequest,
    OutboxMessage,
    Participant,
    ParticipantHandled,
    ParticipantMessage,
    StaffNote,
    StaffUser,
    utcnow,
)
from . import bp, charts
from ..results import describe
from .format import CHECK_LABELS, PROBE_LABELS, STATUS_LABELS, VERDICT_LABELS, flat_values, guide_url, playbook_slug
from .forms import ActionForm, NoteForm
from .status import STATUSES, Filters, attach_results, page, participant_status, Row
from .summary import readiness_summary

STAFF = ("admin", "agent")
RUNS_SHOWN = 20


def get_event(event_id: int) -> Event:
    """The event or 404 (also for an agent who is not a member of it)."""
    return event_or_404(event_id)


def time_left(event: Event) -> dict:
    """Where we are relative to the event: before (how long), running, or over."""
    now = utcnow()
    if now < event.starts_at:
        return {
            "state": "before",
            "text": format_timedelta(event.starts_at - now, granularity="minute", threshold=1.1, add_direction=True),
            "seconds": int((event.starts_at - now).total_seconds()),
        }
    if now < event.ends_at:
        return {"state": "running", "text": "", "seconds": 0}
    return {
        "state": "over",
        "text": format_timedelta(event.ends_at - now, granularity="minute", threshold=1.1, add_direction=True),
        "seconds": 0,
    }


def summary_context(event: Event) -> dict:
    """Readiness counts and shares, time left, open help requests."""
    session = get_session()
    # The same figures the API serves (summary.py), so dashboard and integrations agree.
    found = readiness_summary(session, event.id)
    # Alerts the team may be missing: messages of this event that failed at least once and are not sent.
    stuck = (
        session.execute(
            select(OutboxMessage.last_error)
            .where(
                OutboxMessage.event_id == event.id,
                OutboxMessage.attempts > 0,
                OutboxMessage.status.in_(("pending", "dead")),
            )
            .order_by(OutboxMessage.id.desc())
        )
        .scalars()
        .all()
    )
    worker = worker_status()
    return dict(
        event=event,
        counts=found.counts,
        shares=found.shares,
        total=found.total,
        time_left=time_left(event),
        open_help=found.open_help,
        updated=found.computed_at,
        undelivered=len(stuck),
        delivery_error=stuck[0] if stuck else "",
        worker=worker,
        worker_silent_for=format_timedelta(timedelta(seconds=worker.age_seconds or 0), threshold=1.1),
    )


def table_context(event: Event, filters: Filters) -> dict:
    """One page of participants under the filters."""
    return dict(event=event, filters=filters, result=page(get_session(), event.id, filters))


def _helpers() -> dict:
    return dict(
        status_labels=STATUS_LABELS,
        probe_labels=PROBE_LABELS,
        check_labels=CHECK_LABELS,
        verdict_labels=VERDICT_LABELS,
        guide_url=guide_url,
        playbook_slug=playbook_slug,
        flat_values=flat_values,
        figures=describe.figures,
        statuses=STATUSES,
        checks=CHECKS,
        roles=PARTICIPANT_ROLES,
    )


def _fragment(template: str, **context):
    return render_template(template, **context, **_helpers()), 200, {"Vary": "HX-Request"}


@bp.get("/dashboard")
@role_required(*STAFF)
def event(event_id: int):
    """The event's dashboard; an htmx request for ``#dash-table`` gets only the table."""
    event = get_event(event_id)
    filters = Filters.from_args(request.args)
    if htmx and htmx.target == "dash-table":
        return _fragment("dashboard/_table.html", **table_context(event, filters))
    return _fragment("dashboard/event.html", **{**summary_context(event), **table_context(event, filters)})


@bp.get("/dashboard/summary")
@role_required(*STAFF)
def summary(event_id: int):
    """The readiness summary fragment (polled)."""
    return _fragment("dashboard/_summary.html", **summary_context(get_event(event_id)))


@bp.get("/dashboard/charts")
@role_required(*STAFF)
def charts_fragment(event_id: int):
    """Chart images with their data tables: a fragment loaded after the page, or a page of its own without htmx."""
    event = get_event(event_id)
    session = get_session()
    tables = {name: data(session, event) for name, (data, _svg) in charts.CHARTS.items()}
    return _fragment("dashboard/_charts.html" if htmx else "dashboard/charts.html", event=event, tables=tables)


@bp.get("/dashboard/charts/<name>.svg")
@role_required(*STAFF)
def chart(event_id: int, name: str):
    """One chart as an SVG image."""
    if name not in charts.CHARTS:
        abort(404)
    event = get_event(event_id)
    data, svg = charts.CHARTS[name]
    response = Response(svg(data(get_session(), event)), mimetype="image/svg+xml")
    # The SVG document carries pygal's own <style>; it is an image, so allow exactly that and nothing else.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'; img-src 'self'"
    response.headers["Cache-Control"] = "private, max-age=30"
    return response


def participant_context(event: Event, participant: Participant) -> dict:
    """Everything on a participant's page: runs with results, history, help, notes, messages."""
    session = get_session()
    row = participant_status(session, participant)
    show_all = request.args.get("runs") == "all"
    stmt = select(CheckRun).where(CheckRun.participant_id == participant.id).order_by(CheckRun.id.desc())
    runs = list(session.execute(stmt if show_all else stmt.limit(RUNS_SHOWN)).scalars())
    run_rows = [Row(participant=participant, status="", run=run, handled=False) for run in runs]
    attach_results(session, run_rows)
    run_count = len(session.execute(select(CheckRun.id).where(CheckRun.participant_id == participant.id)).all())
    judged = [r for r in reversed(run_rows) if r.run.overall in ("pass", "warn", "fail")]
    guides = sorted({(r.check, r.guide) for rr in run_rows for r in rr.results if r.guide and r.verdict != "pass"})
    help_requests = (
        session.execute(
            select(HelpRequest).where(HelpRequest.participant_id == participant.id).order_by(HelpRequest.id.desc())
        )
        .scalars()
        .all()
    )
    notes = session.execute(
        select(StaffNote, StaffUser)
        .join(StaffUser, StaffUser.id == StaffNote.author_id, isouter=True)
        .where(StaffNote.participant_id == participant.id)
        .order_by(StaffNote.id.desc())
        .limit(100)
    ).all()
    messages = (
        session.execute(
            select(ParticipantMessage)
            .where(ParticipantMessage.participant_id == participant.id)
            .order_by(ParticipantMessage.id.desc())
        )
        .scalars()
        .all()
    )
    handled = session.get(ParticipantHandled, participant.id)
    handled_by = session.get(StaffUser, handled.handled_by_id) if handled and handled.handled_by_id else None
    return dict(
        event=event,
        participant=participant,
        row=row,
        runs=run_rows,
        run_count=run_count,
        show_all=show_all,
        judged=judged,
        trend=trend(judged),
        guides=guides,
        help_requests=help_requests,
        notes=notes,
        messages=messages,
        handled=handled,
        handled_by=handled_by,
        action_form=ActionForm(),
        note_form=NoteForm(formdata=None),
    )


def trend(judged: list[Row]) -> str:
    """improved / worse / same / single / none, comparing the first and latest judged runs."""
    if not judged:
        return "none"
    if len(judged) == 1:
        return "single"
    order = {"fail": 0, "warn": 1, "pass": 2}
    first, last = order[judged[0].run.overall], order[judged[-1].run.overall]
    return "improved" if last > first else "worse" if last < first else "same"


def get_participant(event: Event, participant_id: int) -> Participant:
    """The participant of this event or 404."""
    participant = get_session().get(Participant, participant_id)
    if participant is None or participant.event_id != event.id:
        abort(404)
    return participant


@bp.get("/dashboard/participants/<int:participant_id>")
@role_required(*STAFF)
def participant(event_id: int, participant_id: int):
    """One participant: every run with raw values and verdicts, history, guides, help, notes, actions."""
    event = get_event(event_id)
    found = get_participant(event, participant_id)
    audit.record("participant.view", "participant", found.id)
    return _fragment("dashboard/participant.html", **participant_context(event, found))
