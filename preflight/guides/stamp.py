"""Marking a translated guide as up to date: write the current English hash into its front matter."""

from __future__ import annotations

import re
from pathlib import Path

from .library import SLUG_RE, SOURCE_LOCALE, guides_dir, parse_guide

FRONT_MATTER = re.compile(r"\A---\s*\n(.*?\n)---\s*\n", re.S)
HASH_LINE = re.compile(r"^source_hash:.*$", re.M)


def mark_updated(root: Path, locale: str, slug: str) -> tuple[str | None, str]:
    """Set ``source_hash`` of ``<locale>/guides/<slug>.md`` to the English body's hash; (old, new).

    Only that one line changes: the rest of the file is kept byte for byte.
    """
    if locale == SOURCE_LOCALE:
        raise ValueError("English is the source: it has no source_hash")
    if not SLUG_RE.match(slug):
        raise ValueError(f"not a guide name: {slug!r}")
    source_path = guides_dir(root, SOURCE_LOCALE) / f"{slug}.md"
    target = guides_dir(root, locale) / f"{slug}.md"
    if not source_path.exists():
        raise FileNotFoundError(f"no English guide {slug!r}")
    if not target.exists():
        raise FileNotFoundError(f"no {locale} translation of {slug!r} yet ({target})")
    new = parse_guide(source_path.read_text(encoding="utf-8"), slug, SOURCE_LOCALE).content_hash
    text = target.read_text(encoding="utf-8")
    old = parse_guide(text, slug, locale).source_hash
    match = FRONT_MATTER.match(text)
    if match is None:
        raise ValueError(f"{target} has no front matter")
    head = match.group(1)
    line = f"source_hash: {new}"
    head = HASH_LINE.sub(line, head, count=1) if HASH_LINE.search(head) else head + line + "\n"
    target.write_text(f"---\n{head}---\n" + text[match.end() :], encoding="utf-8")
    return old, new
