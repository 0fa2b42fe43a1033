"""Alert messages for the support team: the email and the webhook body from one summary.

A summary is plain JSON (kept in ``alert.summary``): the event, the participants
with their failing checks and measured values, and links to the dashboard. It is
rendered in the configured default language, the support team's.
"""

from __future__ import annotations

from flask import current_app, render_template
from flask_babel import force_locale, gettext, ngettext

from ..dashboard.format import CHECK_LABELS, VERDICT_LABELS, format_value
from ..results import describe
from . import webhook


def _latency_text(summary: dict) -> str:
    # i18n: body of the latency alert; ms = milliseconds
    return gettext(
        "%(participants)s participants measured a round trip above %(threshold)s ms in the last %(minutes)s minutes "
        "(median %(median)s ms, worst %(worst)s ms; each participant counted once, by their latest result). Calls "
        "will lag for them. When many people are slow at once the cause is often shared: a congested regional "
        "link, a VPN they all use, or a media server far from the audience.",
        participants=summary["participants"],
        threshold=summary["threshold_ms"],
        minutes=summary["window_minutes"],
        median=summary["median_ms"],
        worst=summary["worst_ms"],
    )


def _title(summary: dict) -> str:
    event = summary["event"]["name"]
    if summary["kind"] == "latency":
        # i18n: alert title; many participants of one event have a long round-trip time
        return gettext(
            "Slow connections: %(participants)s participants above %(threshold)s ms (%(event)s)",
            participants=summary["participants"],
            threshold=summary["threshold_ms"],
            event=event,
        )
    if summary["kind"] == "mass":
        # i18n: alert title; %(check)s is a check name (Camera, Network...), %(share)s a percentage
        return gettext(
            "Mass failure on %(check)s: %(share)s of recent participants fail (%(event)s)",
            check=CHECK_LABELS.get(summary["check"], summary["check"]),
            share=f"{round(summary['share'] * 100)} %",
            event=event,
        )
    if summary["kind"] == "help_request":
        # i18n: alert title; a participant asked for help
        return gettext("Help requested by %(name)s (%(event)s)", name=summary["participant"]["name"], event=event)
    count = summary["count"]
    # i18n: alert title of a digest of failing participants
    return ngettext(
        "%(num)d participant not ready: %(event)s", "%(num)d participants not ready: %(event)s", count, event=event
    )


def _facts(summary: dict) -> list[tuple[str, str]]:
    if summary["kind"] == "latency":
        return [
            (gettext("Participants above the threshold"), str(summary["participants"])),
            (gettext("Round trip"), f"{summary['median_ms']} ms (max {summary['worst_ms']} ms)"),
            (gettext("Window"), f"{summary['window_minutes']} min"),
        ]
    if summary["kind"] == "mass":
        judged = summary.get("judged", summary.get("runs"))  # alerts stored before participants were counted
        return [
            (gettext("Participants failing"), f"{summary['failing']} / {judged}"),
            (gettext("Window"), f"{summary['window_minutes']} min"),
        ]
    if summary["kind"] == "help_request":
        return [
            (gettext("Channel"), summary["channel"] + (f" {summary['phone']}" if summary.get("phone") else "")),
            (gettext("Email"), summary["participant"]["email"]),
        ]
    facts = []
    for line in summary["participants"][:10]:
        checks = "; ".join(
            describe.problem(c["check"], c["values"], c["reason"]) for c in line["checks"] if c["verdict"] == "fail"
        )
        facts.append((line["name"], checks or "–"))
    return facts


def render(summary: dict) -> dict:
    """{'subject', 'text', 'html', 'title', 'facts'} in the support team's language."""
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        title = _title(summary)
        context = {
            "summary": summary,
            "title": title,
            "check_labels": CHECK_LABELS,
            "verdict_labels": VERDICT_LABELS,
            "format_value": format_value,
            "figures": describe.figures,
            "problem": describe.problem,
            "explanation": _latency_text(summary) if summary["kind"] == "latency" else "",
        }
        return {
            "subject": "[Preflight] " + title,
            "title": title,
            "text": render_template("email/alert.txt", **context),
            "html": render_template("email/alert.html", **context),
            "facts": _facts(summary),
            "link_label": gettext("Open in Preflight"),
        }


def _chat_text(summary: dict) -> str:
    """What a chat message says besides its title, facts and link (each only once): the mass alert's
    explanation or the participant's help message; nothing for a digest (its facts are the people)."""
    if summary["kind"] == "latency":
        return _latency_text(summary)
    if summary["kind"] == "mass":
        return gettext(
            "%(failing)s of %(judged)s participants failed the %(check)s check in the last %(minutes)s minutes (each "
            "participant "
            "counted once, by their latest result). This pattern usually has one common cause (TURN server, platform "
            "outage, "
            "a browser release) rather than each participant's setup.",
            failing=summary["failing"],
            judged=summary.get("judged", summary.get("runs")),
            check=CHECK_LABELS.get(summary["check"], summary["check"]),
            minutes=summary["window_minutes"],
        )
    if summary["kind"] == "help_request":
        return summary.get("message") or ""
    return ""


def webhook_body(url: str, summary: dict, rendered: dict) -> dict:
    """The webhook JSON for ``url``."""
    link = summary.get("url") or summary["dashboard_url"]
    with force_locale(current_app.config["DEFAULT_LOCALE"]):
        text = _chat_text(summary)
    return webhook.body(url, rendered["title"], text, rendered["facts"], link, rendered["link_label"], summary)
