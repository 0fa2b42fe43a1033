"""Participant-list parser: whatever registration or meeting platforms export.

Pure Python (no Flask, no database): the staff upload view calls
:func:`parse_registrants`, shows the returned :class:`ImportPreview`, and
imports ``preview.rows`` once staff confirm.
"""

from __future__ import annotations

from .model import ImportFormatError, ImportPreview, ImportRow, RowError
from .parser import parse

__all__ = ["ImportFormatError", "ImportPreview", "ImportRow", "RowError", "parse_registrants"]


def parse_registrants(
    data: bytes,
    filename: str = "",
    *,
    known_languages: set[str],
    default_language: str,
    default_role: str = "attendee",
) -> ImportPreview:
    """Read an uploaded participant list and report what would be imported.

    Accepts plain CSV (UTF-8 with or without BOM, cp1252, UTF-16; comma,
    semicolon or tab; English or French headers), Excel workbooks (.xlsx:
    the first worksheet with a header row, told apart by content, not by
    name) and the exports of Zoom, Teams, Eventbrite, Microsoft Forms,
    Google Forms and GoTo Webinar.
    Bad rows are listed in ``errors`` with their physical line number;
    repeated rows of one person are merged by email. Raises
    ImportFormatError when the file as a whole is unusable (codes "empty",
    "binary", "no_header", "too_large", "encoding", and for workbooks
    "damaged_xlsx", "encrypted", "legacy_xls").
    """
    return parse(
        data,
        filename,
        known_languages=known_languages,
        default_language=default_language,
        default_role=default_role,
    )
