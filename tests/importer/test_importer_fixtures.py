"""The importer on one fixture per real export layout (see make_fixtures.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from expected_files import FILES, make_fixtures
from expected_reports import PLATFORM_REPORTS

from preflight.importer import ImportFormatError, parse_registrants

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LANGS = {"en", "fr", "de", "es"}


def parse(name: str, **kwargs):
    options = {"known_languages": LANGS, "default_language": "en"} | kwargs
    return parse_registrants((FIXTURES / name).read_bytes(), name, **options)


def rows_of(preview):
    return [(r.line, r.name, r.email, r.language, r.role, r.merged_lines) for r in preview.rows]


def errors_of(preview):
    return [(e.line, e.code, e.value) for e in preview.errors]


def test_committed_fixtures_match_the_generator(tmp_path):
    make_fixtures.main(tmp_path)
    generated = {p.name: p.read_bytes() for p in tmp_path.iterdir()}
    committed = {p.name: p.read_bytes() for p in FIXTURES.iterdir()}
    assert generated == committed


EXPECTED = {**FILES, **PLATFORM_REPORTS}
# Teams re-saved by French Excel: same content, UTF-8 BOM and semicolons.
EXPECTED["teams_attendance_resaved_semicolon.csv"] = EXPECTED["teams_attendance_2023.csv"] | dict(
    encoding="utf-8-sig", delimiter=";"
)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_is_read_as_expected(name):
    preview = parse(name)
    expected = EXPECTED[name]
    got = dict(
        format=preview.format,
        encoding=preview.encoding,
        delimiter=preview.delimiter,
        header_line=preview.header_line,
        total_lines=preview.total_lines,
        columns=preview.columns,
        ignored_columns=preview.ignored_columns,
        rows=rows_of(preview),
        errors=errors_of(preview),
    )
    assert got == expected
    assert preview.format_label


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_data_row_is_accounted_for(name):
    preview = parse(name)
    merged = sum(len(r.merged_lines) for r in preview.rows)
    assert len(preview.rows) + merged + len(preview.errors) == preview.total_lines


@pytest.mark.parametrize(
    ("name", "code", "format"),
    [
        ("empty.csv", "empty", ""),
        ("bom_only.csv", "empty", ""),
        ("saved_as_xlsx.csv", "damaged_xlsx", ""),
        ("no_header.csv", "no_header", ""),
        ("teams_attendance_2020.csv", "no_header", "teams_attendance"),
        ("broken_utf16.csv", "encoding", ""),
        ("undefined_cp1252.csv", "encoding", ""),
    ],
)
def test_unusable_file_is_rejected_as_a_whole(name, code, format):
    with pytest.raises(ImportFormatError) as caught:
        parse(name)
    assert caught.value.code == code
    assert caught.value.format == format


def test_defaults_apply_to_rows_without_language_or_role():
    preview = parse("zoom_meeting_participants.csv", default_language="fr", default_role="presenter")
    assert {(r.language, r.role) for r in preview.rows} == {("fr", "presenter")}


def test_zoom_sections_override_the_default_role():
    preview = parse("zoom_webinar_attendees_2025.csv", default_role="presenter")
    roles = {r.email: r.role for r in preview.rows}
    assert roles["camille.durand@exemple.fr"] == "attendee"
    assert roles["nadia.host@acme-events.org"] == "presenter"


def test_language_outside_known_set_is_a_row_error():
    preview = parse("zoom_registration.csv", known_languages={"en", "fr"})
    assert errors_of(preview) == [(9, "unknown_language", "Deutsch")]
