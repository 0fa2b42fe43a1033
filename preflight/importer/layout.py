"""Find the tables inside an export: preamble, named sections, header rows.

Platform reports are not one table. Zoom's webinar report stacks a title,
a summary table and `Host Details` / `Panelist Details` / `Attendee Details`
sections, each with its own header; Teams numbers its sections `1. Summary`,
`2. Participants`, `3. In-Meeting Activities`; GoTo Webinar ends its table
with a footnote row. A table starts at a header row (a name-like and an
email-like column) and runs until the next header, section title or footnote.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

from .headers import ColumnMap, could_be_header, map_columns, normalize
from .model import ImportFormatError
from .records import Record
from .values import is_empty

# Section titles that end a table. Values: the role of the people listed
# in the section, "" when the title says nothing about roles.
SECTION_ROLES = {
    "host details": "presenter",
    "panelist details": "presenter",
    "panelists": "presenter",
    "hosts": "presenter",
    "attendee details": "attendee",
    "other attended": "attendee",
    "registrant details": "attendee",
    "attendees": "attendee",
    "participants": "",
    "absentee details": "attendee",
    "in meeting activities": "",
    "meeting summary": "",
    "summary": "",
    "attendee report": "",
    "registration report": "",
    "general information": "",
    "session details": "",
}
_NUMBERED = re.compile(r"^\s*(\d{1,2})\s*[.)]\s*\S")
# Every known layout has its first header within a few dozen lines; giving
# up after this many records keeps junk uploads cheap.
HEADER_SEARCH_LIMIT = 1000


@dataclass
class Table:
    """One header row and the data records under it."""

    header_line: int
    cmap: ColumnMap
    section: str  # normalised title of the enclosing section, "" if none
    section_number: int | None
    records: list[Record] = field(default_factory=list)


@dataclass
class Layout:
    """Everything found in a file: tables plus the text around them."""

    preamble: list[list[str]] = field(default_factory=list)  # rows before the first table
    titles: list[str] = field(default_factory=list)  # normalised section titles, in order
    tables: list[Table] = field(default_factory=list)


def section_number(title: str) -> int | None:
    """2 for '2. Participants', None for an unnumbered title."""
    match = _NUMBERED.match(title)
    return int(match.group(1)) if match else None


def _is_known_title(text: str) -> bool:
    return normalize(text).rstrip(" :") in SECTION_ROLES or section_number(text) is not None


def _is_footnote(text: str) -> bool:
    """'*If an attendee left and rejoined...': a sentence, not a '*VIP' name."""
    return text.startswith("*") and len(text) >= 20 and text.count(" ") >= 3


def first_header(records: Iterable[Record]) -> tuple[Record, ColumnMap] | None:
    """The first header row among the first HEADER_SEARCH_LIMIT records, if any."""
    for count, record in enumerate(records):
        if count >= HEADER_SEARCH_LIMIT:
            return None
        if not could_be_header(record.cells):
            continue
        cmap = map_columns(record.cells)
        if cmap.is_header:
            return record, cmap
    return None


def scan(records: Iterable[Record], max_records: int) -> Layout:
    """Split a file's records into preamble, section titles and tables.

    Gives up with ImportFormatError("too_large") once the tables hold more
    than ``max_records`` records, without reading the rest.
    """
    layout = Layout()
    in_tables = 0
    section, number = "", None
    current: Table | None = None
    for count, record in enumerate(records):
        if not layout.tables and count >= HEADER_SEARCH_LIMIT:
            break
        cells = [c.strip() for c in record.cells]
        filled = [c for c in cells if not is_empty(c)]
        if not filled:
            continue  # blank rows never end a table: people leave gaps
        lone = len(filled) == 1 and cells[0] == filled[0]
        if lone and (current is None or _is_known_title(filled[0])):
            section, number = normalize(filled[0]), section_number(filled[0])
            layout.titles.append(section)
            current = None
            continue
        has_address = any("@" in c for c in cells)
        if not has_address and _is_footnote(cells[0]):
            current = None  # a footnote closes the table (GoTo Webinar)
            continue
        if could_be_header(record.cells):
            cmap = map_columns(record.cells)
            if cmap.is_header:
                current = Table(record.line, cmap, section, number)
                layout.tables.append(current)
                continue
        if current is None:
            if not layout.tables:
                layout.preamble.append(cells)
            continue
        current.records.append(record)
        in_tables += 1
        if in_tables > max_records:
            raise ImportFormatError("too_large", "too many rows")
    return layout
