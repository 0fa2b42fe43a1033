"""JSON API for integrations (ticketing, chat), authenticated by per-staff bearer tokens only."""

from flask import Blueprint, current_app

from ..extensions import csrf, limiter

bp = Blueprint("api", __name__, url_prefix="/api", cli_group=None)
# Token-authenticated and never cookie-authenticated, so cross-site requests carry no credential: no CSRF.
csrf.exempt(bp)
# Reachable by anyone (the token is checked in the view): limited per client address like every public endpoint.
limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])(bp)


from . import cli, views, writes  # noqa: E402,F401

__all__ = ["bp"]
