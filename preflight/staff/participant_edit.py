"""Editing one participant (name, email, language, role) from the event's list."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from sqlmodel import select

from .. import audit
from ..auth import role_required
from ..db import get_session
from ..models import Participant
from . import bp
from .events import STAFF, get_event_or_404, language_choices
from .forms import ParticipantForm
from .participants import get_participant_or_404


@bp.route("/events/<int:event_id>/participants/<int:participant_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit_participant(event_id: int, participant_id: int):
    """Change a participant's name, email, language or role; a bad input keeps what was typed."""
    event = get_event_or_404(event_id)
    participant = get_participant_or_404(event_id, participant_id)
    form = ParticipantForm(obj=participant)
    form.language.choices = language_choices()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        if _email_taken(event.id, participant.id, email):
            form.email.errors.append(_("%(email)s is already a participant of this event.", email=email))
        else:
            changed = _apply(participant, form, email)
            audit.record("participant.edit", "participant", participant.id, ", ".join(changed) or "no change")
            flash(_("Participant updated."), "success")
            return redirect(url_for("staff.event", event_id=event.id))
    status = 400 if form.errors else 200
    return render_template("staff/participant_edit.html", event=event, participant=participant, form=form), status


def _email_taken(event_id: int, participant_id: int, email: str) -> bool:
    other = get_session().exec(
        select(Participant.id).where(
            Participant.event_id == event_id, Participant.email == email, Participant.id != participant_id
        )
    )
    return other.first() is not None


def _apply(participant: Participant, form: ParticipantForm, email: str) -> list[str]:
    """Copy the form onto the participant; return the names of the fields that changed."""
    new = {"name": form.name.data.strip(), "email": email, "language": form.language.data, "role": form.role.data}
    changed = [name for name, value in new.items() if getattr(participant, name) != value]
    for name in changed:
        setattr(participant, name, new[name])
    get_session().flush()
    return changed
