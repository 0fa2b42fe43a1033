"""The technical requirements table, generated from ``preflight/profiles/``.

The ``requirements`` guide ends with this table, so the figures participants
read are the very thresholds the checks judge against: they cannot drift.
Labels are translated; numbers are formatted for the page's locale.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from babel.numbers import format_percent
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _

from ..profiles import PROFILES, Profile, Rate

BROWSER_NAMES = {"chrome": "Chrome", "edge": "Edge", "firefox": "Firefox", "safari": "Safari"}
SHOWN_BROWSERS = ("chrome", "edge", "firefox", "safari")
PORT_TOKEN = re.compile(r"TCP and UDP|UDP and TCP|TCP|UDP|\d+(?:-\d+)?|ports\b")


@dataclass(frozen=True)
class Row:
    """One line of a platform's table: what, the minimum, the recommended value."""

    label: str
    minimum: str
    recommended: str


@dataclass(frozen=True)
class PlatformRequirements:
    """Everything shown for one platform."""

    key: str
    label: str
    rows: list[Row]
    browsers: str
    ports: str


def rate_text(rate: Rate) -> str:
    """800 kbps, 1.5 Mbps (in the locale's number format)."""
    if rate.kbps >= 1000:
        # i18n: a speed in megabits per second, e.g. "1.5 Mbps"
        return _("%(value)s Mbps", value=format_decimal(rate.kbps / 1000, format="#,##0.#"))
    # i18n: a speed in kilobits per second, e.g. "800 kbps"
    return _("%(value)s kbps", value=format_decimal(rate.kbps))


def ms_text(value: float) -> str:
    """150 ms."""
    # i18n: a duration in milliseconds
    return _("%(value)s ms", value=format_decimal(value, format="#,##0.#"))


def pct_text(value: float) -> str:
    """1 % (locale-formatted)."""
    return format_percent(value / 100, locale=get_locale(), decimal_quantization=False)


def parse_ports(text: str) -> tuple[dict[str, list[str]], bool]:
    """``"UDP 3478 and 19302-19309, TCP and UDP 443 (source)"`` -> ({UDP: [...], TCP: [...]}, more).

    ``more`` is True when a protocol is named without port numbers (the platform
    publishes a longer list elsewhere).
    """
    text = re.sub(r"\([^)]*\)", " ", text)
    ports: dict[str, list[str]] = {}
    current: list[str] = []
    more = False
    for token in PORT_TOKEN.findall(text):
        if token in ("TCP", "UDP"):
            current = [token]
        elif " and " in token:
            current = ["TCP", "UDP"]
        elif token == "ports":
            more = True
        else:
            for proto in current:
                ports.setdefault(proto, [])
                if token not in ports[proto]:
                    ports[proto].append(token)
    for proto in current:
        ports.setdefault(proto, [])
    return ports, more


def port_numbers(media_ports: str) -> tuple[str, bool]:
    """(``UDP 8801–8810, 3478–3479 · TCP 443``, more): the numbers of a profile's ``media_ports``, language-neutral."""
    ports, more = parse_ports(media_ports)
    parts = [
        f"{proto} {', '.join(p.replace('-', '–') for p in numbers)}"
        for proto, numbers in sorted(ports.items())
        if numbers
    ]
    return " · ".join(parts), more


def ports_text(profile: Profile) -> str:
    """UDP 8801–8810, 3478–3479 · TCP 443 (numbers only: language-neutral)."""
    text, more = port_numbers(profile.media_ports)
    if more:
        text = (
            _("%(ports)s, and the ranges the platform lists for its media servers", ports=text)
            if text
            else _("the ranges the platform lists for its media servers")
        )
    return text


def browsers_text(profile: Profile) -> str:
    """Chrome 72 or later, Firefox 91 or later (limited), ..."""
    parts = []
    for family in SHOWN_BROWSERS:
        support = profile.browser(family)
        name = BROWSER_NAMES[family]
        if support.level == "unsupported":
            parts.append(_("%(browser)s: not supported", browser=name))
        elif support.level == "limited":
            # i18n: e.g. "Firefox 91 or later (some features missing)"
            parts.append(
                _("%(browser)s %(version)s or later (some features missing)", browser=name, version=support.min_major)
            )
        else:
            parts.append(_("%(browser)s %(version)s or later", browser=name, version=support.min_major))
    return ", ".join(parts)


def platform_requirements(profile: Profile) -> PlatformRequirements:
    """The rows for one platform, in the current locale."""
    up_attendee, up_presenter = profile.upload_limits("attendee"), profile.upload_limits("presenter")
    down = profile.download_limits("attendee")
    rows = [
        Row(_("Upload speed, attendee"), rate_text(up_attendee[0]), rate_text(up_attendee[1])),
        Row(_("Upload speed, presenter"), rate_text(up_presenter[0]), rate_text(up_presenter[1])),
        Row(_("Download speed"), rate_text(down[0]), rate_text(down[1])),
        Row(_("Latency (round trip)"), ms_text(profile.rtt_ms.fail), ms_text(profile.rtt_ms.warn)),
        Row(_("Variation in delay (jitter)"), ms_text(profile.jitter_ms.fail), ms_text(profile.jitter_ms.warn)),
        Row(_("Packet loss"), pct_text(profile.loss_pct.fail), pct_text(profile.loss_pct.warn)),
    ]
    label = _("Other platforms") if profile.key == "generic" else profile.label
    return PlatformRequirements(profile.key, label, rows, browsers_text(profile), ports_text(profile))


def all_requirements() -> list[PlatformRequirements]:
    """Every platform, the generic profile last."""
    keys = [key for key in PROFILES if key != "generic"] + ["generic"]
    return [platform_requirements(PROFILES[key]) for key in keys]
