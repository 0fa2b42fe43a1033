"""Orchestrate decoding, table finding, format detection and row checks."""

from __future__ import annotations

from collections.abc import Iterable

from .decode import MAX_BYTES, decode
from .formats import LABELS, ZOOM_FORMATS, detect, detect_without_table, primary_table, tables_to_import
from .layout import Layout, first_header, scan
from .model import ImportFormatError, ImportPreview
from .ole import is_ole, ole_error
from .records import DELIMITERS, Record, iter_records, physical_lines, sep_hint
from .rows import Settings, build
from .workbook import is_zip, worksheets

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
    if len(data) > MAX_BYTES:
        raise ImportFormatError("too_large", "file larger than 5 MB")
    if is_zip(data):
        layout, sheet = _read_workbook(data)
        encoding, delimiter, plain = "xlsx", "", "xlsx"
    elif is_ole(data):
        raise ole_error(data)
    else:
        layout, encoding, delimiter = _read_text(data)
        sheet, plain = "", "csv"
    preview = _preview(
        layout,
        plain=plain,
        known_languages=known_languages,
        default_language=default_language,
        default_role=default_role,
    )
    preview.encoding, preview.delimiter, preview.sheet = encoding, delimiter, sheet
    return preview


def _read_text(data: bytes) -> tuple[Layout, str, str]:
    """A text export: its layout, encoding and delimiter."""
    text, encoding = decode(data)
    lines = physical_lines(text)
    hint = sep_hint(lines)
    skip = 1 if hint else 0
    delimiter = hint or _choose_delimiter(lines, skip)
    layout = _scan(iter_records(lines, delimiter, skip))
    return layout, encoding, delimiter


def _read_workbook(data: bytes) -> tuple[Layout, str]:
    """The first worksheet with a participant table: its layout and name."""
    first_filled: Layout | None = None
    for sheet in worksheets(data):
        layout = _scan(sheet.records)
        if layout.tables:
            return layout, sheet.name
        if first_filled is None and (layout.preamble or layout.titles):
            first_filled = layout
    if first_filled is None:
        raise ImportFormatError("empty", "no worksheet has a filled cell")
    return first_filled, ""  # _preview reports its missing header


def _scan(records: Iterable[Record]) -> Layout:
    # Tables the import skips (Teams' join log) still cost reading time, so
    # the scan itself stops well past the row limit.
    return scan(records, max_records=2 * MAX_ROWS)


def _preview(
    layout: Layout, *, plain: str, known_languages: set[str], default_language: str, default_role: str
) -> ImportPreview:
    """Detect the format of a scanned file and check its rows (encoding and delimiter left to the caller).

    ``plain`` is the format of a table no platform is recognised in: "csv" or "xlsx".
    """
    if not layout.tables:
        fmt = detect_without_table(layout.preamble, layout.titles)
        raise ImportFormatError("no_header", "no row with a name and an email column", format=fmt)
    fmt = detect(layout, plain)
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
        encoding="",
        delimiter="",
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
