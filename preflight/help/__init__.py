"""Help requests: the staff queue (blueprint ``helpdesk``); the participant side lives in participant/help.py."""

from flask import Blueprint


bp = Blueprint("helpdesk", __name__, url_prefix="/staff")


from . import views  # noqa: E402,F401
