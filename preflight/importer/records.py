"""Split decoded text into CSV records that remember their physical line.

Line numbers are what a text editor shows: a record whose quoted cell holds
line breaks spans several lines, and the next record starts after them.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .model import ImportFormatError

DELIMITERS = ("\t", ";", ",")

# Only CR, LF and CRLF end a line (str.splitlines would also split on
# form feeds and Unicode separators that spreadsheets leave inside cells).
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# Excel's delimiter hint: `sep=;` alone on the first line, sometimes quoted.
_SEP_RE = re.compile(r'^"?sep=(.)"?[,;\t]*\s*$', re.IGNORECASE)


@dataclass
class Record:
    """One CSV record: its cells and the physical line it starts on (1-based)."""

    line: int
    cells: list[str]


def physical_lines(text: str) -> list[str]:
    """Split text into physical lines, keeping each line's terminator."""
    return _LINE_RE.findall(text)


def sep_hint(lines: list[str]) -> str | None:
    """Return the delimiter announced by a leading `sep=` line, if any."""
    if lines:
        match = _SEP_RE.match(lines[0])
        if match and match.group(1) in DELIMITERS:
            return match.group(1)
    return None


def iter_records(lines: list[str], delimiter: str, skip: int = 0) -> Iterator[Record]:
    """Yield records parsed with ``delimiter``, starting after ``skip`` lines.

    A cell larger than the csv module's limit (an unmatched quote swallowing
    the rest of the file) ends parsing with ImportFormatError("too_large").
    """
    reader = csv.reader(iter(lines[skip:]), delimiter=delimiter, quotechar='"', doublequote=True)
    consumed = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ImportFormatError("too_large", "a cell is too large to be a name or an email") from exc
        start = skip + consumed + 1
        consumed = reader.line_num
        yield Record(start, cells)
