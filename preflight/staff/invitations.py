"""Sending invitations, reminders and retries from the event page.

A whole event's emails are queued in the outbox and sent by the worker (``preflight.mail.bulk``):
the click returns at once and the page follows the batch's progress. One participant's email is
sent at once.
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlmodel import select

from .. import audit
from ..alerts.heartbeat import worker_status
from ..auth import role_required
from ..db import get_session
from ..mail.bulk import KINDS, Progress, Queued, progress, queue_batch, queue_failed
from ..mail.invitations import send_now
from ..models import Participant
from . import bp
from .events import STAFF, get_event_or_404
from .forms import ActionForm
from .participants import get_participant_or_404


def _flash_queued(queued: Queued) -> None:
    if queued.queued:
        # i18n: after a click on "Send invitations"/"Send reminders"; the emails go out in the background
        flash(
            ngettext(
                "%(num)d email queued: it goes out in the background.",
                "%(num)d emails queued: they go out in the background.",
                queued.queued,
            ),
            "success",
        )
    else:
        flash(_("Nobody needs this email now (already sent, queued or not needed)."), "info")


def _after_queueing(event_id: int, queued: Queued):
    if not queued.queued:
        return redirect(url_for("staff.event", event_id=event_id))
    return redirect(url_for("staff.event", event_id=event_id, sending=queued.batch) + "#sending")


@bp.post("/events/<int:event_id>/send/<kind>")
@role_required(*STAFF)
def send(event_id: int, kind: str):
    """Queue invitations (to those not yet invited) or reminders (to those who have not run the check)."""
    if kind not in KINDS or not ActionForm().validate_on_submit():
        abort(400)
    event = get_event_or_404(event_id)
    session = get_session()
    participants = session.exec(
        select(Participant).where(Participant.event_id == event.id).order_by(Participant.id)
    ).all()
    queued = queue_batch(session, event, list(participants), kind)
    audit.record(f"email.{kind}", "event", event.id, f"{queued.queued} queued, {queued.skipped} skipped")
    _flash_queued(queued)
    return _after_queueing(event.id, queued)


@bp.post("/events/<int:event_id>/retry")
@role_required(*STAFF)
def retry(event_id: int):
    """Queue again every email that failed."""
    if not ActionForm().validate_on_submit():
        abort(400)
    event = get_event_or_404(event_id)
    queued = queue_failed(get_session(), event)
    audit.record("email.retry", "event", event.id, f"{queued.queued} queued")
    _flash_queued(queued)
    return _after_queueing(event.id, queued)


@bp.get("/events/<int:event_id>/sending/<batch>")
@role_required(*STAFF)
def sending(event_id: int, batch: str):
    """The progress of one batch of emails (polled by the event page while it runs)."""
    event = get_event_or_404(event_id)
    # An unknown batch (purged, erased or mistyped) reads as finished, so a polling page stops.
    state = progress(get_session(), event.id, batch[:40]) or Progress()
    return render_template("staff/_sending.html", event=event, batch=batch, sending=state, worker=worker_status())


@bp.post("/events/<int:event_id>/participants/<int:participant_id>/send/<kind>")
@role_required(*STAFF)
def send_one_participant(event_id: int, participant_id: int, kind: str):
    """Send (or resend, on purpose) one participant's invitation or reminder, at once."""
    if kind not in KINDS or not ActionForm().validate_on_submit():
        abort(400)
    event = get_event_or_404(event_id)
    participant = get_participant_or_404(event_id, participant_id)
    report = send_now(get_session(), event, [participant], kind)
    if report.sent:
        flash(_("Email sent to %(email)s.", email=participant.email), "success")
    else:
        flash(_("The email to %(email)s could not be sent.", email=participant.email), "error")
    return redirect(url_for("staff.event", event_id=event.id))
