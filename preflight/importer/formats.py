"""Recognise which platform produced a file, from its content only.

The filename and the encoding say little (a Teams report re-saved by Excel
is still a Teams report), so the decision rests on titles and headers.
"""

from __future__ import annotations

from .headers import normalize
from .layout import Layout, Table

LABELS = {
    "csv": "CSV file",
    "xlsx": "Excel workbook",
    "zoom_webinar_attendees": "Zoom webinar attendee report",
    "zoom_registration": "Zoom webinar registration report",
    "zoom_meeting_participants": "Zoom meeting participants report",
    "teams_attendance": "Microsoft Teams attendance report",
    "eventbrite": "Eventbrite attendee report",
    "microsoft_forms": "Microsoft Forms responses",
    "google_forms": "Google Forms responses",
    "goto_webinar": "GoTo Webinar report",
}

# Formats whose name column holds Zoom's "Current (Original)" display name.
ZOOM_FORMATS = {"zoom_webinar_attendees", "zoom_registration", "zoom_meeting_participants"}

_ZOOM_SECTIONS = {"host details", "panelist details", "attendee details", "other attended"}
_FORM_TIMESTAMPS = {"timestamp", "horodateur", "horodatage", "marca temporal", "zeitstempel", "carimbo de data hora"}


def detect(layout: Layout, plain: str = "csv") -> str:
    """Machine code of the file kind (a key of LABELS); ``plain`` when no platform is recognised."""
    heads = [t.cmap.normalized for t in layout.tables]
    first_cells = [t.cmap.headers[0].strip() if t.cmap.headers else "" for t in layout.tables]
    every_header: set[str] = set().union(*heads) if heads else set()
    preamble = {normalize(c) for row in layout.preamble for c in row if c}
    titles = set(layout.titles)

    if "gotowebinar" in preamble or "gotowebinar" in titles or "interest rating" in every_header:
        return "goto_webinar"
    if _is_teams(layout, every_header, titles):
        return "teams_attendance"
    if "registration report" in titles | preamble and not titles & {"host details", "panelist details"}:
        return "zoom_registration"
    if titles & _ZOOM_SECTIONS or "user name original name" in every_header:
        return "zoom_webinar_attendees"
    if "name original name" in every_header:
        return "zoom_meeting_participants"
    if every_header & {"order", "order no", "order number"} and every_header & {
        "attendee",
        "attendee no",
        "ticket type",
        "attendee status",
    }:
        return "eventbrite"
    if "id" in every_header and (
        {"start time", "completion time"} <= every_header or {"heure de debut", "heure de fin"} <= every_header
    ):
        return "microsoft_forms"
    if any(normalize(c) in _FORM_TIMESTAMPS for c in first_cells):
        return "google_forms"
    return plain


def detect_without_table(preamble: list[list[str]], titles: list[str]) -> str:
    """Best guess of the kind of a file with no usable table (error hints)."""
    cells = {normalize(c) for row in preamble for c in row if c}
    if {"full name", "user action"} <= cells or "meeting summary" in cells | set(titles):
        return "teams_attendance"
    if any(t.startswith(("1 summary", "2 participants")) for t in titles):
        return "teams_attendance"
    return ""


def _is_teams(layout: Layout, headers: set[str], titles: set[str]) -> bool:
    if headers & {"participant id upn", "id du participant upn", "first join", "in meeting duration"}:
        return True
    if "meeting summary" in titles or {"full name", "user action"} <= headers:
        return True
    numbered = [t for t in layout.tables if t.section_number is not None]
    return bool(numbered) and any(t.section_number == 2 for t in numbered) and "role" in headers


def tables_to_import(fmt: str, layout: Layout) -> list[Table]:
    """The tables whose rows are participants (not summaries or join logs)."""
    tables = [t for t in layout.tables if not t.cmap.normalized & {"topic", "meeting id", "webinar id"}]
    if fmt == "teams_attendance":
        # Section 2 lists each person once; section 3 repeats them per join.
        participants = [t for t in tables if t.section_number == 2]
        if participants:
            return participants[:1]
        return [t for t in tables if t.section_number is None and t.section != "in meeting activities"][:1] or tables[
            :1
        ]
    return tables


def primary_table(tables: list[Table]) -> Table:
    """The table shown in the preview: the attendees' one when sections differ."""
    for table in tables:
        if table.section in {"attendee details", "attendees", "registrant details"}:
            return table
    return tables[0]
