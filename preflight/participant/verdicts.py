"""Server-rendered HTML for verdicts and the run summary, in the participant's language."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import lazy_gettext as _l

from ..checks import Check, Finding, names
from ..checks.guides import guide_url
from . import bp
from .it_message import it_message_lines

# Verdict fragments and guide pages link to guide sections the same way.
bp.add_app_template_global(guide_url, "guide_url")
# The participant's verdict and the staff participant page show the same message for the IT team.
bp.add_app_template_global(it_message_lines, "it_message_lines")

# i18n: names of the steps of the check page
STEP_LABELS = {
    "browser": _l("Browser"),
    "camera": _l("Camera"),
    "microphone": _l("Microphone"),
    "speakers": _l("Speakers"),
    "network": _l("Connection"),
}
VERDICT_LABELS = {
    # i18n: verdict badge of a check
    "pass": _l("Works"),
    # i18n: verdict badge of a check
    "warn": _l("Warning"),
    # i18n: verdict badge of a check
    "fail": _l("Problem"),
}


def help_url(token: str) -> str | None:
    """The "I need help" page, once the support dashboard provides it."""
    if "help.ask" in current_app.view_functions:
        return url_for("help.ask", token=token)
    return None


def render_finding(check: Check, finding: Finding) -> str:
    """The verdict fragment for one check."""
    return render_template(
        [check.template, "participant/verdicts/_generic.html"],
        f=finding,
        step_labels=STEP_LABELS,
        verdict_labels=VERDICT_LABELS,
    )


def render_summary(*, event, participant, token: str, profile, verdict: str, verdicts: dict[str, str]) -> str:
    """The summary shown at the end of a run (ready / ready with warnings / not ready)."""
    return render_template(
        "participant/_summary.html",
        event=event,
        participant=participant,
        token=token,
        profile=profile,
        overall=verdict,
        verdicts=verdicts,
        checks=names(),
        step_labels=STEP_LABELS,
        verdict_labels=VERDICT_LABELS,
        help_url=help_url(token),
    )
