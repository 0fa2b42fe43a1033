"""Editing one participant (name, email, language, role) from the event's list."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _

from .. import audit
from ..auth import role_required
from ..db import get_session
from ..models import Participant
from . import bp
from .events import STAFF, get_event_or_404, language_choices
from .forms import ParticipantForm
from .participants import get_participant_or_404
from .roster import email_taken, normalise_email, update_participant


@bp.route("/events/<int:event_id>/participants/<int:participant_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_participant(event_id: int, participant_id: int):
    """Change a participant's name, email, language or role; a bad input keeps what was typed."""
    event = get_event_or_404(event_id)
    participant = get_participant_or_404(event_id, participant_id)
    form = ParticipantForm(obj=participant)
    form.language.choices = language_choices()
    if form.validate_on_submit():
        email = normalise_email(form.email.data)
        if email_taken(get_session(), event.id, email, participant.id):
            form.email.errors.append(_("%(email)s is already a participant of this event.", email=email))
        else:
            changed = _apply(participant, form, email)
            audit.record("participant.edit", "participant", participant.id, ", ".join(changed) or "no change")
            flash(_("Participant updated."), "success")
            return redirect(url_for("staff.event", event_id=event.id))
    status = 400 if form.errors else 200
    return render_template("staff/participant_edit.html", event=event, participant=participant, form=form), status


def _apply(participant: Participant, form: ParticipantForm, email: str) -> list[str]:
    """Copy the form onto the participant; return the names of the fields that changed."""
    new = {"name": form.name.data, "email": email, "language": form.language.data, "role": form.role.data}
    return update_participant(get_session(), participant, new)
