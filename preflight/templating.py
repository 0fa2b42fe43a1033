"""Template globals and filters shared by every page."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

from flask import Flask, request
from flask_babel import format_datetime, get_locale, get_timezone
from flask_wtf.csrf import generate_csrf

from .i18n import available_locales, text_direction
from .links import participant_url
from .results.reasons import reason_text

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "de": "Deutsch", "es": "Español"}


def url_with_lang(code: str, relative: bool = False) -> str:
    """The current URL with ``lang`` set: the switcher keeps the visitor where they were.

    ``relative``: only the query (``?lang=de``), which browsers apply to the current path; error
    pages use it so that a link token in the path is never written back into the page."""
    args = request.args.to_dict()
    args["lang"] = code

    query = urlencode(args)
    return f"?{query}" if relative else f"{request.path}?{query}"


def init_app(app: Flask) -> None:
    """Register globals (locale, direction, CSRF) and date filters."""

    # A true global, not a context variable: macros imported without context use it too.
    app.jinja_env.globals["reason_text"] = reason_text

    @app.context_processor
    def _globals():
        locale = str(get_locale() or app.config["DEFAULT_LOCALE"])
        return {
            "current_locale": locale,
            "text_dir": text_direction(locale),
            "locales": available_locales(),
            "language_names": LANGUAGE_NAMES,
            "csrf_token": generate_csrf,
            "url_with_lang": url_with_lang,
            "viewer_timezone": str(get_timezone()),
            "participant_link": participant_url,
        }

    @app.template_filter("when")
    def _when(value: datetime | None, fmt: str = "medium") -> str:
        return format_datetime(value, fmt) if value else ""
