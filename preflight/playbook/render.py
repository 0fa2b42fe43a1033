"""Playbook Markdown to safe HTML, with the guides' renderer (markdown-it-py, then nh3).

Links written as a bare slug resolve to another playbook page when one has that
slug, otherwise to the participant guide of that name (``camera-problems#black``).
"""

from __future__ import annotations

from flask import url_for

from ..guides.links import guide_href
from ..guides.render import render_markdown as _render


def _link_for(slug: str, anchor: str | None) -> str:
    from .pages import SLUGS

    if slug in SLUGS:
        return url_for("playbook.show", slug=slug, _anchor=anchor or None)
    return guide_href(slug, anchor)


def render_markdown(text: str) -> str:
    """Safe HTML for a playbook page's Markdown body."""
    return _render(text or "", _link_for)
