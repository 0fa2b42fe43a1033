"""Actions on one participant: resend the link, send a reminder, mark handled, add a note."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth import role_required
from ..db import get_session
from ..links import current_token, issue_link
from ..mail.invitations import send_now
from ..models import ParticipantHandled, StaffNote, utcnow
from . import bp
from .forms import ActionForm, NoteForm
from .views import STAFF, get_event, get_participant, participant_context, _fragment


def _back(event_id: int, participant_id: int):
    return redirect(url_for("dashboard.participant", event_id=event_id, participant_id=participant_id))


def _checked(event_id: int, participant_id: int):
    if not ActionForm().validate_on_submit():
        abort(400)
    event = get_event(event_id)
    return event, get_participant(event, participant_id)


@bp.post("/dashboard/participants/<int:participant_id>/resend")
@role_required(*STAFF)
def resend(event_id: int, participant_id: int):
    """Email the personal link again (a new link first if the old one was revoked)."""
    event, participant = _checked(event_id, participant_id)
    session = get_session()
    if current_token(participant) is None:
        issue_link(participant)
        session.add(participant)
    report = send_now(session, event, [participant], "invitation")
    if report.sent:
        flash(_("Link sent again to %(email)s.", email=participant.email), "success")
    else:
        flash(_("Sending failed: %(error)s", error="; ".join(report.errors) or "?"), "error")
    return _back(event_id, participant_id)


@bp.post("/dashboard/participants/<int:participant_id>/remind")
@role_required(*STAFF)
def remind(event_id: int, participant_id: int):
    """Send a reminder now, whatever was sent before."""
    event, participant = _checked(event_id, participant_id)
    if current_token(participant) is None:
        flash(_("This participant's link is revoked: resend the link instead."), "error")
        return _back(event_id, participant_id)
    report = send_now(get_session(), event, [participant], "reminder")
    if report.sent:
        flash(_("Reminder sent to %(email)s.", email=participant.email), "success")
    else:
        flash(_("Sending failed: %(error)s", error="; ".join(report.errors) or "?"), "error")
    return _back(event_id, participant_id)


@bp.post("/dashboard/participants/<int:participant_id>/handled")
@role_required(*STAFF)
def mark_handled(event_id: int, participant_id: int):
    """Mark the participant's current problems as handled (a newer failing run brings them back)."""
    _event, participant = _checked(event_id, participant_id)
    session = get_session()
    mark = session.get(ParticipantHandled, participant.id) or ParticipantHandled(participant_id=participant.id)
    mark.handled_at, mark.handled_by_id = utcnow(), current_user.id
    session.add(mark)
    session.add(
        StaffNote(participant_id=participant.id, author_id=current_user.id, kind="system", body="marked as handled")
    )
    flash(_("Marked as handled."), "success")
    return _back(event_id, participant_id)


@bp.post("/dashboard/participants/<int:participant_id>/unhandled")
@role_required(*STAFF)
def unmark_handled(event_id: int, participant_id: int):
    """Put the participant back among those needing attention."""
    _event, participant = _checked(event_id, participant_id)
    session = get_session()
    mark = session.get(ParticipantHandled, participant.id)
    if mark is not None:
        session.delete(mark)
        session.add(
            StaffNote(
                participant_id=participant.id,
                author_id=current_user.id,
                kind="system",
                body="marked as needing attention",
            )
        )
    flash(_("Back among those needing attention."), "success")
    return _back(event_id, participant_id)


@bp.post("/dashboard/participants/<int:participant_id>/notes")
@role_required(*STAFF)
def add_note(event_id: int, participant_id: int):
    """Add a staff note on the participant."""
    event = get_event(event_id)
    participant = get_participant(event, participant_id)
    form = NoteForm()
    if not form.validate_on_submit():
        context = participant_context(event, participant)
        context["note_form"] = form
        body, _status, headers = _fragment("dashboard/participant.html", **context)
        return body, 400, headers
    get_session().add(
        StaffNote(participant_id=participant.id, author_id=current_user.id, kind="note", body=form.body.data.strip())
    )
    flash(_("Note added."), "success")
    return _back(event_id, participant_id)
