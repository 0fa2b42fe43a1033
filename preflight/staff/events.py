"""Events: list, create, edit, and the event page with its participants."""

from __future__ import annotations

import hashlib
import secrets
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, or_
from sqlmodel import select

from .. import audit
from ..alerts.heartbeat import worker_status
from ..auth import role_required
from ..auth.scope import add_member, event_or_404, only_visible
from ..db import get_session
from ..extensions import htmx
from ..i18n import available_locales
from ..mail.bulk import progress
from ..models import Event, Participant, ParticipantMessage
from ..templating import LANGUAGE_NAMES
from . import bp
from .forms import ActionForm, EventForm, ParticipantForm

PAGE_SIZE = 50
STAFF = ("admin", "agent")


def language_choices():
    """(code, name) for every shipped locale."""
    return [(code, LANGUAGE_NAMES.get(code, code)) for code in available_locales()]


def get_event_or_404(event_id: int) -> Event:
    """The event, or a 404 (also for an agent who is not a member of it)."""
    event = event_or_404(event_id)
    g.display_timezone = event.timezone
    return event


@bp.get("/")
@role_required(*STAFF)
def events():
    """All events, soonest first, with participant counts."""
    session = get_session()
    rows = session.exec(
        only_visible(select(Event, func.count(Participant.id)))
        .join(Participant, Participant.event_id == Event.id, isouter=True)
        .group_by(Event.id)
        .order_by(Event.starts_at.desc())
    ).all()
    return render_template("staff/events.html", rows=rows)


# Where alerts and participants' questions go: a change is audited with its old and new value.
AUDITED_CONTACTS = ("support_email", "support_phone", "support_chat_url", "webhook_url")


def _fill_event(form: EventForm, event: Event) -> dict[str, tuple[str, str]]:
    """Copy the form into ``event``; returns the support/alert addresses that changed (old, new)."""
    event.name = form.name.data.strip()
    event.timezone = form.timezone.data
    event.starts_at = form.aware(form.starts_at.data)
    event.ends_at = form.aware(form.ends_at.data)
    event.platform = form.platform.data
    event.default_role = form.default_role.data
    event.default_language = form.default_language.data
    for name in ("latency_alert_ms", "latency_alert_participants", "latency_alert_minutes"):
        if getattr(form, name).data is not None:
            setattr(event, name, getattr(form, name).data)
    before = {key: getattr(event, key) or "" for key in AUDITED_CONTACTS}
    event.support_email = (form.support_email.data or "").strip()
    event.support_phone = (form.support_phone.data or "").strip()
    event.support_chat_url = (form.support_chat_url.data or "").strip()
    event.webhook_url = (form.webhook_url.data or "").strip()
    if event.webhook_url and (not event.webhook_secret or event.webhook_url != before["webhook_url"]):
        event.webhook_secret = secrets.token_urlsafe(32)  # a new receiver gets its own key
    return {key: (old, getattr(event, key)) for key, old in before.items() if old != getattr(event, key)}


def _shown(key: str, value: str) -> str:
    # A webhook URL's path is often its only credential (Slack, Teams): keep the host and a fingerprint.
    if key == "webhook_url" and value:
        parts = urlsplit(value)
        return f"{parts.scheme}://{parts.hostname}/... ({hashlib.sha256(value.encode()).hexdigest()[:8]})"
    return value or "-"


def _audit_contact_changes(event: Event, changes: dict[str, tuple[str, str]]) -> None:
    for key, (old, new) in changes.items():
        audit.record(f"event.{key}", "event", event.id, f"{_shown(key, old)} -> {_shown(key, new)}")


@bp.route("/events/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new_event():
    """Create an event."""
    form = EventForm()
    form.default_language.choices = language_choices()
    if form.validate_on_submit():
        event = Event(name="", starts_at=form.aware(form.starts_at.data), ends_at=form.aware(form.ends_at.data))
        changes = _fill_event(form, event)
        session = get_session()
        session.add(event)
        session.flush()
        audit.record("event.create", "event", event.id, event.name)
        _audit_contact_changes(event, changes)
        if current_user.role != "admin":
            add_member(session, event.id, current_user.id)  # an agent can work on the event they created
        flash(_("Event created."), "success")
        return redirect(url_for("staff.event", event_id=event.id))
    return render_template("staff/event_form.html", form=form, event=None), 400 if form.errors else 200


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_event(event_id: int):
    """Edit an event."""
    event = get_event_or_404(event_id)
    form = EventForm(obj=event)
    form.default_language.choices = language_choices()
    if request.method == "GET":
        zone = ZoneInfo(event.timezone)
        form.starts_at.data = event.starts_at.astimezone(zone).replace(tzinfo=None)
        form.ends_at.data = event.ends_at.astimezone(zone).replace(tzinfo=None)
    if form.validate_on_submit():
        changes = _fill_event(form, event)
        audit.record("event.update", "event", event.id, event.name)
        _audit_contact_changes(event, changes)
        flash(_("Event saved."), "success")
        return redirect(url_for("staff.event", event_id=event.id))
    return render_template("staff/event_form.html", form=form, event=event), 400 if form.errors else 200


def participant_query(event: Event, q: str):
    """Participants of ``event`` matching the search text."""
    stmt = select(Participant).where(Participant.event_id == event.id)
    if q:
        like = f"%{q.lower()}%"
        stmt = stmt.where(or_(func.lower(Participant.name).like(like), func.lower(Participant.email).like(like)))
    return stmt


@bp.get("/events/<int:event_id>")
@role_required(*STAFF)
def event(event_id: int):
    """The event page; with ``HX-Request`` only the participant table (search and paging)."""
    event = get_event_or_404(event_id)
    session = get_session()
    q = request.args.get("q", "").strip()[:100]
    page = max(request.args.get("page", 1, type=int), 1)
    stmt = participant_query(event, q)
    total = session.exec(select(func.count()).select_from(stmt.subquery())).one()
    participants = session.exec(
        stmt.order_by(Participant.name, Participant.id).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    messages = _latest_messages(session, [p.id for p in participants])
    batch = request.args.get("sending", "")[:40]
    sending = progress(session, event.id, batch) if batch else None
    context = dict(
        sending=sending,
        batch=batch,
        worker=worker_status() if sending else None,
        event=event,
        participants=participants,
        messages=messages,
        q=q,
        page=page,
        pages=max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1),
        total=total,
        action_form=ActionForm(),
        add_form=_add_form(event),
        agents=_agents_for(session, event) if current_user.role == "admin" else [],
    )
    template = "staff/_participants.html" if htmx and htmx.target == "participants" else "staff/event.html"
    response = render_template(template, **context)
    return response, 200, {"Vary": "HX-Request"}


def _agents_for(session, event: Event):
    from .members import agents_with_membership  # members builds on this module

    return agents_with_membership(session, event.id)


def _add_form(event: Event) -> ParticipantForm:
    form = ParticipantForm(prefix="add")
    form.language.choices = language_choices()
    if not form.is_submitted():
        form.language.data = event.default_language
        form.role.data = event.default_role
    return form


def _latest_messages(session, participant_ids: list[int]) -> dict[int, dict[str, ParticipantMessage]]:
    """For each participant, the latest message of each kind."""
    if not participant_ids:
        return {}
    found: dict[int, dict[str, ParticipantMessage]] = {}
    rows = session.exec(
        select(ParticipantMessage)
        .where(ParticipantMessage.participant_id.in_(participant_ids))
        .order_by(ParticipantMessage.id)
    )
    for message in rows:
        found.setdefault(message.participant_id, {})[message.kind] = message
    return found


@bp.get("/translator")
@role_required("translator", "admin")
def translator_home():
    """Landing page for translators (no participant data here)."""
    return render_template("staff/translator_home.html")
