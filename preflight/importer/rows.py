"""Turn table records into validated participants, merged by email."""

from __future__ import annotations

from dataclasses import dataclass

from .layout import SECTION_ROLES, Table
from .model import ImportRow, RowError
from .values import (
    MAX_NAME,
    PLACEHOLDERS,
    clean_email,
    clean_name,
    collapse,
    join_name,
    name_key,
    same_person,
    validate,
)
from .vocab import PRESENTER, language_of, role_of

_SHOWN = 200  # longest offending value echoed back in a RowError


@dataclass
class Settings:
    """Caller's choices applied to every row."""

    known_languages: frozenset[str]
    default_language: str
    default_role: str
    zoom_names: bool  # names are Zoom's "Current (Original)" display names


@dataclass
class _Entry:
    row: ImportRow
    language_explicit: bool


def build(tables: list[Table], settings: Settings) -> tuple[list[ImportRow], list[RowError]]:
    """Validate every record of ``tables``; merge repeated people by email."""
    entries: dict[str, _Entry] = {}
    errors: list[RowError] = []
    email_cache: dict[str, str | None] = {}
    for table in tables:
        section_role = SECTION_ROLES.get(table.section) or None
        for record in table.records:
            outcome = _read(table, record.cells, record.line, section_role, settings, email_cache)
            if isinstance(outcome, RowError):
                errors.append(outcome)
                continue
            row, language_explicit = outcome
            key = row.email.casefold()
            known = entries.get(key)
            if known is None:
                entries[key] = _Entry(row, language_explicit)
            elif same_person(known.row.name, row.name):
                _merge(known, row, language_explicit)
            else:
                errors.append(RowError(row.line, "duplicate_email", row.email))
    rows = sorted((e.row for e in entries.values()), key=lambda r: r.line)
    errors.sort(key=lambda e: e.line)
    return rows, errors


def _merge(known: _Entry, row: ImportRow, language_explicit: bool) -> None:
    """Fold a repeat row (a Zoom rejoin, a second ticket) into the first one."""
    known.row.merged_lines.append(row.line)
    if len(name_key(row.name)) > len(name_key(known.row.name)):
        known.row.name = row.name  # "Cam" then "Camille Durand": keep the fuller
    if row.role == PRESENTER:
        known.row.role = PRESENTER  # a host also registered as attendee presents
    known.row.role_given = known.row.role_given or row.role_given
    if language_explicit and not known.language_explicit:
        known.row.language, known.language_explicit = row.language, True
        known.row.language_given = True


def _read(
    table: Table,
    cells: list[str],
    line: int,
    section_role: str | None,
    settings: Settings,
    email_cache: dict[str, str | None],
) -> tuple[ImportRow, bool] | RowError:
    """One record -> (row, language given explicitly) or the first problem found."""
    cmap = table.cmap
    name = _name(
        cmap.value(cells, "name", PLACEHOLDERS),
        cmap.value(cells, "first_name", PLACEHOLDERS),
        cmap.value(cells, "last_name", PLACEHOLDERS),
        settings.zoom_names,
    )
    raw_email = cmap.value(cells, "email", PLACEHOLDERS)
    if not raw_email:
        return RowError(line, "missing_email", _shown(name))
    address = clean_email(raw_email)
    if address not in email_cache:
        email_cache[address] = validate(address)
    email = email_cache[address]
    if email is None:
        return RowError(line, "invalid_email", _shown(collapse(raw_email)))
    if not name:
        return RowError(line, "missing_name", email)
    if len(name) > MAX_NAME:
        return RowError(line, "too_long", _shown(name))

    raw_language = cmap.value(cells, "language", PLACEHOLDERS)
    language = settings.default_language
    if raw_language:
        found = language_of(raw_language, settings.known_languages)
        if found is None:
            return RowError(line, "unknown_language", _shown(collapse(raw_language)))
        language = found

    raw_role = cmap.value(cells, "role", PLACEHOLDERS)
    role = section_role or settings.default_role
    if raw_role:
        found_role = role_of(raw_role)
        if found_role is None:
            return RowError(line, "unknown_role", _shown(collapse(raw_role)))
        role = found_role
    row = ImportRow(
        line=line,
        name=name,
        email=email,
        language=language,
        role=role,
        language_given=bool(raw_language),
        role_given=bool(raw_role or section_role),
    )
    return row, bool(raw_language)


def _name(full: str, first: str, last: str, zoom_names: bool) -> str:
    """Prefer registration first+last names; else the display name."""
    if first and last:
        return join_name(first, last)
    if full:
        return clean_name(full, zoom_rename=zoom_names)
    return join_name(first, last)


def _shown(value: str) -> str:
    return value if len(value) <= _SHOWN else value[: _SHOWN - 1] + "…"
