"""The support playbook: what to ask, how to fix, whom to call, per common incident."""

from flask import Blueprint

bp = Blueprint("playbook", __name__, url_prefix="/staff/playbook")

from . import views  # noqa: E402,F401
