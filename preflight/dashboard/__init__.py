"""The support dashboard: readiness per event, who needs attention, why, and what to do."""

from flask import Blueprint


bp = Blueprint("dashboard", __name__, url_prefix="/staff/events/<int:event_id>")


from . import actions, export, report, views  # noqa: E402,F401
