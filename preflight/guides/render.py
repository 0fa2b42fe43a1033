"""Markdown to safe HTML for guides: markdown-it-py, then nh3.

Guides are written by translators, not developers, so the HTML is treated as
untrusted: whatever the Markdown contains (raw ``<script>``, ``javascript:``
links, event handlers, inline styles), only allow-listed tags and attributes
survive, and images and videos may only come from ``/static/``.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable

import nh3
from markdown_it import MarkdownIt
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from mdit_py_plugins.anchors import anchors_plugin
from mdit_py_plugins.attrs import attrs_block_plugin

# "Heading text {#id}" at the end of a heading (pandoc / markdown-it-attrs syntax).
TRAILING_ID = re.compile(r"\s*\{#([A-Za-z0-9_-]+)\}\s*$")
# A link to another guide, written without the locale: "camera-problems#black", "#busy".
GUIDE_HREF = re.compile(r"^(?P<slug>[a-z0-9][a-z0-9-]*)?(?:#(?P<anchor>[A-Za-z0-9_-]+))?$")

ALLOWED_TAGS = {
    "p",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "ul",
    "ol",
    "li",
    "a",
    "strong",
    "em",
    "code",
    "pre",
    "kbd",
    "blockquote",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "hr",
    "br",
    "img",
    "figure",
    "figcaption",
    "video",
    "source",
    "track",
    "dl",
    "dt",
    "dd",
    "del",
    "sup",
    "sub",
    "span",
    "div",
}
ALLOWED_ATTRIBUTES = {
    "*": {"id", "class", "lang", "dir", "title"},
    "a": {"href", "hreflang", "aria-label"},
    "img": {"src", "alt", "width", "height", "loading"},
    "video": {"src", "controls", "width", "height", "poster", "preload", "muted", "playsinline"},
    "source": {"src", "type"},
    "track": {"src", "kind", "srclang", "label", "default"},
    "th": {"scope", "colspan", "rowspan"},
    "td": {"colspan", "rowspan"},
    "ol": {"start"},
}
MEDIA_ATTRIBUTES = {"src", "poster"}
STATIC_PREFIX = "/static/"


def _heading_ids(state: StateCore) -> None:
    """Turn a trailing ``{#id}`` in a heading into the heading's ``id``."""
    for index, token in enumerate(state.tokens):
        if token.type != "heading_open":
            continue
        inline = state.tokens[index + 1]
        children = inline.children or []
        if not children or children[-1].type != "text":
            continue
        match = TRAILING_ID.search(children[-1].content)
        if match:
            token.attrSet("id", match.group(1))
            children[-1].content = children[-1].content[: match.start()]
            inline.content = TRAILING_ID.sub("", inline.content)


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    md = MarkdownIt("commonmark", {"html": True, "linkify": False, "typographer": False}).enable("table")
    md.use(attrs_block_plugin)
    md.core.ruler.push("heading_ids", _heading_ids)
    # Headings without an explicit id still get one, so every section can be linked.
    md.use(anchors_plugin, min_level=2, max_level=4)
    return md


def _media_filter(tag: str, attribute: str, value: str) -> str | None:
    """Images, videos and captions only from our own /static/ folder."""
    if attribute in MEDIA_ATTRIBUTES and not value.startswith(STATIC_PREFIX):
        return None
    return value


def sanitise(html: str) -> str:
    """Keep only allow-listed tags and attributes; no script, no javascript: URL, no inline style."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto", "tel"},
        attribute_filter=_media_filter,
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


def _rewrite_links(
    tokens: list[Token], link_for: Callable[[str, str | None], str], anchor_label: Callable[[str], str] | None
) -> None:
    """Resolve guide links to real URLs; add a permalink to every heading, named after it."""
    for index, token in enumerate(tokens):
        if token.type == "inline":
            for child in token.children or []:
                if child.type == "link_open":
                    href = str(child.attrGet("href") or "")
                    match = GUIDE_HREF.match(href)
                    if href and match and match.group("slug"):
                        child.attrSet("href", link_for(match.group("slug"), match.group("anchor")))
        elif token.type == "heading_open" and anchor_label and token.attrGet("id"):
            inline = tokens[index + 1]
            title = " ".join(child.content for child in inline.children or [] if child.type == "text").strip()
            link = Token(
                "link_open",
                "a",
                1,
                attrs={"class": "heading-anchor", "href": f"#{token.attrGet('id')}", "aria-label": anchor_label(title)},
            )
            inline.children = (inline.children or []) + [
                Token("text", "", 0, content=" "),
                link,
                Token("text", "", 0, content="#"),
                Token("link_close", "a", -1),
            ]


def render_markdown(
    body: str, link_for: Callable[[str, str | None], str], anchor_label: Callable[[str], str] | None = None
) -> str:
    """Guide Markdown to sanitised HTML; ``link_for(slug, anchor)`` builds links to other guides;
    ``anchor_label(heading)`` names each heading's permalink (none without it)."""
    md = _markdown()
    tokens = md.parse(body)
    _rewrite_links(tokens, link_for, anchor_label)
    return sanitise(md.renderer.render(tokens, md.options, {}))


def plain_text(body: str) -> str:
    """The words of a guide without markup (for the search index)."""
    text = TRAILING_ID.sub("", body)
    text = re.sub(r"\{#[A-Za-z0-9_-]+\}", " ", text)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # drop link targets, keep link text
    return re.sub(r"[#*_`>\[\]|]", " ", text)
