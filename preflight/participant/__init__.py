"""The participant's side: the personal link and the pre-flight page."""

from flask import Blueprint

bp = Blueprint("participant", __name__)

from . import probe, results, views  # noqa: E402,F401
from . import survey  # noqa: E402,F401  (help requests live in preflight/help)
