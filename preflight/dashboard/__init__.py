"""The support dashboard: readiness per event, who needs attention, why, and what to do."""

from flask import Blueprint

from ..urlids import reject_huge_ids

bp = Blueprint("dashboard", __name__, url_prefix="/staff/events/<int:event_id>")

bp.url_value_preprocessor(reject_huge_ids)

from . import actions, export, report, views  # noqa: E402,F401
