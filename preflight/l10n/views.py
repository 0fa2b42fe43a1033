"""Staff pages for translators: the status report and a preview of any guide in any locale.

Translators (and admins) see guides and catalogs only, never participant data,
and preview without a participant link.
"""

from __future__ import annotations

import re

from babel.core import UnknownLocaleError
from flask import abort, current_app, render_template, url_for
from flask_babel import force_locale

from ..auth.access import role_required
from ..guides.library import SOURCE_LOCALE, load_locale, resolve
from ..guides.links import translations_root
from ..guides.views import render_guide
from ..i18n import as_babel_locale
from . import bp
from .cli import _paths
from .status import report

LOCALE_RE = re.compile(r"^[a-z]{2,3}(?:_[A-Za-z0-9]{2,8})?$")


def _statuses():
    return report(list(current_app.config["LOCALES"]), _paths())


def _known_locale(locale: str):
    """The status of ``locale`` if it is shipped or has a catalog or guides folder; else 404."""
    if not LOCALE_RE.match(locale):
        abort(404)
    for status in _statuses():
        if status.locale == locale:
            return status
    abort(404)


@bp.get("/")
@role_required("translator", "admin")
def status():
    """Per locale: strings translated/fuzzy/missing and guides present/missing/outdated/orphaned."""
    return render_template("staff/translations/status.html", statuses=_statuses())


@bp.get("/<locale>/")
@role_required("translator", "admin")
def locale_guides(locale: str):
    """Every guide of one locale with its state, linking to the preview."""
    status_ = _known_locale(locale)
    source = load_locale(translations_root(), SOURCE_LOCALE).guides
    return render_template("staff/translations/locale.html", status=status_, source=source)


@bp.get("/<locale>/<slug>")
@role_required("translator", "admin")
def preview(locale: str, slug: str):
    """A guide exactly as participants in ``locale`` see it, with its translation state."""
    status_ = _known_locale(locale)
    resolved = resolve(translations_root(), slug, locale)
    if resolved is None:
        abort(404)
    try:
        babel_locale = as_babel_locale(locale)
    except (ValueError, UnknownLocaleError):
        babel_locale = as_babel_locale(SOURCE_LOCALE)  # a folder Babel cannot format for: English formats

    def link_for(target: str, anchor: str | None) -> str:
        return url_for("translations_admin.preview", locale=locale, slug=target, _anchor=anchor)

    with force_locale(babel_locale):
        context = render_guide(resolved, locale, link_for=link_for)
        body = render_template("guides/_guide_body.html", **context)
    return render_template(
        "staff/translations/preview.html",
        status=status_,
        resolved=resolved,
        locale=locale,
        preview_html=body,
        english_url=context["english_url"],
    )
