"""Participant routes."""

from __future__ import annotations

from flask import current_app, g, render_template, send_from_directory

from ..extensions import limiter
from ..models import utcnow
from . import bp
from .access import link_required


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


@bp.get("/c/<token>")
@limiter.limit(_public_limit)
@link_required
def check_page(token: str):
    """The pre-flight page reached from the personal link."""
    participant = g.participant
    if participant.first_opened_at is None:
        participant.first_opened_at = utcnow()
    return render_template("participant/check.html", participant=participant, event=g.event, token=token)


@bp.get("/favicon.ico")
@limiter.exempt
def favicon():
    """The site icon (browsers ask for it on every site)."""
    return send_from_directory(current_app.static_folder, "favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=86400)
