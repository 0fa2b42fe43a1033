"""URLs of guides, keeping the visitor's language."""

from __future__ import annotations

from pathlib import Path

from flask import current_app, url_for
from flask_babel import get_locale

from .. import PROJECT_ROOT


def translations_root() -> Path:
    """Folder holding ``<locale>/guides`` (``TRANSLATIONS_DIR`` in tests)."""
    return Path(current_app.config.get("TRANSLATIONS_DIR") or PROJECT_ROOT / "translations")


def current_locale() -> str:
    """The page's locale code (``fr``, ``en_XA``)."""
    return str(get_locale() or current_app.config["DEFAULT_LOCALE"])


def guide_href(slug: str, anchor: str | None = None, locale: str | None = None) -> str:
    """``/guides/<slug>?lang=<locale>#<anchor>``: the guide opens in the language of the page linking to it."""
    return url_for("guides.guide", slug=slug, lang=locale or current_locale(), _anchor=anchor or None)


def guide_url(ref: str, locale: str | None = None) -> str:
    """URL for a verdict's guide reference ``"slug#id"`` (or just ``"slug"``)."""
    slug, _, anchor = ref.partition("#")
    return guide_href(slug, anchor or None, locale)
