"""Staff pages: events, participants, imports, invitations."""

from flask import Blueprint

bp = Blueprint("staff", __name__, url_prefix="/staff")

from . import audit_log, events, imports, invitations, members, participant_edit, participants  # noqa: E402,F401
