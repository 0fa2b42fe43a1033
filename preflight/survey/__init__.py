"""The satisfaction survey sent after an event: the staff's schedule and who got it (blueprint
``survey``), invitations queued by the worker (``invitations``), figures in the event report."""

from flask import Blueprint

bp = Blueprint("survey", __name__, url_prefix="/staff")

from . import views  # noqa: E402,F401
