"""``POST /c/<token>/results``: raw measurements in, verdicts and their HTML out."""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from .. import metrics
from ..alerts import on_run_judged
from ..checks import Context, get, names
from ..checks.client import client_info
from ..checks.guides import guide_url
from ..checks.submission import PayloadError, parse
from ..db import get_session
from ..extensions import limiter
from ..profiles import get_profile
from . import bp
from .access import link_required
from .store import TooManyRuns, save
from .verdicts import render_finding, render_summary
from .views import _public_limit


def _error(exc: PayloadError):
    return jsonify(
        error={400: "invalid_results", 413: "too_large", 415: "unsupported_media_type"}[exc.status],
        message=exc.message,
        details=exc.details,
    ), exc.status


@bp.post("/c/<token>/results")
@limiter.limit(_public_limit)
@link_required
def post_results(token: str):
    """Judge and store the measurements of one or more checks; answer with the verdicts."""
    try:
        submission = parse(request.get_data(cache=False), request.content_type, current_app.config["MAX_RESULT_BYTES"])
    except PayloadError as exc:
        return _error(exc)
    participant, event = g.participant, g.event
    profile = get_profile(event.platform)
    client = client_info(request.headers.get("User-Agent", ""))
    ctx = Context(
        profile=profile,
        role=participant.role,
        client=client,
        participant_id=participant.id,
        run_key=submission.run_id,
        http_addr=request.remote_addr,
    )
    findings = {name: get(name).judge(payload, ctx) for name, payload in submission.checks.items()}

    try:
        run, saved, all_results = save(get_session(), participant, submission, findings, client)
    except TooManyRuns:
        message = _(
            "You have run the check many times with this link, so this run was not saved. "
            "Your earlier results are kept. If you need to test again, please contact the support team."
        )
        return jsonify(error="too_many_runs", message=message, details=[]), 429
    for name, stored in saved.items():
        metrics.RESULTS_STORED.labels(check=name, stored=stored.status).inc()
    if "network" in findings:
        metrics.network_judged(findings["network"].details.get("server_strained") or [])
    on_run_judged(get_session(), run)  # a failing run is queued for the support team's next alert digest
    verdicts = {name: r.verdict for name, r in all_results.items()}
    results = {}
    for name, finding in findings.items():
        results[name] = {
            "verdict": finding.verdict,
            "reason": finding.reason,
            "guide": finding.guide,
            "guide_url": guide_url(finding.guide) if finding.guide else None,
            "metrics": finding.metrics,
            "attempts": saved[name].result.attempts,
            "stored": saved[name].status,
            "html": render_finding(get(name), finding),
        }
    summary = render_summary(
        event=event, participant=participant, token=token, profile=profile, verdict=run.overall, verdicts=verdicts
    )
    return jsonify(
        run_id=run.run_key,
        results=results,
        overall={"verdict": run.overall, "missing": [n for n in names() if n not in verdicts], "html": summary},
    )
