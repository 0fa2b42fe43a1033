"""How measured values, statuses and fixes are shown to support staff."""

from __future__ import annotations

from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l

# i18n: readiness statuses of a participant on the support dashboard
STATUS_LABELS = {
    "not_ready": _l("Not ready"),
    "warnings": _l("Warnings"),
    "not_started": _l("Not started"),
    "ready": _l("Ready"),
}
# i18n: the checks of the pre-flight page
CHECK_LABELS = {
    "browser": _l("Browser"),
    "camera": _l("Camera"),
    "microphone": _l("Microphone"),
    "speakers": _l("Speakers"),
    "network": _l("Network"),
}
# i18n: verdict of one check
VERDICT_LABELS = {"pass": _l("Pass"), "warn": _l("Warning"), "fail": _l("Fail"), "incomplete": _l("Incomplete")}
# i18n: why the latest re-probe (a short network check when the participant came back) looks worse
PROBE_LABELS = {
    "relay_now": _l("media now relayed (TURN)"),
    "rtt_higher": _l("round trip much higher"),
    "rate_lower": _l("rate much lower"),
    "no_connection": _l("no connection"),
}
# Failure categories of charts and reports.
CATEGORIES = {"browser": "browser", "camera": "video", "microphone": "audio", "speakers": "audio", "network": "network"}
# i18n: failure categories on charts and the report
CATEGORY_LABELS = {"audio": _l("Audio"), "video": _l("Video"), "network": _l("Network"), "browser": _l("Browser")}

# Value-name suffix -> unit shown after the number.
UNITS = (
    ("_kbps", "kbit/s"),
    ("_mbps", "Mbit/s"),
    ("_ms", "ms"),
    ("_pct", "%"),
    ("_fps", "fps"),
    ("_dbfs", "dBFS"),
    ("_db", "dB"),
    ("_s", "s"),
)


def format_value(name: str, value) -> str:
    """One measured value in plain text: numbers localised with their unit, lists joined."""
    if isinstance(value, bool):
        return str(_l("yes")) if value else str(_l("no"))
    if isinstance(value, (int, float)):
        unit = next((u for suffix, u in UNITS if name.endswith(suffix)), "")
        number = format_decimal(round(value, 2) if isinstance(value, float) else value)
        return f"{number} {unit}".strip()
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(name, v) for v in value[:12]) + (" …" if len(value) > 12 else "")
    if isinstance(value, dict):
        return ", ".join(f"{k}={format_value(k, v)}" for k, v in list(value.items())[:12])
    if value is None:
        return "–"
    return str(value)[:200]


# Sections of a stored result in the order staff read them: the judged figures, what the judge
# noted, then the raw payload.
SECTION_ORDER = ("metrics", "details", "raw")


def flat_values(values: dict, limit: int | None = 40) -> list[tuple[str, str]]:
    """(name, shown value) pairs of a result's values, nested dicts flattened with dots.

    The judged figures come first, so a limit never hides them behind raw counters; ``None`` shows all.
    """
    out: list[tuple[str, str]] = []

    def full() -> bool:
        return limit is not None and len(out) >= limit

    def walk(prefix: str, data: dict) -> None:
        for key, value in data.items():
            if full():
                return
            name = f"{prefix}{key}"
            if isinstance(value, dict):
                walk(name + ".", value)
            else:
                out.append((name, format_value(str(key), value)))

    if isinstance(values, dict):
        ordered = sorted(values.items(), key=lambda kv: SECTION_ORDER.index(kv[0]) if kv[0] in SECTION_ORDER else 9)
        for key, value in ordered:
            if key == "metrics" and isinstance(value, dict):
                walk("", value)  # the page's own data-metric names ("upload_kbps")
            else:
                walk("", {key: value})
    return out


def guide_url(guide: str, lang: str | None = None) -> str | None:
    """Link to the participant guide ``slug#section`` a verdict showed (None when there is none)."""
    if not guide:
        return None
    from ..guides.links import guide_url as _guide_url

    return _guide_url(guide, lang)


def playbook_slug(check: str, reason: str = "") -> str:
    """The support playbook page for a failing check (and its reason code)."""
    reason = (reason or "").lower()
    if check == "network":
        if any(word in reason for word in ("udp", "tcp", "connect", "turn", "ice", "firewall", "proxy", "vpn")):
            return "udp-blocked"
        return "low-bandwidth"
    return {
        "camera": "black-camera",
        "microphone": "no-sound",
        "speakers": "no-sound",
        "browser": "browser-unsupported",
    }.get(check, "platform-outage")
