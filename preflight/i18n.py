"""Locale and timezone selection for Flask-Babel.

Locale, first match wins: an explicit choice (``?lang=`` or the ``pf_lang``
cookie it sets), the participant's stored language, the event's default
language, the browser's ``Accept-Language``, then the configured default.

An explicit ``?lang=`` on a participant page is remembered twice: on the
participant (so emails and the next visit use it) and in the ``pf_lang``
cookie (so guides and later pages follow). Pseudo-locales (``PSEUDO_LOCALES``)
can be chosen with ``?lang=`` for testing but are never saved on a participant
and never shown in the switcher.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from flask import Flask, current_app, g, request
from flask_login import current_user

LANG_COOKIE = "pf_lang"
TZ_COOKIE = "pf_tz"
LANG_COOKIE_MAX_AGE = 365 * 24 * 3600

# Right-to-left scripts; pages set dir="rtl" for these.
RTL_LANGUAGES = {"ar", "fa", "he", "ur"}

# Debug locales generated from the .pot (see preflight/l10n/pseudo.py): code -> locale whose
# formats (dates, numbers, direction) they borrow. en_XA: accented and lengthened English;
# ar_XB: mirrored, right-to-left. The codes are the ones Android and Chromium use.
PSEUDO_BASES = {"en_XA": "en", "ar_XB": "ar"}


class PseudoLocale(Locale):
    """A locale unknown to CLDR (``en_XA``) that formats like its base (``en``).

    ``str()`` gives the pseudo code, so Flask-Babel loads
    ``translations/<code>/LC_MESSAGES/messages.mo``; dates, numbers and text
    direction come from the base locale's data.
    """

    def __init__(self, code: str, base: str):  # noqa: D107 - Locale's own __init__ would reject the code
        base_locale = Locale.parse(base)
        self.code = code
        self.base = base_locale
        self.language = base_locale.language
        self.territory = code.split("_")[1] if "_" in code else None
        self.script = None
        self.variant = None
        self.modifier = None

    def __str__(self) -> str:
        return self.code

    def __repr__(self) -> str:
        return f"<PseudoLocale {self.code!r} base={str(self.base)!r}>"

    @property
    def _data(self):
        return self.base._data


def available_locales() -> list[str]:
    """Shipped locales, in the order the switcher shows them."""
    return list(current_app.config["LOCALES"])


def pseudo_locales() -> list[str]:
    """Pseudo-locales enabled by the ``PSEUDO_LOCALES`` setting (never shipped)."""
    return [code for code in current_app.config.get("PSEUDO_LOCALES", []) if code in PSEUDO_BASES]


def selectable_locales() -> list[str]:
    """Every locale ``?lang=`` accepts: the shipped ones plus enabled pseudo-locales."""
    return available_locales() + pseudo_locales()


def _valid(code: str | None, *, pseudo: bool = False) -> str | None:
    """``code`` normalised to a known locale (``fr-CA`` -> ``fr``), or None."""
    if not code or len(code) > 20:
        return None
    code = code.strip().replace("-", "_")
    if code in PSEUDO_BASES:
        # Debug locales only where enabled and asked for; never read as plain "en"/"ar".
        return code if pseudo and code in pseudo_locales() else None
    locales = available_locales()
    if code in locales:
        return code
    base = code.split("_")[0].lower()
    return base if base in locales else None


def requested_locale() -> str | None:
    """The locale asked for with ``?lang=`` on this request, if valid."""
    return _valid(request.args.get("lang"), pseudo=True)


def explicit_locale() -> str | None:
    """A language the visitor chose on this request or earlier (cookie)."""
    return requested_locale() or _valid(request.cookies.get(LANG_COOKIE), pseudo=True)


def negotiate(
    explicit: str | None, stored: str | None, event_default: str | None, *, browser_before_event: bool = False
) -> str:
    """Apply the order: explicit, participant's stored, event default, Accept-Language, default.

    ``browser_before_event``: the browser's language comes before the event's (a link that no longer
    works: nobody chose the event's language for this visitor).
    """
    event_code = _valid(event_default)
    browser_code = browser_locale()
    later = (browser_code, event_code) if browser_before_event else (event_code, browser_code)
    return (
        _valid(explicit, pseudo=True) or _valid(stored) or later[0] or later[1] or current_app.config["DEFAULT_LOCALE"]
    )


def browser_locale() -> str | None:
    """The first ``Accept-Language`` entry (by quality) we ship, ``fr-CA`` counting as ``fr``."""
    for value, quality in request.accept_languages:
        code = _valid(value) if quality > 0 else None
        if code:
            return code
    return None


def as_babel_locale(code: str) -> Locale:
    """A Babel ``Locale`` for ``code``, including pseudo-locales."""
    if code in PSEUDO_BASES:
        return PseudoLocale(code, PSEUDO_BASES[code])
    return Locale.parse(code)


def select_locale() -> Locale:
    """Flask-Babel's locale selector.

    A link that no longer works answers in the participant's language, else the browser's: the
    event's default comes after them there, since nobody chose it for this visitor."""
    participant = g.get("participant")
    event = g.get("event")
    dead_link = "invalid_link_language" in g
    stored = g.invalid_link_language if dead_link else getattr(participant, "language", None)
    code = negotiate(
        explicit_locale(), stored, getattr(event, "default_language", None), browser_before_event=dead_link
    )
    return as_babel_locale(code)


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
    """The viewer's timezone: the browser's (cookie set by the page), the staff member's, the event's, UTC.

    Staff views set ``g.display_timezone`` to the event's timezone (not ``g.event``,
    which would also switch the page to the event's language).
    """
    tz = valid_timezone(request.cookies.get(TZ_COOKIE))
    if tz:
        return tz
    if getattr(current_user, "is_authenticated", False):
        tz = valid_timezone(current_user.timezone)
        if tz and tz != "UTC":
            return tz
    event = g.get("event")
    return valid_timezone(g.get("display_timezone")) or valid_timezone(getattr(event, "timezone", None)) or "UTC"


def text_direction(locale: str) -> str:
    """``rtl`` or ``ltr`` for the page's ``dir`` attribute."""
    return "rtl" if str(locale).split("_")[0] in RTL_LANGUAGES else "ltr"


def save_participant_choice(participant) -> None:
    """A participant page asked with ``?lang=xx``: store it on the participant (their emails follow).

    Called once the link is resolved, before the page renders, so the page can say so
    (``g.language_saved``); the change is committed with the page."""
    code = requested_locale() if request.method == "GET" else None
    # Pseudo-locales are for testing only: never stored.
    if code is not None and code in available_locales() and participant.language != code:
        participant.language = code
        g.language_saved = code


def remember_choice(response):
    """After a participant page answered ``?lang=xx``: keep the choice in a cookie as well."""
    participant = g.get("participant")
    code = requested_locale() if participant is not None and request.method == "GET" else None
    if code is None or response.status_code >= 400:
        return response
    response.set_cookie(
        LANG_COOKIE,
        code,
        max_age=LANG_COOKIE_MAX_AGE,
        samesite="Lax",
        httponly=True,
        secure=current_app.config["PREFLIGHT_ENV"] == "production",
    )
    return response


def init_app(app: Flask) -> None:
    """Remember explicit choices; trim whitespace in ``{% trans %}`` blocks (as extraction does); ``flask i18n``."""
    from .l10n.cli import i18n as i18n_commands

    app.jinja_env.policies["ext.i18n.trimmed"] = True
    app.after_request(remember_choice)
    app.cli.add_command(i18n_commands)
