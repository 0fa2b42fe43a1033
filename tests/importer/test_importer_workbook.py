"""Excel workbooks (.xlsx): the same rows as the CSV path, clean cell text, and the files refused."""

from __future__ import annotations

import io
import time
import zipfile
from datetime import date, datetime, time as clock, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook
from workbooks import (
    EVENTBRITE_HEADER,
    FORMS_HEADER,
    eventbrite_xlsx,
    microsoft_forms_xlsx,
    refused,
    replace_part,
    xlsx,
)

from preflight.importer import ImportFormatError, parse_registrants
from preflight.importer.cells import cell_text
from preflight.importer import workbook
from preflight.importer.workbook import MAX_CELLS, worksheets

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LANGS = {"en", "fr", "de", "es"}


def parse(data: bytes, filename: str = "upload.xlsx", **kwargs):
    options = {"known_languages": LANGS, "default_language": "en"} | kwargs
    return parse_registrants(data, filename, **options)


def rows_of(preview):
    return [(r.line, r.name, r.email, r.language, r.role, r.merged_lines) for r in preview.rows]


def refusal(data: bytes) -> ImportFormatError:
    with pytest.raises(ImportFormatError) as caught:
        parse(data)
    return caught.value


def test_microsoft_forms_workbook_reads_like_its_csv_export():
    preview = parse(microsoft_forms_xlsx())
    same_as_csv = parse((FIXTURES / "microsoft_forms.csv").read_bytes(), "microsoft_forms.csv")
    assert (preview.format, preview.encoding, preview.delimiter, preview.sheet) == (
        "microsoft_forms",
        "xlsx",
        "",
        "Sheet1",
    )
    assert preview.header_line == 1 and preview.total_lines == 2
    assert (
        preview.columns == same_as_csv.columns == {"email": "Email", "name": "Name", "language": "Preferred language"}
    )
    assert preview.ignored_columns == same_as_csv.ignored_columns
    assert (
        rows_of(preview)
        == rows_of(same_as_csv)
        == [
            (2, "Camille Durand", "camille.durand@exemple.fr", "fr", "attendee", []),
            (3, "Lena Vogel", "lena.vogel@example.de", "de", "attendee", []),
        ]
    )
    assert preview.errors == []


def test_eventbrite_workbook_uses_attendee_names_and_merges_one_buyers_tickets():
    preview = parse(eventbrite_xlsx())
    assert (preview.format, preview.sheet, preview.header_line) == ("eventbrite", "Attendees", 1)
    assert preview.columns == {
        "first_name": "First Name",
        "last_name": "Last Name",
        "email": "Email",
        "language": "Preferred language",
    }
    assert len(preview.ignored_columns) == len(EVENTBRITE_HEADER) - 4
    # Priya's ticket was bought with Ajay's address: a different name on one address is reported.
    assert rows_of(preview) == [
        (2, "Camille Durand", "camille.durand@exemple.fr", "fr", "attendee", []),
        (3, "Ajay Rao", "ajay.rao@example.com", "en", "attendee", []),
    ]
    assert [(e.line, e.code, e.value) for e in preview.errors] == [(4, "duplicate_email", "ajay.rao@example.com")]


def test_numbers_and_dates_come_out_as_a_csv_export_would_write_them():
    [sheet] = list(worksheets(eventbrite_xlsx()))
    records = list(sheet.records)
    first = dict(zip(EVENTBRITE_HEADER, records[1].cells))
    assert first["Order #"] == "1234567890" and first["Attendee #"] == "3456789012"
    assert first["Cell Phone"] == "33612345678"
    assert first["Order Date"] == "2024-09-02 10:15:00"
    assert first["Total Paid"] == "0" and dict(zip(EVENTBRITE_HEADER, records[2].cells))["Total Paid"] == "25.5"


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        ("Ana", "Ana"),
        (1234.0, "1234"),
        (33612345678.0, "33612345678"),
        (2.5, "2.5"),
        (0.1, "0.1"),
        (-3.0, "-3"),
        (float("nan"), ""),
        (7, "7"),
        (True, "TRUE"),
        (datetime(2025, 3, 10, 9, 1, 11, 999_600), "2025-03-10 09:01:12"),  # day-fraction rounding
        (datetime(2025, 3, 10, 23, 59, 59, 700_000), "2025-03-11 00:00:00"),
        (date(2025, 3, 10), "2025-03-10"),
        (clock(9, 5, 0, 400_000), "09:05:00"),
        (timedelta(hours=1, minutes=4), "1:04:00"),
        (timedelta(days=1, seconds=5), "24:00:05"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_line_numbers_are_spreadsheet_rows_and_trailing_blanks_are_ignored():
    data = xlsx(
        (
            "Export",
            [
                ["Registrants", None, None],
                ["Exported 2025-03-01"],
                [],
                ["Name", "Email", None, None],
                ["Ana López", "ana@example.es", None, "  "],
                [],
                ["Kofi Mensah", "kofi@example.com"],
                [None, None, None],
            ],
        )
    )
    preview = parse(data)
    assert (preview.format, preview.format_label) == ("xlsx", "Excel workbook")
    assert preview.header_line == 4 and preview.ignored_columns == []
    assert [(r.line, r.name) for r in preview.rows] == [(5, "Ana López"), (7, "Kofi Mensah")]
    records = list(next(worksheets(data)).records)
    assert records[4].cells == ["Ana López", "ana@example.es"]


def test_a_table_that_starts_lower_right_keeps_row_numbers():
    book = io.BytesIO()
    workbook = Workbook()
    sheet = workbook.active
    sheet["C3"], sheet["D3"] = "Email", "Nom"
    sheet["C4"], sheet["D4"] = "ana@example.es", "Ana López"
    workbook.save(book)
    preview = parse(book.getvalue())
    assert preview.header_line == 3 and [(r.line, r.name) for r in preview.rows] == [(4, "Ana López")]


def test_the_first_worksheet_with_a_header_is_read():
    data = xlsx(
        ("Summary", [["Webinar", "Kick-off"], ["Registrations", 2]]),
        ("Registrants", [["Email", "Full Name"], ["ana@example.es", "Ana López"]]),
        ("Other", [["Email", "Full Name"], ["kofi@example.com", "Kofi Mensah"]]),
    )
    preview = parse(data)
    assert preview.sheet == "Registrants" and [r.email for r in preview.rows] == ["ana@example.es"]


def test_a_visible_worksheet_beats_a_hidden_one():
    data = xlsx(
        ("Lookup", [["Email", "Name"], ["old@example.com", "Old List"]]),
        ("Registrants", [["Email", "Name"], ["ana@example.es", "Ana López"]]),
        hidden=("Lookup",),
    )
    assert parse(data).sheet == "Registrants"


def test_the_content_decides_not_the_file_name():
    workbook = microsoft_forms_xlsx()
    assert parse(workbook, "responses.csv") == parse(workbook, "responses.xlsx")
    assert parse(b"Name,Email\nAna,ana@example.es\n", "list.xlsx").encoding == "utf-8"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (xlsx(), "empty"),
        (xlsx(("Sheet1", [[None, "  "], []]), ("Sheet2", [])), "empty"),
        (xlsx(("Sheet1", [["Topic", "Room"], ["Kick-off", "A"]])), "no_header"),
        (xlsx(("Sheet1", [["ana@example.es", "Ana"]])), "no_header"),
        (microsoft_forms_xlsx()[:2000], "damaged_xlsx"),  # an interrupted download
        (microsoft_forms_xlsx()[:-30], "damaged_xlsx"),
        (b"PK\x03\x04" + bytes(200), "damaged_xlsx"),
        (
            replace_part(microsoft_forms_xlsx(), "xl/worksheets/sheet1.xml", b"<worksheet><sheetData><row><c r="),
            "damaged_xlsx",
        ),
        (replace_part(microsoft_forms_xlsx(), "xl/workbook.xml", b"\x00\x01 not xml"), "damaged_xlsx"),
        (refused("password_protected.xlsx"), "encrypted"),
        (refused("excel_97_2003.xls"), "legacy_xls"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500), "binary"),  # an OLE file that is no workbook
    ],
)
def test_unusable_workbooks_are_refused_as_a_whole(data, code):
    assert refusal(data).code == code


def test_a_zip_that_is_no_workbook_is_not_a_list():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<document/>")
        archive.writestr("[Content_Types].xml", "<Types/>")
    assert refusal(out.getvalue()).code == "binary"


def test_a_far_away_cell_is_refused_before_the_sheet_is_loaded():
    """A few kilobytes naming cell XFD20000 would make the reader allocate gigabytes."""
    workbook = Workbook()
    workbook.active.append(["Name", "Email"])
    workbook.active["XFD20000"] = "x"
    out = io.BytesIO()
    workbook.save(out)
    start = time.perf_counter()
    assert refusal(out.getvalue()).code == "too_large"
    assert time.perf_counter() - start < 2


def test_cells_without_references_are_counted_by_position():
    """Cells may leave out r=: each one sits right of the previous one in its row."""
    row = MAX_CELLS // 16384 + 1
    sheet_xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1"><c t="inlineStr"><is><t>Name</t></is></c></row>'
        + b'<row r="%d">' % row
        + b"<c/>" * 16384
        + b"</row></sheetData></worksheet>"
    )
    data = replace_part(xlsx(("Sheet1", [["Name"]])), "xl/worksheets/sheet1.xml", sheet_xml)
    assert refusal(data).code == "too_large"
    fits = replace_part(data, "xl/worksheets/sheet1.xml", sheet_xml.replace(b"<c/>" * 16384, b"<c/>" * 100))
    assert refusal(fits).code == "no_header"  # read, and found to hold no list


def test_one_cell_repeated_past_the_budget_is_refused(monkeypatch):
    """Small in extent, long to read: the number of cell elements is capped too, across sheets."""
    monkeypatch.setattr(workbook, "MAX_CELLS", 1_000)
    sheet_xml = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        b'<row r="1">' + b'<c r="A1" t="inlineStr"><is><t>Name</t></is></c>' * 600 + b"</row></sheetData></worksheet>"
    )
    one = replace_part(xlsx(("Sheet1", [["Name"]])), "xl/worksheets/sheet1.xml", sheet_xml)
    assert refusal(one).code == "no_header"
    two = replace_part(xlsx(("Sheet1", [["Name"]]), ("Sheet2", [["Name"]])), "xl/worksheets/sheet1.xml", sheet_xml)
    assert refusal(replace_part(two, "xl/worksheets/sheet2.xml", sheet_xml)).code == "too_large"


def test_a_part_that_unpacks_past_the_limit_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/sharedStrings.xml", bytes(65 * 1024 * 1024))
    assert len(out.getvalue()) < 200_000
    assert refusal(out.getvalue()).code == "too_large"


def test_row_limit_and_speed():
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(FORMS_HEADER[:5] + ["Preferred language"])
    for i in range(20_000):
        sheet.append(
            [i + 1, datetime(2025, 3, 10, 9, 0), datetime(2025, 3, 10, 9, 1), f"p{i}@example.com", f"P {i}", "fr"]
        )
    out = io.BytesIO()
    workbook.save(out)
    start = time.perf_counter()
    preview = parse(out.getvalue())
    elapsed = time.perf_counter() - start
    assert (len(preview.rows), preview.rows[-1].line) == (20_000, 20_001)
    assert elapsed < 10  # generous: shared 2-core machine

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("Sheet1")
    sheet.append(["Name", "Email"])
    for i in range(20_001):
        sheet.append([f"P {i}", f"p{i}@example.com"])
    out = io.BytesIO()
    workbook.save(out)
    assert refusal(out.getvalue()).code == "too_large"
