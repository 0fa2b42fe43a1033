"""Participants: add one, revoke or renew a link, export all links."""

from __future__ import annotations

import csv
import io

from flask import Response, abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from .. import audit
from ..auth import fresh_login_required, role_required
from ..db import get_session
from ..links import issue_link, participant_url, revoke_link
from ..privacy import delete_participant
from ..redirects import safe_next
from ..spreadsheet import safe_cell
from ..models import Participant
from . import bp
from .events import STAFF, _add_form, get_event_or_404
from .forms import ActionForm
from .roster import add_participant as add_participant_row
from .roster import email_taken, normalise_email


def get_participant_or_404(event_id: int, participant_id: int) -> Participant:
    """The participant of that event, or a 404 (also when the event is not the agent's)."""
    get_event_or_404(event_id)
    participant = get_session().get(Participant, participant_id)
    if participant is None or participant.event_id != event_id:
        abort(404)
    return participant


def _back(event_id: int):
    return redirect(safe_next(request.form.get("next")) or url_for("staff.event", event_id=event_id))


@bp.post("/events/<int:event_id>/participants")
@role_required(*STAFF)
def add_participant(event_id: int):
    """Add one participant by hand and give them a link."""
    event = get_event_or_404(event_id)
    form = _add_form(event)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for error in errors:
                flash(str(error), "error")
        return _back(event_id)
    session = get_session()
    email = normalise_email(form.email.data)
    if email_taken(session, event.id, email):
        flash(_("%(email)s is already a participant of this event.", email=email), "error")
        return _back(event_id)
    participant = add_participant_row(session, event, form.name.data, email, form.language.data, form.role.data)
    audit.record("participant.create", "participant", participant.id)
    flash(_("Participant added."), "success")
    return _back(event_id)


@bp.post("/events/<int:event_id>/participants/<int:participant_id>/revoke")
@role_required(*STAFF)
def revoke(event_id: int, participant_id: int):
    """Stop a participant's link from working."""
    if not ActionForm().validate_on_submit():
        abort(400)
    participant = get_participant_or_404(event_id, participant_id)
    revoke_link(participant)
    audit.record("link.revoke", "participant", participant.id)
    flash(_("Link revoked for %(name)s.", name=participant.name), "success")
    return _back(event_id)


@bp.post("/events/<int:event_id>/participants/<int:participant_id>/renew")
@role_required(*STAFF)
def renew(event_id: int, participant_id: int):
    """Give a participant a new link; the old one stops working."""
    if not ActionForm().validate_on_submit():
        abort(400)
    participant = get_participant_or_404(event_id, participant_id)
    issue_link(participant)
    audit.record("link.renew", "participant", participant.id)
    flash(_("New link created for %(name)s. The old link no longer works.", name=participant.name), "success")
    return _back(event_id)


@bp.get("/events/<int:event_id>/links.csv")
@role_required(*STAFF)
def export_links(event_id: int):
    """CSV of every participant with their personal link (UTF-8 with BOM so Excel reads accents)."""
    event = get_event_or_404(event_id)
    participants = (
        get_session().exec(select(Participant).where(Participant.event_id == event.id).order_by(Participant.name)).all()
    )
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["name", "email", "language", "role", "link", "status"])
    for participant in participants:
        url = participant_url(participant)
        writer.writerow(
            [
                safe_cell(participant.name),
                safe_cell(participant.email),
                participant.language,
                participant.role,
                url or "",
                "active" if url else "revoked",
            ]
        )
    audit.record("links.export", "event", event.id, f"{len(participants)} links")
    filename = f"preflight-event-{event.id}-links.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )


@bp.post("/events/<int:event_id>/participants/<int:participant_id>/delete")
@role_required("admin")
@fresh_login_required
def delete(event_id: int, participant_id: int):
    """Erase a participant and all their data (a privacy request). Admins only."""
    if not ActionForm().validate_on_submit():
        abort(400)
    participant = get_participant_or_404(event_id, participant_id)
    audit.record("participant.delete", "participant", participant.id, "data erased on request")
    delete_participant(get_session(), participant)
    flash(_("All data about this participant was deleted."), "success")
    return redirect(url_for("staff.event", event_id=event_id))
