"""Sending invitations, reminders and retries from the event page."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlmodel import select

from .. import audit
from ..auth import role_required
from ..db import get_session
from ..mail.invitations import retry_failed, send_batch
from ..models import Participant
from . import bp
from .events import STAFF, get_event_or_404
from .forms import ActionForm
from .participants import get_participant_or_404

KINDS = ("invitation", "reminder")


def _flash_report(report) -> None:
    flash(
        ngettext("%(num)d email sent", "%(num)d emails sent", report.sent)
        + "; "
        + ngettext("%(num)d failed", "%(num)d failed", report.failed)
        + "; "
        + ngettext(
            "%(num)d skipped (already sent or not needed)",
            "%(num)d skipped (already sent or not needed)",
            report.skipped,
        )
        + ".",
        "error" if report.failed else "success",
    )


@bp.post("/events/<int:event_id>/send/<kind>")
@role_required(*STAFF)
def send(event_id: int, kind: str):
    """Send invitations (to those not yet invited) or reminders (to those who have not run the check)."""
    if kind not in KINDS or not ActionForm().validate_on_submit():
        abort(400)
    event = get_event_or_404(event_id)
    session = get_session()
    participants = session.exec(
        select(Participant).where(Participant.event_id == event.id).order_by(Participant.id)
    ).all()
    report = send_batch(session, event, list(participants), kind)
    audit.record(f"email.{kind}", "event", event.id, f"{report.sent} sent, {report.failed} failed")
    _flash_report(report)
    return redirect(url_for("staff.event", event_id=event.id))


@bp.post("/events/<int:event_id>/retry")
@role_required(*STAFF)
def retry(event_id: int):
    """Try again every email that failed."""
    if not ActionForm().validate_on_submit():
        abort(400)
    event = get_event_or_404(event_id)
    _flash_report(retry_failed(get_session(), event))
    return redirect(url_for("staff.event", event_id=event.id))


@bp.post("/events/<int:event_id>/participants/<int:participant_id>/send/<kind>")
@role_required(*STAFF)
def send_one_participant(event_id: int, participant_id: int, kind: str):
    """Send (or resend, on purpose) one participant's invitation or reminder."""
    if kind not in KINDS or not ActionForm().validate_on_submit():
        abort(400)
    event = get_event_or_404(event_id)
    participant = get_participant_or_404(event_id, participant_id)
    report = send_batch(get_session(), event, [participant], kind, force=True)
    if report.sent:
        flash(_("Email sent to %(email)s.", email=participant.email), "success")
    else:
        flash(_("The email to %(email)s could not be sent.", email=participant.email), "error")
    return redirect(url_for("staff.event", event_id=event.id))
