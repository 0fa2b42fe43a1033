"""The participant's browser as the server sees it: the user agent parsed with ua-parser.

Families are reduced to the keys the platform profiles use (``chrome``, ``edge``, ``firefox``,
``safari``, ``opera``, ``samsung``, ``ie``), plus ``inapp`` for browsers built into other apps
(Facebook, Instagram, web views) and ``other``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from ua_parser import parse

FAMILIES = {
    "Chrome": "chrome",
    "Chrome Mobile": "chrome",
    "HeadlessChrome": "chrome",
    "Chromium": "chrome",
    "Edge": "edge",
    "Edge Mobile": "edge",
    "Firefox": "firefox",
    "Firefox Mobile": "firefox",
    "Safari": "safari",
    "Mobile Safari": "safari",
    "Opera": "opera",
    "Opera Mobile": "opera",
    "Samsung Internet": "samsung",
    "IE": "ie",
    "IE Mobile": "ie",
}
IN_APP = {
    "Facebook",
    "Instagram",
    "Chrome Mobile WebView",
    "Mobile Safari UI/WKWebView",
    "LinkedIn",
    "Snapchat",
    "Pinterest",
    "Twitter",
    "WeChat",
    "Line",
}
TABLETS = ("iPad", "Kindle", "Tablet")
MAX_UA = 512


@dataclass(frozen=True)
class ClientInfo:
    """The browser, OS and device type behind a request."""

    family: str
    name: str = ""
    major: int | None = None
    version: str = ""
    os_family: str = ""
    os_version: str = ""
    device_type: str = "desktop"
    user_agent: str = ""

    @property
    def in_app(self) -> bool:
        """A browser built into another app (often without camera access)."""
        return self.family == "inapp"


def _version(*parts) -> str:
    return ".".join(p for p in parts if p)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


@lru_cache(maxsize=512)
def client_info(user_agent: str) -> ClientInfo:
    """Parse a User-Agent header (cached: the same browser posts several times)."""
    user_agent = (user_agent or "")[:MAX_UA]
    parsed = parse(user_agent)
    ua, os, device = parsed.user_agent, parsed.os, parsed.device
    name = ua.family if ua else ""
    major = _int(ua.major) if ua else None
    os_family = os.family if os else ""
    os_major = _int(os.major) if os else None
    device_family = device.family if device else ""

    if name in IN_APP:
        family = "inapp"
    elif os_family == "iOS" and name not in ("Mobile Safari", "Safari"):
        # Every iOS browser is Safari's engine underneath: judge it as Safari of that iOS version.
        family, major = "safari", os_major
    else:
        family = FAMILIES.get(name, "other")

    if any(t in device_family for t in TABLETS):
        device_type = "tablet"
    elif os_family in ("iOS", "Android") or "Mobile" in name:
        device_type = "mobile"
    else:
        device_type = "desktop"
    return ClientInfo(
        family=family,
        name=name or "",
        major=major,
        version=_version(ua.major, ua.minor) if ua else "",
        os_family=os_family or "",
        os_version=_version(os.major, os.minor) if os else "",
        device_type=device_type,
        user_agent=user_agent,
    )
