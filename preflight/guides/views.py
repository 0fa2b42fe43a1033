"""Guide pages: the FAQ list with search, and one guide."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from flask import abort, current_app, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..extensions import htmx, limiter
from ..i18n import text_direction
from . import bp
from .library import Resolved, published, resolve
from .links import current_locale, guide_href, translations_root
from .render import render_markdown
from .requirements import all_requirements
from .search import index_for

MAX_QUERY = 200
CATEGORIES = {
    "general": _l("Getting started"),
    "camera": _l("Camera"),
    "microphone": _l("Microphone"),
    "speakers": _l("Speakers and sound"),
    "browser": _l("Browser"),
    "network": _l("Internet connection"),
    "platform": _l("Meeting platforms"),
}


@dataclass(frozen=True)
class Tutorial:
    """A tutorial clip for a guide: video and captions under static/tutorials/<locale>/."""

    video: str
    captions: str | None
    srclang: str


def tutorial_for(slug: str, locale: str) -> Tutorial | None:
    """The clip recorded in ``locale`` (else English) for ``slug``, if one was generated."""
    static = Path(current_app.static_folder)
    for code in dict.fromkeys([locale, "en"]):
        folder = f"tutorials/{code}"
        if (static / folder / f"{slug}.webm").is_file():
            captions = f"{folder}/{slug}.vtt"
            return Tutorial(
                f"{folder}/{slug}.webm", captions if (static / captions).is_file() else None, code.split("_")[0]
            )
    return None


def section_link_label(title: str) -> str:
    """The accessible name of a heading's "#" link: which section it links to."""
    # i18n: accessible name of the "#" link next to a heading; %(title)s is the heading's text
    return _("Link to the section “%(title)s”", title=title)


def render_guide(resolved: Resolved, locale: str, link_for: Callable[[str, str | None], str] | None = None) -> dict:
    """Template values for one guide as shown in ``locale`` (shared with the translators' preview)."""
    slug = resolved.source.slug
    return {
        "resolved": resolved,
        "guide": resolved.guide,
        "body": render_markdown(
            resolved.guide.body,
            link_for=link_for or (lambda target, anchor: guide_href(target, anchor, locale)),
            anchor_label=section_link_label,
        ),
        "requirements": all_requirements() if slug == "requirements" else None,
        "tutorial": tutorial_for(slug, locale),
        "english_url": guide_href(slug, locale="en"),
        "shown_lang": resolved.guide.locale.split("_")[0],
        # An English fallback inside a right-to-left page still reads left to right.
        "shown_dir": text_direction(resolved.guide.locale),
    }


def _vary(response):
    response.vary.add("HX-Request")
    return response


@bp.get("/")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def index():
    """All guides by category, or the results of a search within the visitor's language."""
    locale = current_locale()
    items = published(translations_root(), locale)
    query = request.args.get("q", "")[:MAX_QUERY].strip()
    results = None
    if query:
        by_slug = {item.source.slug: item for item in items}
        results = [by_slug[slug] for slug in index_for(locale, items).search(query)]
    groups = [(label, [i for i in items if i.source.category == key]) for key, label in CATEGORIES.items()]
    groups = [(label, members) for label, members in groups if members]
    context = {"groups": groups, "results": results, "query": query, "locale": locale}
    partial = bool(htmx and htmx.target == "guide-results")
    context["htmx_request"] = partial
    return _vary(make_response(render_template("guides/_results.html" if partial else "guides/index.html", **context)))


@bp.get("/<slug>")
@limiter.limit(lambda: current_app.config["RATELIMIT_PUBLIC"])
def guide(slug: str):
    """One guide, in the visitor's language, English with a notice when not translated."""
    locale = current_locale()
    resolved = resolve(translations_root(), slug, locale)
    if resolved is None:
        abort(404)
    return render_template("guides/guide.html", locale=locale, **render_guide(resolved, locale))
