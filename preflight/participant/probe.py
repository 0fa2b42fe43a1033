"""``POST /c/<token>/probe``: a short network re-probe in, the server's comparison out, in words.

The body is the results post's shape with the network check only
(``{"run_id": ..., "checks": {"network": {...}}}``); the network judge verifies the server's signed
record and builds the fingerprint, so nothing the page claims about addresses or paths counts.
The probe is not a run: it never changes the participant's results, only their latest probe.
"""

from __future__ import annotations

from flask import current_app, g, jsonify, request
from flask_babel import gettext as _

from ..checks import Context, get
from ..checks.client import client_info
from ..checks.submission import PayloadError, parse
from ..db import get_session
from ..extensions import limiter
from ..profiles import get_profile
from . import bp
from .access import link_required
from .reprobe import Comparison, compare, last_complete, store
from .results import _error
from .views import _public_limit


def _worse_words(result: Comparison, baseline_rtt, probe_rtt) -> list[str]:
    words = []
    for reason in result.worse:
        if reason == "relay_now":
            # i18n: one item of "it looks worse: ..."
            words.append(_("your connection now goes through a relay server, as when a firewall blocks direct calls"))
        elif reason == "rtt_higher":
            # i18n: one item of "it looks worse: ..."; %(now)s and %(then)s are round-trip times in milliseconds
            words.append(
                _(
                    "the delay is much higher (%(now)s ms, it was %(then)s ms)",
                    now=round(probe_rtt),
                    then=round(baseline_rtt),
                )
            )
        elif reason == "rate_lower":
            # i18n: one item of "it looks worse: ..."
            words.append(_("the speed is much lower"))
        elif reason == "no_connection":
            # i18n: one item of "it looks worse: ..."
            words.append(_("the connection test could not connect"))
    return words


def message(result: Comparison, baseline_rtt=None, probe_rtt=None) -> str:
    """The comparison in plain words, in the participant's language."""
    if result.regressed:
        # i18n: joins the items of "it looks worse: ..."
        items = _("; ").join(_worse_words(result, baseline_rtt, probe_rtt))
        if result.changed:
            return _(
                "You are on a different network than when you tested, and it looks worse: %(items)s. "
                "Please run the full check again.",
                items=items,
            )
        return _(
            "Your connection looks worse than when you tested: %(items)s. Please run the full check again.", items=items
        )
    if result.changed:
        return _(
            "You are on a different network than when you tested. It does not look worse, "
            "but to be sure, please run the full check again."
        )
    if result.changed is None:
        return _("We could not tell whether this is the network you tested with. To be sure, run the full check again.")
    return _("You are on the same network as when you tested, and it looks the same. Your results still apply.")


@bp.post("/c/<token>/probe")
@limiter.limit(_public_limit)
@link_required
def post_probe(token: str):
    """Compare a short network re-probe with the participant's last complete network check."""
    try:
        submission = parse(request.get_data(cache=False), request.content_type, current_app.config["MAX_RESULT_BYTES"])
    except PayloadError as exc:
        return _error(exc)
    if set(submission.checks) != {"network"}:
        return jsonify(
            error="invalid_results",
            message="A probe carries the network check only.",
            details=[{"loc": "checks", "message": "send exactly one check: network"}],
        ), 400
    participant, event = g.participant, g.event
    session = get_session()
    baseline = last_complete(session, participant.id)
    if baseline is None:
        return jsonify(
            error="nothing_to_compare",
            message=_("There is no complete check to compare with yet. Please run the full check."),
            details=[],
        ), 409
    ctx = Context(
        profile=get_profile(event.platform),
        role=participant.role,
        client=client_info(request.headers.get("User-Agent", "")),
        participant_id=participant.id,
        run_key=submission.run_id,
        http_addr=request.remote_addr,
    )
    finding = get("network").judge(submission.checks["network"], ctx)
    result = compare(baseline, finding)
    store(session, participant, baseline, finding, result)
    return jsonify(
        changed=result.changed,
        worse=result.worse,
        regressed=result.regressed,
        message=message(result, baseline.fingerprint.get("rtt_ms"), finding.metrics.get("rtt_ms")),
    )
