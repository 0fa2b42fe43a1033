"""Help requests: the staff queue (blueprint ``helpdesk``); the participant side lives in participant/help.py."""

from flask import Blueprint

from ..urlids import reject_huge_ids

bp = Blueprint("helpdesk", __name__, url_prefix="/staff")

bp.url_value_preprocessor(reject_huge_ids)

from . import views  # noqa: E402,F401
