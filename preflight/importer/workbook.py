"""Read an Excel workbook (.xlsx) as the records a CSV export of it would give.

Microsoft Forms and Eventbrite offer XLSX downloads, and people re-save
everything in Excel. Each worksheet becomes a stream of :class:`Record` whose
line is the spreadsheet row number, so header finding, format detection and
row checks are the CSV path's own.

The archive is checked before the spreadsheet library sees it: a few
kilobytes of XML can name a cell far away (``XFD20000``), and the library
allocates the whole rectangle up to it (gigabytes). So the parts are
unpacked here within size limits, every worksheet's extent is measured from
its cell references, and the library reads a re-packed copy of exactly the
measured bytes.
"""

from __future__ import annotations

import io
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import python_calamine

from .cells import cell_text
from .model import ImportFormatError
from .records import Record

ZIP_MAGIC = b"PK\x03\x04"
MAX_PARTS = 2_000
MAX_UNPACKED = 64 * 1024 * 1024  # every part together, uncompressed
# The rectangle from A1 to a worksheet's last cell, which the library holds
# in memory at once: 20,000 rows of 150 columns.
MAX_CELLS = 3_000_000

_WORKBOOK_PART = "xl/workbook.xml"
_WORKSHEET_PART = re.compile(r"^xl/worksheets/[^/]+\.xml$", re.IGNORECASE)
# Row and cell start tags, with or without a namespace prefix (<x:c ...>),
# and their reference attribute when they have one (r="AB12", r="12").
_ROW_OR_CELL = re.compile(
    rb"<(?:[A-Za-z_][\w.-]*:)?(row|c)(?=[\s/>])"
    rb"""(?:[^>]*?(?<![\w:.-])r\s*=\s*["']([A-Za-z]{0,3})([0-9]{0,7})["'])?[^>]*>"""
)

T = TypeVar("T")


@dataclass
class Worksheet:
    """One worksheet: its name and its rows as records (line = row number)."""

    name: str
    records: Iterator[Record]


def is_zip(data: bytes) -> bool:
    """Whether the bytes start like a ZIP archive (.xlsx, but also .docx or .zip)."""
    return data.startswith(ZIP_MAGIC)


def worksheets(data: bytes) -> Iterator[Worksheet]:
    """The workbook's worksheets in tab order, visible ones first.

    Raises ImportFormatError: "damaged_xlsx" (truncated or corrupt archive or
    workbook), "encrypted" (ZIP-level password), "binary" (a ZIP archive that
    is no workbook, e.g. a .docx), "too_large" (past the size limits).
    """
    parts = _unpack(data)
    if _WORKBOOK_PART not in parts:
        raise ImportFormatError("binary", "a ZIP archive without a workbook")
    cells = 0
    for name, content in parts.items():
        if _WORKSHEET_PART.match(name):
            cells += _check_extent(content, MAX_CELLS - cells)
    book = _guarded(lambda: python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(_repack(parts))))
    sheets = [m for m in book.sheets_metadata if m.typ == python_calamine.SheetTypeEnum.WorkSheet]
    # Hidden sheets usually hold lookup lists: read them only when no visible one helps.
    sheets.sort(key=lambda m: m.visible != python_calamine.SheetVisibleEnum.Visible)
    for meta in sheets:
        sheet = _guarded(lambda name=meta.name: book.get_sheet_by_name(name))
        yield Worksheet(meta.name, _records(sheet))


def _records(sheet: python_calamine.CalamineSheet) -> Iterator[Record]:
    # iter_rows starts at row 1 even when the first cells are lower down, so
    # the index is the row number Excel shows.
    for index, row in enumerate(sheet.iter_rows()):
        cells = [cell_text(value) for value in row]
        while cells and not cells[-1].strip():
            cells.pop()  # formatting can stretch the used range past the data
        yield Record(index + 1, cells)


def _unpack(data: bytes) -> dict[str, bytes]:
    """Every part of the archive, within the size limits, checksums verified."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_PARTS or sum(i.file_size for i in infos) > MAX_UNPACKED:
                raise ImportFormatError("too_large", "workbook too large once unpacked")
            if any(i.flag_bits & 0x1 for i in infos):
                raise ImportFormatError("encrypted", "password-protected ZIP archive")
            # read() stops at the declared size and checks the CRC, so a part
            # cannot unpack to more than the sizes just added up.
            return {info.filename: archive.read(info) for info in infos if not info.is_dir()}
    except ImportFormatError:
        raise
    except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError, RuntimeError, ValueError, OSError) as exc:
        raise ImportFormatError("damaged_xlsx", "unreadable ZIP archive") from exc


def _repack(parts: dict[str, bytes]) -> bytes:
    """The measured parts in a fresh, uncompressed archive for the library."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_STORED) as archive:
        for name, content in parts.items():
            archive.writestr(zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0)), content)
    return buffer.getvalue()


def _check_extent(xml: bytes, budget: int) -> int:
    """Refuse a worksheet whose last cell lies past MAX_CELLS from A1; return its number of cells.

    ``budget`` is how many cell elements the workbook may still hold: a sheet
    repeating one reference millions of times stays small in extent but not
    in reading time.
    """
    row = column = max_row = max_column = cells = 0
    for match in _ROW_OR_CELL.finditer(xml):
        kind, letters, digits = match.groups()
        if kind == b"row":
            row, column = (int(digits) if digits else row + 1), 0
            continue
        column = _column_number(letters) if letters else column + 1
        max_row = max(max_row, int(digits) if digits else row)
        max_column = max(max_column, column)
        cells += 1
        if max_row * max_column > MAX_CELLS or cells > budget:
            raise ImportFormatError("too_large", "worksheet too large")
    return cells


def _column_number(letters: bytes) -> int:
    """b"A" -> 1, b"XFD" -> 16384."""
    number = 0
    for char in letters.upper():
        number = number * 26 + char - ord("A") + 1
    return number


def _guarded(call: Callable[[], T]) -> T:
    """Run a library call; any failure means the workbook cannot be read."""
    try:
        return call()
    except python_calamine.PasswordError as exc:
        raise ImportFormatError("encrypted", "password-protected workbook") from exc
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001 - a Rust panic arrives as a BaseException
        raise ImportFormatError("damaged_xlsx", "unreadable workbook") from exc
