"""Whatever bytes arrive, the parser answers with a preview or a format error."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from workbooks import xlsx

from preflight.importer import ImportFormatError, ImportPreview, parse_registrants
from preflight.importer.model import FILE_ERROR_CODES, ROW_ERROR_CODES

LANGS = {"en", "fr"}

# Cells that steer the parser deep: known headers, section titles, names,
# addresses, placeholders, quotes and separators.
_CELLS = st.sampled_from(
    [
        "Name",
        "Email",
        "Nom",
        "Prénom",
        "Langue",
        "Role",
        "First Name",
        "Last Name",
        "User Name (Original Name)",
        "Participant ID (UPN)",
        "Attendee Details",
        "Host Details",
        "2. Participants",
        "3. In-Meeting Activities",
        "Timestamp",
        "Order #",
        "*note",
        "Camille Durand",
        "Durand, Camille (Guest)",
        "camille@exemple.fr",
        "CAMILLE@EXEMPLE.FR",
        "bad@",
        "@",
        "--",
        "N/A",
        "fr",
        "French",
        "xx",
        "speaker",
        "juggler",
        "",
        '"',
        '""',
        "a\nb",
        ";",
        "\t",
        ",",
        "sep=;",
        "\ufeff",
        "é",
        "\x0b",
    ]
) | st.text(max_size=12)

_TABLES = st.lists(st.lists(_CELLS, max_size=6), max_size=12)
_ENCODINGS = st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "utf-16-le", "cp1252", "latin-1"])
_SEPARATORS = st.sampled_from([",", ";", "\t"])
_NEWLINES = st.sampled_from(["\n", "\r\n", "\r"])


@st.composite
def csv_like(draw) -> bytes:
    """Text tables with known headers, in any encoding (lossy when needed)."""
    sep, newline = draw(_SEPARATORS), draw(_NEWLINES)
    text = newline.join(sep.join(row) for row in draw(_TABLES))
    return text.encode(draw(_ENCODINGS), errors="replace")


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.binary(max_size=2048), csv_like()))
def test_any_bytes_give_a_preview_or_a_format_error(data):
    try:
        preview = parse_registrants(data, "x.csv", known_languages=LANGS, default_language="en")
    except ImportFormatError as exc:
        assert exc.code in FILE_ERROR_CODES
        return
    assert isinstance(preview, ImportPreview)
    assert all(e.code in ROW_ERROR_CODES for e in preview.errors)
    assert all(r.role in {"attendee", "presenter"} and r.language in LANGS for r in preview.rows)
    assert all(r.name and len(r.name) <= 200 for r in preview.rows)
    merged = sum(len(r.merged_lines) for r in preview.rows)
    assert len(preview.rows) + merged + len(preview.errors) == preview.total_lines


_BASE_WORKBOOK = xlsx(("Sheet1", [["Name", "Email", "Langue"], ["Camille Durand", "camille@exemple.fr", "fr"]]))


@st.composite
def workbook(draw) -> bytes:
    """Workbooks holding the same steering cells (openpyxl refuses control characters in cells)."""
    rows = [[ILLEGAL_CHARACTERS_RE.sub("", cell) for cell in row] for row in draw(_TABLES)]
    return xlsx(("Sheet1", rows))


@st.composite
def damaged_workbook(draw) -> bytes:
    """A real workbook with bytes overwritten here and there, maybe cut short."""
    data = bytearray(_BASE_WORKBOOK)
    for _ in range(draw(st.integers(1, 8))):
        data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
    return bytes(data[: draw(st.integers(4, len(data)))])


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.one_of(
        workbook(),
        damaged_workbook(),
        st.binary(max_size=1024).map(lambda rest: b"PK\x03\x04" + rest),
        st.binary(max_size=1024).map(lambda rest: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + rest),
    )
)
def test_any_workbook_gives_a_preview_or_a_format_error(data):
    test_any_bytes_give_a_preview_or_a_format_error.hypothesis.inner_test(data)
