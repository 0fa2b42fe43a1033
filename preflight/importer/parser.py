"""Orchestrate decoding, table finding, format detection and row checks."""

from __future__ import annotations

from .decode import decode
from .formats import LABELS, ZOOM_FORMATS, detect, detect_without_table, primary_table, tables_to_import
from .layout import first_header, scan
from .model import ImportFormatError, ImportPreview
from .records import DELIMITERS, iter_records, physical_lines, sep_hint
from .rows import Settings, build

MAX_ROWS = 20_000


def parse(
    data: bytes,
    filename: str,
    *,
    known_languages: set[str],
    default_language: str,
    default_role: str,
) -> ImportPreview:
    """See preflight.importer.parse_registrants."""
    del filename  # the content decides; names like "export (3).csv" say nothing
    text, encoding = decode(data)
    lines = physical_lines(text)
    hint = sep_hint(lines)
    skip = 1 if hint else 0
    delimiter = hint or _choose_delimiter(lines, skip)

    # Tables the import skips (Teams' join log) still cost reading time, so
    # the scan itself stops well past the row limit.
    layout = scan(iter_records(lines, delimiter, skip), max_records=2 * MAX_ROWS)
    if not layout.tables:
        fmt = detect_without_table(layout.preamble, layout.titles)
        raise ImportFormatError("no_header", "no row with a name and an email column", format=fmt)
    fmt = detect(layout)
    tables = tables_to_import(fmt, layout)
    if not tables:
        raise ImportFormatError("no_header", "no participant table", format=fmt)
    total = sum(len(t.records) for t in tables)
    if total > MAX_ROWS:
        raise ImportFormatError("too_large", f"more than {MAX_ROWS} rows", format=fmt)

    settings = Settings(
        known_languages=frozenset(known_languages),
        default_language=default_language,
        default_role=default_role,
        zoom_names=fmt in ZOOM_FORMATS,
    )
    rows, errors = build(tables, settings)
    shown = primary_table(tables)
    return ImportPreview(
        format=fmt,
        format_label=LABELS[fmt],
        encoding=encoding,
        delimiter=delimiter,
        header_line=shown.header_line,
        columns=shown.cmap.columns,
        ignored_columns=shown.cmap.ignored,
        rows=rows,
        errors=errors,
        total_lines=total,
    )


def _choose_delimiter(lines: list[str], skip: int) -> str:
    """The delimiter under which a header row appears, best-matching first.

    A wrong delimiter leaves whole header lines in one cell, which matches no
    alias, so the right one is the one that finds the most known columns.
    """
    best: tuple[tuple[int, int, int, int], str] | None = None
    for rank, delimiter in enumerate(DELIMITERS):
        try:
            found = first_header(iter_records(lines, delimiter, skip))
        except ImportFormatError:
            continue
        if found is None:
            continue
        record, cmap = found
        score = (len(cmap.fields), len([h for h in cmap.headers if h]), -record.line, -rank)
        if best is None or score > best[0]:
            best = (score, delimiter)
    if best is not None:
        return best[1]
    return _likely_delimiter(lines[skip:])


def _likely_delimiter(lines: list[str]) -> str:
    """Fallback for files with no header: the most frequent delimiter."""
    sample = "".join(lines[:50])
    return max(DELIMITERS, key=lambda d: (sample.count(d), d == ","))
