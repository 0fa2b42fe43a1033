"""API endpoints that change data: they need a token with the ``write`` scope.

Each reuses the staff pages' rules (``staff/roster.py`` for participants, ``help/requests.py`` for help
requests), so a change made here is the same change, with the same history and audit entries, as one
made in the browser. An agent's token reaches only the agent's events (404 otherwise, as for reads).
"""

from __future__ import annotations

from flask import abort, g, url_for
from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError

from .. import audit
from ..alerts.summary import latest_runs_of
from ..dashboard.status import participant_status
from ..db import get_session
from ..help.requests import reply, set_status
from ..links import participant_url
from ..models import Event, HelpRequest, Participant, StaffUser, utcnow
from ..staff.roster import add_participant, email_taken, normalise_email, update_participant
from . import bp
from .body import error, read_body
from .docs import operation
from .schemas import HelpRequestOut, HelpRequestUpdate, ParticipantCreate, ParticipantUpdate, ParticipantWithLink
from .tokens import token_required
from .views import _event, _json, help_request_out, participant_out

WRITE_ERRORS = ("401", "403", "404", "413", "415", "422")


def _with_link(participant: Participant) -> ParticipantWithLink:
    row = participant_out(participant_status(get_session(), participant))
    return ParticipantWithLink(**row.model_dump(), link=participant_url(participant))


def _email_conflict(email: str) -> None:
    error(409, "Conflict", _("%(email)s is already a participant of this event.", email=email))


def _participant(event: Event, participant_id: int) -> Participant:
    found = get_session().get(Participant, participant_id)
    if found is None or found.event_id != event.id:
        abort(404)
    return found


@bp.post("/events/<int:event_id>/participants")
@token_required(scope="write")
@operation(
    "Add a participant",
    ParticipantWithLink,
    body=ParticipantCreate,
    status=201,
    errors=WRITE_ERRORS + ("409",),
    scope="write",
)
def create_participant(event_id: int):
    """Add one participant with a personal check link (sent to nobody: invite them from the staff pages or
    share the link yourself). Language and role default to the event's. 409 when the email is already in the
    event."""
    event = _event(event_id)
    body = read_body(ParticipantCreate)
    session = get_session()
    email = normalise_email(body.email)
    if email_taken(session, event.id, email):
        _email_conflict(email)
    try:
        participant = add_participant(
            session, event, body.name, email, body.language or event.default_language, body.role or event.default_role
        )
    except IntegrityError:  # the same email added at the same moment by another request
        session.rollback()
        _email_conflict(email)
    audit.record("participant.create", "participant", participant.id)
    response = _json(_with_link(participant), status=201)
    response.headers["Location"] = url_for("api.participant", event_id=event.id, participant_id=participant.id)
    return response


@bp.patch("/events/<int:event_id>/participants/<int:participant_id>")
@token_required(scope="write")
@operation(
    "Change a participant",
    ParticipantWithLink,
    body=ParticipantUpdate,
    errors=WRITE_ERRORS + ("409",),
    scope="write",
)
def change_participant(event_id: int, participant_id: int):
    """Change name, email, language or role (fields left out keep their value). 409 when the new email is
    another participant's in the event."""
    event = _event(event_id)
    participant = _participant(event, participant_id)
    body = read_body(ParticipantUpdate)
    session = get_session()
    new = body.model_dump(include=body.model_fields_set)
    if "email" in new:
        new["email"] = normalise_email(new["email"])
        if email_taken(session, event.id, new["email"], participant.id):
            _email_conflict(new["email"])
    try:
        changed = update_participant(session, participant, new)
    except IntegrityError:  # another request gave this email to someone else at the same moment
        session.rollback()
        _email_conflict(new["email"])
    audit.record("participant.edit", "participant", participant.id, ", ".join(changed) or "no change")
    return _json(_with_link(participant))


@bp.patch("/events/<int:event_id>/help-requests/<int:request_id>")
@token_required(scope="write")
@operation("Update a help request", HelpRequestOut, body=HelpRequestUpdate, errors=WRITE_ERRORS, scope="write")
def change_help_request(event_id: int, request_id: int):
    """Set the status and/or send a reply, as the staff pages do: the reply is emailed to the participant (in
    the language they asked in) and shown on their check page; a reply to an open request puts it in
    progress; each change is in the request's history under the token's owner."""
    event = _event(event_id)
    session = get_session()
    found = session.get(HelpRequest, request_id)
    if found is None or found.event_id != event.id:
        abort(404)
    body = read_body(HelpRequestUpdate)
    author = g.api_user
    if "reply" in body.model_fields_set:
        reply(session, found, author, body.reply.strip())
    if "status" in body.model_fields_set:
        set_status(session, found, author, body.status)
    found.updated_at = utcnow()
    session.add(found)
    audit.record("help.update", "help_request", found.id, ", ".join(sorted(body.model_fields_set)))
    participant = session.get(Participant, found.participant_id)
    assignee = session.get(StaffUser, found.assigned_to_id) if found.assigned_to_id else None
    run = latest_runs_of(session, [participant.id]).get(participant.id)
    return _json(help_request_out(found, participant, assignee, run, event, utcnow()))
