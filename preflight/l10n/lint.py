"""Consistency checks on translations (run in CI by ``flask i18n check``).

A translation must keep exactly the placeholders and HTML tags of its source:
a lost ``%(name)s`` crashes or garbles a page, an extra ``<a href>`` or a
``<script>`` is an injection. Shipped locales must have no fuzzy or missing entry.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from babel.messages.catalog import Catalog, Message

from . import typography

PLACEHOLDER = re.compile(
    r"%\([A-Za-z_][A-Za-z0-9_]*\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|\{[A-Za-z_][A-Za-z0-9_]*(?:[!:][^{}]*)?\}"
)
TAG = re.compile(r"<\s*(/?)\s*([A-Za-z][A-Za-z0-9-]*)([^<>]*)>")
DANGEROUS = re.compile(r"<\s*script|javascript\s*:|\son[a-z]+\s*=", re.IGNORECASE)
# Plural forms may leave out the count ("un fichier"); every other placeholder must stay.
COUNT_PLACEHOLDERS = {"%(num)d", "%(num)s", "%(count)d", "%(count)s", "%d", "%s"}


@dataclass(frozen=True)
class Problem:
    """One issue in one locale's catalog."""

    locale: str
    msgid: str
    issue: str

    def __str__(self) -> str:
        return f"{self.locale}: {self.msgid!r}: {self.issue}"


def placeholders(text: str) -> Counter:
    """Placeholders in ``text`` (``%%`` is a literal percent sign, not one)."""
    return Counter(PLACEHOLDER.findall(text.replace("%%", "")))


def tags(text: str) -> Counter:
    """HTML tags in ``text``, normalised (attribute whitespace collapsed)."""
    return Counter(
        f"<{m.group(1)}{m.group(2).lower()}{' '.join(m.group(3).split()) and ' ' + ' '.join(m.group(3).split())}>"
        for m in TAG.finditer(text)
    )


def _describe(diff: Counter) -> str:
    return ", ".join(sorted(diff.elements()))


def check_pair(source: str, translation: str, *, plural_of: str | None = None) -> list[str]:
    """What is wrong with ``translation`` of ``source`` (empty list: nothing).

    For a plural form, ``source`` is the plural msgid and ``plural_of`` the singular:
    the form may drop the count, but must keep every other placeholder.
    """
    issues = []
    want, got = placeholders(source), placeholders(translation)
    if plural_of is not None:
        allowed = set(want) | set(placeholders(plural_of))
        want = Counter({k: v for k, v in want.items() if k not in COUNT_PLACEHOLDERS})
        missing = set(want) - set(got)
        extra = set(got) - allowed
        if missing:
            issues.append(f"placeholder missing: {', '.join(sorted(missing))}")
        if extra:
            issues.append(f"placeholder not in the source: {', '.join(sorted(extra))}")
    else:
        if want - got:
            issues.append(f"placeholder missing: {_describe(want - got)}")
        if got - want:
            issues.append(f"placeholder not in the source: {_describe(got - want)}")
    if tags(source) != tags(translation):
        issues.append(
            f"HTML tags differ: source has {_describe(tags(source)) or 'none'}, translation has "
            f"{_describe(tags(translation)) or 'none'}"
        )
    if DANGEROUS.search(translation) and not DANGEROUS.search(source):
        issues.append("contains script, an event handler or a javascript: link")
    return issues


def _msgid_text(message: Message) -> str:
    return message.id[0] if isinstance(message.id, (list, tuple)) else message.id


def check_message(locale: str, message: Message) -> list[Problem]:
    """Placeholders and tags of one translated message (and French typography in French)."""
    if not message.id or not message.string:
        return []
    label = _msgid_text(message)
    if locale.split("_")[0] == "fr":
        forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        typo = [
            Problem(locale, label, f"French typography: no-break space needed in {q}")
            for f in forms
            if f
            for q in typography.problems(f)
        ]
    else:
        typo = []
    if isinstance(message.id, (list, tuple)):
        singular, plural = message.id[0], message.id[1]
        forms = message.string if isinstance(message.string, (list, tuple)) else (message.string,)
        return typo + [
            Problem(locale, label, f"plural form {index}: {issue}")
            for index, form in enumerate(forms)
            if form
            for issue in check_pair(plural, form, plural_of=singular)
        ]
    return typo + [Problem(locale, label, issue) for issue in check_pair(message.id, message.string)]


def check_catalog(locale: str, catalog: Catalog, template: Catalog, *, complete: bool) -> list[Problem]:
    """Every problem in ``catalog``; with ``complete``, fuzzy and missing entries too."""
    problems: list[Problem] = []
    for message in catalog:
        if message.id:
            problems.extend(check_message(locale, message))
    if complete:
        for source in template:
            if not source.id:
                continue
            message = catalog.get(source.id, context=source.context)
            label = _msgid_text(source)
            if message is None or not _translated(message):
                problems.append(Problem(locale, label, "missing translation"))
            elif message.fuzzy:
                problems.append(Problem(locale, label, "fuzzy (needs review)"))
    return problems


def _translated(message: Message) -> bool:
    if isinstance(message.string, (list, tuple)):
        return bool(message.string) and all(message.string)
    return bool(message.string)


def check_guides(locale: str, folder) -> list[Problem]:
    """French typography in a French locale's guides (Markdown files in ``folder``)."""
    if locale.split("_")[0] != "fr" or not folder.is_dir():
        return []
    return [
        Problem(locale, f"guides/{path.name}:{number}", f"French typography: no-break space needed in {quote}")
        for path in sorted(folder.glob("*.md"))
        for number, text in guide_prose(path.read_text(encoding="utf-8"))
        for quote in typography.problems(text)
    ]


FRONT_MATTER_PROSE = re.compile(r"^(title|summary):[ \t]*(.*)$")


def guide_prose(source: str):
    """(line number, text) of a guide's prose: the body, and the title and summary of its front matter."""
    lines = source.splitlines()
    in_front = bool(lines) and lines[0].strip() == "---"
    for number, line in enumerate(lines, 1):
        if in_front:
            if number > 1 and line.strip() == "---":
                in_front = False
            elif match := FRONT_MATTER_PROSE.match(line):
                yield number, match.group(2)
            continue
        yield number, line
