"""Excel workbooks for the importer tests, written with openpyxl the way the platforms shape them.

Imported by tests/importer/test_importer_workbook.py and tests/test_import_views.py. The two
workbooks the importer must refuse and that openpyxl cannot write (password-protected,
Excel 97-2003) are committed under tests/fixtures/workbooks/.
"""

from __future__ import annotations

import io
import zipfile
from datetime import datetime
from pathlib import Path

from openpyxl import Workbook

REFUSED = Path(__file__).parent / "fixtures" / "workbooks"

# Microsoft Forms "Open in Excel": one sheet, ID as a number, times as date cells, "anonymous"
# in Email for anonymous responses, then one column per question.
FORMS_HEADER = [
    "ID",
    "Start time",
    "Completion time",
    "Email",
    "Name",
    "Last modified time",
    "Your email address",
    "Your full name",
    "Preferred language",
    "Will you speak or attend?",
]
FORMS_ROWS = [
    [
        1,
        datetime(2025, 3, 10, 9, 1, 12),
        datetime(2025, 3, 10, 9, 2, 40),
        "camille.durand@exemple.fr",
        "Durand, Camille",
        None,
        "camille.durand@exemple.fr",
        "Camille Durand",
        "Français",
        "Attend",
    ],
    [
        2,
        datetime(2025, 3, 10, 9, 5),
        datetime(2025, 3, 10, 9, 6, 10),
        "anonymous",
        None,
        None,
        "lena.vogel@example.de",
        "Lena Vogel",
        "German",
        "Speak",
    ],
]

# Eventbrite attendee report downloaded as Excel: order and attendee numbers and amounts are
# number cells; a buyer who bought two tickets appears once per attendee.
EVENTBRITE_HEADER = [
    "Order #",
    "Order Date",
    "First Name",
    "Last Name",
    "Email",
    "Quantity",
    "Price Tier",
    "Ticket Type",
    "Attendee #",
    "Group",
    "Order Type",
    "Currency",
    "Total Paid",
    "Fees Paid",
    "Eventbrite Fees",
    "Eventbrite Payment Processing",
    "Attendee Status",
    "Cell Phone",
    "Preferred language",
    "Job Title",
    "Company",
]
EVENTBRITE_ROWS = [
    [1234567890, datetime(2024, 9, 2, 10, 15), "Camille", "Durand", "camille.durand@exemple.fr", 1, None]
    + ["General Admission", 3456789012, None, "Free Order", "USD", 0.0, 0.0, 0.0, 0.0, "Attending"]
    + [33612345678, "Français", "Engineer", "Acme"],
    [1234567891, datetime(2024, 9, 3, 8, 1), "Ajay", "Rao", "ajay.rao@example.com", 2, None]
    + ["Speaker pass", 3456789013, None, "Paid Order", "USD", 25.5, 1.99, 1.0, 0.99, "Attending"]
    + [None, "English", "CTO", "Rao Labs"],
    [1234567891, datetime(2024, 9, 3, 8, 1), "Priya", "Rao", "ajay.rao@example.com", 2, None]
    + ["General Admission", 3456789014, None, "Paid Order", "USD", 25.5, 1.99, 1.0, 0.99, "Attending"]
    + [None, "English", None, None],
]


def xlsx(*sheets: tuple[str, list[list]], hidden: tuple[str, ...] = ()) -> bytes:
    """A workbook with the given (name, rows) worksheets in order; rows may hold None for blanks."""
    book = Workbook()
    book.remove(book.active)
    for name, rows in sheets:
        sheet = book.create_sheet(name)
        for row in rows:
            sheet.append(row)
        if name in hidden:
            sheet.sheet_state = "hidden"
    if not sheets:
        book.create_sheet("Sheet1")
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def microsoft_forms_xlsx() -> bytes:
    """Responses as Microsoft Forms' "Open in Excel" gives them."""
    return xlsx(("Sheet1", [FORMS_HEADER, *FORMS_ROWS]))


def eventbrite_xlsx() -> bytes:
    """An Eventbrite attendee report downloaded as Excel."""
    return xlsx(("Attendees", [EVENTBRITE_HEADER, *EVENTBRITE_ROWS]))


def replace_part(data: bytes, name: str, content: bytes) -> bytes:
    """The same archive with one part's content replaced (a damaged workbook)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info, content if info.filename == name else source.read(info))
    return out.getvalue()


def refused(name: str) -> bytes:
    """A committed workbook the importer refuses (see tests/fixtures/workbooks/make_workbooks.py)."""
    return (REFUSED / name).read_bytes()
