"""Locale and timezone selection for Flask-Babel.

Locale, first match wins: an explicit choice (``?lang=`` or the ``pf_lang``
cookie it sets), the participant's stored language, the event's default
language, the browser's ``Accept-Language``, then the configured default.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app, g, request
from flask_login import current_user

LANG_COOKIE = "pf_lang"
TZ_COOKIE = "pf_tz"

# Right-to-left scripts; pages set dir="rtl" for these.
RTL_LANGUAGES = {"ar", "fa", "he", "ur"}


def available_locales() -> list[str]:
    """Shipped locales, in the order the switcher shows them."""
    return list(current_app.config["LOCALES"])


def _valid(code: str | None) -> str | None:
    if not code:
        return None
    code = code.strip().replace("-", "_")
    locales = available_locales()
    if code in locales:
        return code
    base = code.split("_")[0].lower()
    return base if base in locales else None


def explicit_locale() -> str | None:
    """A language the visitor chose on this request or earlier (cookie)."""
    return _valid(request.args.get("lang")) or _valid(request.cookies.get(LANG_COOKIE))


def select_locale() -> str:
    """Flask-Babel's locale selector."""
    participant = g.get("participant")
    event = g.get("event")
    return (
        explicit_locale()
        or _valid(getattr(participant, "language", None))
        or _valid(getattr(event, "default_language", None))
        or request.accept_languages.best_match(available_locales())
        or current_app.config["DEFAULT_LOCALE"]
    )


def valid_timezone(name: str | None) -> str | None:
    """``name`` if it is a known IANA timezone."""
    if not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def select_timezone() -> str:
    """The viewer's timezone: the browser's (cookie set by the page), the staff member's, the event's, UTC."""
    tz = valid_timezone(request.cookies.get(TZ_COOKIE))
    if tz:
        return tz
    if getattr(current_user, "is_authenticated", False):
        tz = valid_timezone(current_user.timezone)
        if tz and tz != "UTC":
            return tz
    event = g.get("event")
    return valid_timezone(getattr(event, "timezone", None)) or "UTC"


def text_direction(locale: str) -> str:
    """``rtl`` or ``ltr`` for the page's ``dir`` attribute."""
    return "rtl" if locale.split("_")[0] in RTL_LANGUAGES else "ltr"
