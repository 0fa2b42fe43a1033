"""Participant routes."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, g, render_template, request

from ..checks import ORDER
from ..checks.client import client_info
from ..db import get_session
from ..extensions import limiter
from ..models import utcnow
from ..profiles import get_profile
from . import bp
from .access import link_required
from .page import page_config, reprobe_config, step_scripts
from .reprobe import due, last_complete
from .verdicts import STEP_LABELS, help_url


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


@bp.get("/c/<token>")
@limiter.limit(_public_limit)
@link_required
def check_page(token: str):
    """The pre-flight page reached from the personal link."""
    participant, event = g.participant, g.event
    if participant.first_opened_at is None:
        participant.first_opened_at = utcnow()
    client = client_info(request.headers.get("User-Agent", ""))
    config = page_config(token)
    # Back after a while: offer a short re-probe against the last complete network check.
    if due(last_complete(get_session(), participant.id), utcnow()):
        config["reprobe"] = reprobe_config(token)
    return render_template(
        "participant/check.html",
        participant=participant,
        event=event,
        token=token,
        profile=get_profile(event.platform),
        client=client,
        steps=ORDER,
        step_labels=STEP_LABELS,
        config=config,
        step_scripts=step_scripts(),
        help_url=help_url(token),
    )


@bp.get("/favicon.ico")
@limiter.exempt
def favicon():
    """The site icon (browsers ask for it on every site).

    Sent from memory, not as an open file: a browser that drops the request half-way (as pages
    being closed do) must not leave a file handle behind."""
    icon = (Path(current_app.static_folder) / "favicon.ico").read_bytes()
    return Response(icon, mimetype="image/vnd.microsoft.icon", headers={"Cache-Control": "public, max-age=86400"})
