"""The translation status report: one function, shown by ``flask i18n status`` and the staff page.

Per locale: UI strings translated / fuzzy / missing (counted against the
``.pot``, so a catalog that was never updated shows its new strings as missing),
guides present / missing / outdated / orphaned (see ``preflight.guides.library``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from babel.messages.catalog import Catalog

from ..guides.library import SOURCE_LOCALE, GuideState, guide_states
from .catalogs import Paths, load


@dataclass
class StringStats:
    """UI strings of one locale."""

    total: int = 0
    translated: int = 0
    fuzzy: int = 0
    missing: int = 0

    @property
    def percent(self) -> int:
        """Share translated, rounded down (100 only when nothing is left)."""
        return 100 if not self.total else (self.translated * 100) // self.total


@dataclass
class GuideStats:
    """Guides of one locale, by state (slugs, sorted)."""

    present: list[str] = field(default_factory=list)  # translated and current
    missing: list[str] = field(default_factory=list)
    outdated: list[str] = field(default_factory=list)
    orphaned: list[str] = field(default_factory=list)
    invalid: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        """Number of English guides."""
        return len(self.present) + len(self.missing) + len(self.outdated) + len(self.invalid)


@dataclass
class LocaleStatus:
    """Everything a translator needs to know about one locale."""

    locale: str
    shipped: bool
    strings: StringStats
    guides: GuideStats
    states: dict[str, GuideState] = field(default_factory=dict)
    has_catalog: bool = True

    @property
    def is_source(self) -> bool:
        """English: the source of everything, complete by definition."""
        return self.locale == SOURCE_LOCALE

    @property
    def complete(self) -> bool:
        """Nothing left to translate or review (orphaned guides are reported, not counted)."""
        if self.is_source:
            return not self.guides.invalid
        return not (
            self.strings.fuzzy
            or self.strings.missing
            or self.guides.missing
            or self.guides.outdated
            or self.guides.invalid
            or not self.has_catalog
        )


def _is_translated(message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return bool(message.string) and all(message.string)
    return bool(message.string)


def string_stats(catalog: Catalog | None, template: Catalog) -> StringStats:
    """Count the template's messages as translated, fuzzy or missing in ``catalog``."""
    stats = StringStats()
    for source in template:
        if not source.id:
            continue
        stats.total += 1
        message = catalog.get(source.id, context=source.context) if catalog is not None else None
        if message is None or not _is_translated(message):
            stats.missing += 1
        elif message.fuzzy:
            stats.fuzzy += 1
        else:
            stats.translated += 1
    return stats


def guide_stats(translations: Path, locale: str) -> tuple[GuideStats, dict[str, GuideState]]:
    """Guides of ``locale`` by state."""
    stats = GuideStats()
    states = guide_states(translations, locale)
    buckets = {
        GuideState.source: stats.present,
        GuideState.current: stats.present,
        GuideState.missing: stats.missing,
        GuideState.outdated: stats.outdated,
        GuideState.orphaned: stats.orphaned,
        GuideState.invalid: stats.invalid,
    }
    for slug, state in states.items():
        buckets[state].append(slug)
    return stats, states


def locale_status(locale: str, shipped: bool, paths: Paths = Paths(), template: Catalog | None = None) -> LocaleStatus:
    """The status of one locale."""
    template = template if template is not None else load(paths.pot)
    po_path = paths.po(locale)
    has_catalog = po_path.exists() or locale == SOURCE_LOCALE
    if locale == SOURCE_LOCALE:
        total = sum(1 for m in template if m.id)
        strings = StringStats(total=total, translated=total)
    else:
        strings = string_stats(load(po_path, locale=locale) if po_path.exists() else None, template)
    guides, states = guide_stats(paths.translations, locale)
    return LocaleStatus(locale, shipped, strings, guides, states, has_catalog)


def report(shipped: list[str], paths: Paths = Paths(), extra: list[str] | None = None) -> list[LocaleStatus]:
    """Status of the shipped locales, then of any other locale that has a catalog or a guides folder."""
    template = load(paths.pot)
    others = set(extra or []) | set(paths.catalog_locales())
    others |= {p.parent.name for p in paths.translations.glob("*/guides")}
    others -= set(shipped)
    ordered = list(shipped) + sorted(others)
    return [locale_status(locale, locale in shipped, paths, template) for locale in ordered]
