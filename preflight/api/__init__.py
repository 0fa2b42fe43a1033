"""JSON API for integrations (ticketing, chat), authenticated by per-staff bearer tokens only."""

from flask import Blueprint

from ..extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api", cli_group=None)
# Token-authenticated and never cookie-authenticated, so cross-site requests carry no credential: no CSRF.
csrf.exempt(bp)

from . import cli, views  # noqa: E402,F401

__all__ = ["bp"]
