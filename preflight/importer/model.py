"""Result types of the participant-list parser (plain data, no I/O)."""

from __future__ import annotations

from dataclasses import dataclass, field

# Row-level problem codes, in the order they are checked for one row.
ROW_ERROR_CODES = (
    "missing_email",
    "invalid_email",
    "missing_name",
    "too_long",
    "unknown_language",
    "unknown_role",
    "duplicate_email",
)

# File-level failure codes carried by ImportFormatError.code.
FILE_ERROR_CODES = ("empty", "binary", "no_header", "too_large", "encoding", "damaged_xlsx", "encrypted", "legacy_xls")


@dataclass
class ImportRow:
    """One participant, possibly merged from several rows sharing an email."""

    line: int
    name: str
    email: str
    language: str
    role: str
    merged_lines: list[int] = field(default_factory=list)
    # False when the file had no value and the event default was filled in: a
    # re-import must then keep what a known participant already has.
    language_given: bool = True
    role_given: bool = True


@dataclass
class RowError:
    """One rejected data row: its physical line, a code and the offending value."""

    line: int
    code: str
    value: str


@dataclass
class ImportPreview:
    """What the parser understood of a file, shown to staff before importing."""

    format: str
    format_label: str
    encoding: str
    delimiter: str
    header_line: int
    columns: dict[str, str]
    ignored_columns: list[str]
    rows: list[ImportRow]
    errors: list[RowError]
    total_lines: int
    # The worksheet read, for a workbook (encoding "xlsx", no delimiter); "" for text files.
    sheet: str = ""


class ImportFormatError(ValueError):
    """The file as a whole cannot be read as a participant list.

    ``code`` is one of FILE_ERROR_CODES; ``format`` is the file kind when it
    could still be recognised (e.g. a 2020 Teams report that has no email
    column), else "".
    """

    def __init__(self, code: str, message: str = "", *, format: str = "") -> None:
        super().__init__(message or code)
        self.code = code
        self.format = format
