"""Guide files: loading, content hashes and translation state.

Guides live in ``translations/<locale>/guides/<slug>.md``: YAML front matter
(title, summary, category, order, keywords; translations add ``source_hash``)
and a Markdown body. English is the source. A translation records the hash
of the English body it was made from; when the English body changes, the
translation is *outdated* until a translator updates it and its hash.
"""

from __future__ import annotations

import hashlib
import logging
import re
import threading
from dataclasses import dataclass
from enum import Enum
from functools import cached_property
from pathlib import Path

import yaml

from .. import front_matter

SOURCE_LOCALE = "en"
SLUG_RE = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
# "## Heading {#id}": the explicit, language-independent anchors verdicts link to.
HEADING_ID_RE = re.compile(r"^#{1,6} .*\{#([A-Za-z0-9_-]+)\}\s*$", re.MULTILINE)

RAW_SOURCE_HASH = re.compile(r"^source_hash:\s*['\"]?([0-9A-Fa-f]+)['\"]?\s*$", re.MULTILINE)

log = logging.getLogger(__name__)


class GuideState(str, Enum):
    """Where a guide stands in one locale."""

    source = "source"  # the English original
    current = "current"  # translated from the current English
    outdated = "outdated"  # translated from an older English version
    missing = "missing"  # no translation: English is shown instead
    orphaned = "orphaned"  # a translation whose English original is gone
    invalid = "invalid"  # the file exists but its front matter cannot be read


@dataclass(frozen=True)
class Guide:
    """One guide file in one locale."""

    slug: str
    locale: str
    title: str
    summary: str
    category: str
    order: int
    keywords: tuple[str, ...]
    body: str
    source_hash: str | None

    @cached_property
    def content_hash(self) -> str:
        """Hash of this file's body (what translations of it must record)."""
        return body_hash(self.body)

    @property
    def heading_ids(self) -> list[str]:
        """Explicit section ids, in order."""
        return HEADING_ID_RE.findall(self.body)


@dataclass(frozen=True)
class LocaleGuides:
    """The guides of one locale folder: the readable ones and the broken files."""

    guides: dict[str, Guide]
    invalid: dict[str, str]  # slug -> why it could not be read


def body_hash(body: str) -> str:
    """First 12 hex digits of SHA-256 of the stripped body: the value ``source_hash`` records."""
    return hashlib.sha256(body.strip().encode("utf-8")).hexdigest()[:12]


def guides_dir(root: Path, locale: str) -> Path:
    """``translations/<locale>/guides``."""
    return Path(root) / locale / "guides"


def parse_guide(text: str, slug: str, locale: str) -> Guide:
    """Parse one guide file's text; ValueError when its front matter is unusable."""
    try:
        post = front_matter.loads(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"front matter is not valid YAML: {exc}") from None
    meta = post.metadata
    title = meta.get("title")
    if not isinstance(title, str) or not title.strip():
        raise ValueError("front matter needs a title")
    keywords = meta.get("keywords") or []
    if not isinstance(keywords, list):
        raise ValueError("keywords must be a list")
    order = meta.get("order", 1000)
    source_hash = meta.get("source_hash")
    if source_hash is not None and not isinstance(source_hash, str):
        # YAML reads an all-digit hash (000123456789) as a number: take the text as written.
        raw = RAW_SOURCE_HASH.search(text)
        source_hash = raw.group(1) if raw else str(source_hash)
    return Guide(
        slug=slug,
        locale=locale,
        title=title.strip(),
        summary=str(meta.get("summary") or "").strip(),
        category=str(meta.get("category") or "general"),
        order=order if isinstance(order, int) and not isinstance(order, bool) else 1000,
        keywords=tuple(str(k) for k in keywords),
        body=post.content,
        source_hash=str(source_hash) if source_hash is not None else None,
    )


_cache: dict[tuple[str, str], tuple[tuple, LocaleGuides]] = {}
_lock = threading.Lock()


def _signature(folder: Path) -> tuple:
    """Names, sizes and modification times: cheap to compute, changes when a file changes."""
    if not folder.is_dir():
        return ()
    return tuple(sorted((p.name, p.stat().st_mtime_ns, p.stat().st_size) for p in folder.glob("*.md")))


def load_locale(root: Path, locale: str) -> LocaleGuides:
    """Every guide of ``locale`` (re-read only when a file changed)."""
    folder = guides_dir(root, locale)
    signature = _signature(folder)
    key = (str(folder), locale)
    cached = _cache.get(key)
    if cached and cached[0] == signature:
        return cached[1]
    guides: dict[str, Guide] = {}
    invalid: dict[str, str] = {}
    for path in sorted(folder.glob("*.md")) if signature else []:
        slug = path.stem
        if not SLUG_RE.match(slug):
            invalid[slug] = "file name is not a valid slug (lowercase letters, digits and dashes)"
            continue
        try:
            guides[slug] = parse_guide(path.read_text(encoding="utf-8"), slug, locale)
        except (ValueError, UnicodeDecodeError) as exc:
            log.warning("guide %s/%s skipped: %s", locale, slug, exc)
            invalid[slug] = str(exc)
    loaded = LocaleGuides(guides, invalid)
    with _lock:
        _cache[key] = (signature, loaded)
    return loaded


def state_of(translation: Guide | None, source: Guide | None, invalid: bool = False) -> GuideState:
    """The state of one slug in a locale, given its translation and the English original."""
    if invalid:
        return GuideState.invalid
    if source is None:
        return GuideState.orphaned
    if translation is None:
        return GuideState.missing
    if translation.locale == source.locale:
        return GuideState.source
    if translation.source_hash != source.content_hash:
        return GuideState.outdated
    return GuideState.current


def guide_states(root: Path, locale: str) -> dict[str, GuideState]:
    """slug -> state for every English guide and every file of ``locale``."""
    source = load_locale(root, SOURCE_LOCALE).guides
    local = load_locale(root, locale)
    slugs = set(source) | set(local.guides) | set(local.invalid)
    return {slug: state_of(local.guides.get(slug), source.get(slug), slug in local.invalid) for slug in sorted(slugs)}


@dataclass(frozen=True)
class Resolved:
    """The guide to show for (slug, locale), and why that one."""

    guide: Guide  # what is displayed (the translation, or English as a fallback)
    state: GuideState
    source: Guide  # the English original

    @property
    def shows_english_instead(self) -> bool:
        """The visitor asked for another language but reads English."""
        return self.state in (GuideState.missing, GuideState.invalid)


def resolve(root: Path, slug: str, locale: str) -> Resolved | None:
    """The guide for ``slug`` in ``locale`` with English fallback; None when there is no such guide."""
    if not SLUG_RE.match(slug):
        return None
    source = load_locale(root, SOURCE_LOCALE).guides.get(slug)
    if source is None:
        return None  # orphaned translations are not published
    if locale == SOURCE_LOCALE:
        return Resolved(source, GuideState.source, source)
    local = load_locale(root, locale)
    translation = local.guides.get(slug)
    state = state_of(translation, source, slug in local.invalid)
    return Resolved(translation if translation is not None else source, state, source)


def published(root: Path, locale: str) -> list[Resolved]:
    """Every English guide as shown in ``locale`` (translation or fallback), by category order."""
    slugs = load_locale(root, SOURCE_LOCALE).guides
    items = [resolve(root, slug, locale) for slug in slugs]
    return sorted((r for r in items if r is not None), key=lambda r: (r.source.order, r.source.slug))
