"""Participant routes."""

from __future__ import annotations

from pathlib import Path

from flask import Response, current_app, g, render_template, request

from ..checks import ORDER
from ..checks.client import client_info
from ..extensions import limiter
from ..models import utcnow
from ..profiles import get_profile
from . import bp
from .access import link_required
from .page import page_config, step_scripts
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
    return render_template(
        "participant/check.html",
        participant=participant,
        event=event,
        token=token,
        profile=get_profile(event.platform),
        client=client,
        steps=ORDER,
        step_labels=STEP_LABELS,
        config=page_config(token),
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
