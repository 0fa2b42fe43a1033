"""The staff side of help requests: the queue sorted by priority, one request's page and its actions."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from wtforms import SelectChoice

from ..auth.scope import event_or_404, only_visible, visible_event_ids
from ..alerts.summary import latest_runs_of, results_by_run
from ..auth import role_required
from ..dashboard.format import playbook_slug
from ..db import get_session
from ..models import HELP_STATUSES, CheckRun, Event, HelpRequest, Participant, StaffNote, StaffUser, utcnow
from . import bp
from .forms import LEVEL_LABELS, STATUS_LABELS, NoteForm, ReplyForm, UpdateForm
from .priority import PRIORITY_LABELS, priority
from .requests import QueueFilters, log, queue_page, reply, set_status

STAFF = ("admin", "agent")


def _agents(session) -> list[StaffUser]:
    return list(
        session.execute(
            select(StaffUser).where(StaffUser.active.is_(True), StaffUser.role.in_(STAFF)).order_by(StaffUser.name)
        ).scalars()
    )


@bp.get("/staff/help")
@role_required(*STAFF)
def queue():
    """Unresolved requests by priority (all events or one), or resolved ones newest first, paged."""
    session = get_session()
    status = request.args.get("status", "active")
    filters = QueueFilters(
        event_id=request.args.get("event_id", type=int),
        status=status if status in HELP_STATUSES + ("active",) else "active",
        assigned=request.args.get("assigned", ""),
        page=max(request.args.get("page", 1, type=int), 1),
    )
    result = queue_page(session, filters, current_user.id, utcnow(), visible_event_ids(session, current_user))
    events = session.execute(only_visible(select(Event)).order_by(Event.starts_at.desc()).limit(200)).scalars().all()
    context = dict(
        items=result.items,
        status=filters.status,
        event_id=filters.event_id,
        assigned=filters.assigned,
        events=events,
        page=result.page,
        pages=result.pages,
        status_labels=STATUS_LABELS,
        level_labels=LEVEL_LABELS,
        priority_labels=PRIORITY_LABELS,
    )
    return render_template("help/queue.html", **context), 200, {"Vary": "HX-Request"}


def _request_or_404(event_id: int, request_id: int) -> HelpRequest:
    event_or_404(event_id)  # agents: only their events' requests
    help_request = get_session().get(HelpRequest, request_id)
    if help_request is None or help_request.event_id != event_id:
        abort(404)
    return help_request


def _detail(help_request: HelpRequest, update_form=None, note_form=None, reply_form=None, status: int = 200):
    session = get_session()
    participant = session.get(Participant, help_request.participant_id)
    event = session.get(Event, help_request.event_id)
    run = latest_runs_of(session, [participant.id]).get(participant.id)
    asked_run = session.get(CheckRun, help_request.run_id) if help_request.run_id else None
    results = results_by_run(session, [r.id for r in (run, asked_run) if r is not None])
    history = session.execute(
        select(StaffNote, StaffUser)
        .join(StaffUser, StaffUser.id == StaffNote.author_id, isouter=True)
        .where(StaffNote.help_request_id == help_request.id)
        .order_by(StaffNote.id)
    ).all()
    agents = _agents(session)
    if update_form is None:
        update_form = UpdateForm(
            formdata=None,
            status=help_request.status,
            level=help_request.level,
            assigned_to=str(help_request.assigned_to_id or ""),
        )
    update_form.assigned_to.choices = [SelectChoice("", _("Nobody"))] + [
        SelectChoice(str(a.id), a.name) for a in agents
    ]
    prio = priority(run.overall if run else None, participant.role, utcnow(), event.starts_at, event.ends_at)
    context = dict(
        help_request=help_request,
        participant=participant,
        event=event,
        run=run,
        asked_run=asked_run,
        results=results,
        history=history,
        update_form=update_form,
        note_form=note_form or NoteForm(formdata=None),
        reply_form=reply_form or ReplyForm(formdata=None),
        priority=prio,
        priority_labels=PRIORITY_LABELS,
        status_labels=STATUS_LABELS,
        level_labels=LEVEL_LABELS,
        playbook_slug=playbook_slug,
    )
    return render_template("help/request.html", **context), status


@bp.get("/staff/events/<int:event_id>/help/<int:request_id>", endpoint="request")
@role_required(*STAFF)
def request_page(event_id: int, request_id: int):
    """One help request: the participant's message and results, history, actions."""
    return _detail(_request_or_404(event_id, request_id))


@bp.post("/staff/events/<int:event_id>/help/<int:request_id>/update")
@role_required(*STAFF)
def update(event_id: int, request_id: int):
    """Change status, escalation level or assignee (each change is logged)."""
    help_request = _request_or_404(event_id, request_id)
    form = UpdateForm()
    form.assigned_to.choices = [SelectChoice("", "")] + [
        SelectChoice(str(a.id), a.name) for a in _agents(get_session())
    ]
    if not form.validate_on_submit():
        return _detail(help_request, update_form=form, status=400)
    session = get_session()
    if form.level.data != help_request.level:
        help_request.level = form.level.data
        log(session, help_request, current_user, "system", f"escalation: {form.level.data}")
    assignee = int(form.assigned_to.data) if form.assigned_to.data else None
    if assignee != help_request.assigned_to_id:
        help_request.assigned_to_id = assignee
        name = session.get(StaffUser, assignee).name if assignee else "-"
        log(session, help_request, current_user, "system", f"assigned: {name}")
    set_status(session, help_request, current_user, form.status.data)
    help_request.updated_at = utcnow()
    session.add(help_request)
    flash(_("Help request updated."), "success")
    return redirect(url_for("help.request", event_id=event_id, request_id=request_id))


@bp.post("/staff/events/<int:event_id>/help/<int:request_id>/note")
@role_required(*STAFF)
def note(event_id: int, request_id: int):
    """Add an internal note."""
    help_request = _request_or_404(event_id, request_id)
    form = NoteForm()
    if not form.validate_on_submit():
        return _detail(help_request, note_form=form, status=400)
    log(get_session(), help_request, current_user, "note", form.body.data.strip())
    flash(_("Note added."), "success")
    return redirect(url_for("help.request", event_id=event_id, request_id=request_id))


@bp.post("/staff/events/<int:event_id>/help/<int:request_id>/reply")
@role_required(*STAFF)
def send_reply(event_id: int, request_id: int):
    """Email a reply to the participant (queued in the outbox, sent by the worker)."""
    help_request = _request_or_404(event_id, request_id)
    form = ReplyForm()
    if not form.validate_on_submit():
        return _detail(help_request, reply_form=form, status=400)
    reply(get_session(), help_request, current_user, form.body.data.strip())
    flash(_("Reply queued; it is emailed within a minute."), "success")
    return redirect(url_for("help.request", event_id=event_id, request_id=request_id))
