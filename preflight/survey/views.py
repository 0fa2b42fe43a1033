"""The staff's survey page: whether and when the event's survey goes out, and who got it."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from .. import audit
from ..auth import role_required
from ..db import get_session
from ..models import Event, utcnow
from ..staff.events import get_event_or_404
from . import bp
from .forms import ScheduleForm
from .invitations import owed_count
from .recipients import recipients, tally

STAFF = ("admin", "agent")
PROPOSED_DELAY = timedelta(hours=2)  # what the form suggests: people have left the call, the event is fresh


def _page(event: Event, form: ScheduleForm, status: int = 200, confirm_count: int | None = None):
    session = get_session()
    rows = recipients(session, event)
    context = dict(
        event=event,
        form=form,
        rows=rows,
        counts=tally(rows),
        owed=owed_count(session, event),
        now=utcnow(),
        confirm_count=confirm_count,
    )
    return render_template("survey/staff.html", **context), status


@bp.route("/events/<int:event_id>/survey", methods=["GET", "POST"])
@role_required(*STAFF)
def schedule(event_id: int):
    """Show and change the survey schedule; a time already past that would email people at once needs a tick."""
    event = get_event_or_404(event_id)
    zone = ZoneInfo(event.timezone)
    form = ScheduleForm()
    if not form.is_submitted():
        form.mode.data = "at" if event.survey_send_at else "off"
        proposal = event.survey_send_at or event.ends_at + PROPOSED_DELAY
        form.send_at.data = proposal.astimezone(zone).replace(tzinfo=None)
        return _page(event, form)
    if not form.validate():
        return _page(event, form, 400)
    session = get_session()
    if form.mode.data == "off":
        event.survey_send_at = None
        session.add(event)
        audit.record("survey.schedule", "event", event.id, "off")
        flash(_("The survey will not be sent."), "success")
        return redirect(url_for("survey.schedule", event_id=event.id))
    if form.send_at.data is None:
        form.send_at.errors = [_("Choose when the survey is sent.")]
        return _page(event, form, 400)
    send_at = form.send_at.data.replace(tzinfo=zone)
    if send_at < event.ends_at:
        form.send_at.errors = [_("The survey can only be sent after the event ends.")]
        return _page(event, form, 400)
    owed = owed_count(session, event)
    if send_at <= utcnow() and owed and not form.confirm.data:
        # Never a silent mass send: a time already past emails everyone owed at the worker's next pass.
        return _page(event, form, 409, confirm_count=owed)
    event.survey_send_at = send_at
    session.add(event)
    audit.record("survey.schedule", "event", event.id, send_at.isoformat())
    if send_at <= utcnow():
        flash(
            ngettext(
                "The survey is being sent to %(num)d participant.",
                "The survey is being sent to %(num)d participants.",
                owed,
            ),
            "success",
        )
    else:
        flash(_("Survey scheduled."), "success")
    return redirect(url_for("survey.schedule", event_id=event.id))
