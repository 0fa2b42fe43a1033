"""The importer on one fixture per real export layout (see make_fixtures.py)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from preflight.importer import ImportFormatError, parse_registrants

FIXTURES = Path(__file__).resolve().parent / "fixtures"
LANGS = {"en", "fr", "de", "es"}

_spec = importlib.util.spec_from_file_location("importer_make_fixtures", FIXTURES.parent / "make_fixtures.py")
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)


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


EXPECTED = {
    "plain_utf8.csv": dict(
        format="csv",
        encoding="utf-8",
        delimiter=",",
        header_line=1,
        total_lines=3,
        columns={"name": "Name", "email": "Email", "language": "Language", "role": "Role"},
        ignored_columns=[],
        rows=[
            (2, "Camille Durand", "camille.durand@exemple.fr", "fr", "attendee", []),
            (3, "Ajay Rao", "Ajay.Rao@example.com", "en", "presenter", []),
            (4, "Lena Vogel", "lena.vogel@example.de", "en", "attendee", []),
        ],
        errors=[],
    ),
    "plain_utf8_bom_crlf.csv": dict(
        format="csv",
        encoding="utf-8-sig",
        delimiter=",",
        header_line=1,
        total_lines=2,
        columns={"name": "Full Name", "email": "E-mail", "language": "Langue"},
        ignored_columns=[],
        rows=[
            (2, "Hélène Martin", "helene.martin@exemple.fr", "fr", "attendee", []),
            (3, "Zoë Lefèvre", "zoe.lefevre@exemple.fr", "fr", "attendee", []),
        ],
        errors=[],
    ),
    "excel_fr_semicolon_cp1252.csv": dict(
        format="csv",
        encoding="cp1252",
        delimiter=";",
        header_line=1,
        total_lines=3,
        columns={
            "last_name": "Nom",
            "first_name": "Prénom",
            "email": "Adresse e-mail",
            "language": "Langue",
            "role": "Rôle",
        },
        ignored_columns=[],
        rows=[
            (2, "Hélène Martin", "helene.martin@exemple.fr", "fr", "attendee", []),
            (3, "Camille Durand", "camille.durand@exemple.fr", "fr", "presenter", []),
            (4, "Zoé Lefèvre", "zoe.lefevre@exemple.fr", "en", "presenter", []),
        ],
        errors=[],
    ),
    "excel_sep_line.csv": dict(
        format="csv",
        encoding="utf-8",
        delimiter=";",
        header_line=2,
        total_lines=2,
        columns={"name": "Nom complet", "email": "Courriel", "language": "Langue"},
        ignored_columns=[],
        rows=[
            (3, "Hélène Martin", "helene.martin@exemple.fr", "fr", "attendee", []),
            (4, "Camille Durand", "camille.durand@exemple.fr", "en", "attendee", []),
        ],
        errors=[],
    ),
    "tabs.tsv": dict(
        format="csv",
        encoding="utf-8",
        delimiter="\t",
        header_line=1,
        total_lines=2,
        columns={"name": "Full Name", "email": "Email Address", "language": "Preferred Language", "role": "Role"},
        ignored_columns=[],
        rows=[
            (2, "Kofi Mensah", "kofi.mensah@univ-exemple.fr", "fr", "presenter", []),
            (3, "Ana López", "ana.lopez@example.es", "es", "attendee", []),
        ],
        errors=[],
    ),
    "bad_rows.csv": dict(
        format="csv",
        encoding="utf-8",
        delimiter=",",
        header_line=1,
        total_lines=12,
        columns={"name": "Name", "email": "Email", "language": "Language", "role": "Role"},
        ignored_columns=[],
        rows=[
            (2, "Camille Durand", "camille.durand@exemple.fr", "fr", "attendee", [7]),
            (11, "Multi Line Name", "multi@example.com", "en", "presenter", []),
            (15, "Ana López", "ana.lopez@example.es", "es", "presenter", []),
            (16, "Zoë", "zoe@example.com", "fr", "presenter", []),
        ],
        errors=[
            (3, "missing_name", "missing.name@example.com"),
            (4, "missing_email", "No Email Person"),
            (5, "invalid_email", "not-an-email"),
            (6, "duplicate_email", "camille.durand@exemple.fr"),
            (8, "unknown_language", "Klingon"),
            (9, "unknown_role", "juggler"),
            (10, "too_long", make_fixtures.LONG_NAME[:199] + "…"),
        ],
    ),
    "zoom_webinar_attendees_2025.csv": dict(
        format="zoom_webinar_attendees",
        encoding="utf-8",
        delimiter=",",
        header_line=13,
        total_lines=7,
        columns={
            "name": "User Name (Original Name)",
            "first_name": "First Name",
            "last_name": "Last Name",
            "email": "Email",
            "language": 'Preferred language ("FR" or "EN")',
        },
        ignored_columns=[
            "Attended",
            "Phone",
            "Registration Time",
            "Approval Status",
            "Join Time",
            "Leave Time",
            "Time in Session (minutes)",
            "Is Guest",
            "Country/Region Name",
        ],
        rows=[
            (7, "Nadia Host", "nadia.host@acme-events.org", "en", "presenter", []),
            (10, "Kofi Mensah", "kofi.mensah@univ-exemple.fr", "en", "presenter", [11]),
            (14, "Camille Durand", "camille.durand@exemple.fr", "fr", "attendee", [15]),
            (16, "Ajay Rao", "ajay.rao@example.com", "en", "attendee", []),
            (17, "Lena Vogel", "lena.vogel@example.de", "en", "attendee", []),
        ],
        errors=[],
    ),
    "zoom_webinar_attendees_2020.csv": dict(
        format="zoom_webinar_attendees",
        encoding="utf-8",
        delimiter=",",
        header_line=12,
        total_lines=5,
        columns={"first_name": "First Name", "last_name": "Last Name", "email": "Email"},
        ignored_columns=[
            "Attended",
            "Registration Time",
            "Approval Status",
            "Join Time",
            "Leave Time",
            "Time in Session (minutes)",
            "Country/Region Name",
        ],
        rows=[
            (7, "Marc Hôte", "marc.hote@exemple.fr", "en", "presenter", []),
            (10, "Ana López", "ana.lopez@example.es", "en", "presenter", []),
            (13, "Hélène Martin", "helene.martin@exemple.fr", "en", "attendee", [14]),
            (17, "Guest Viewer", "guest.viewer@example.com", "en", "attendee", []),
        ],
        errors=[],
    ),
    "zoom_registration.csv": dict(
        format="zoom_registration",
        encoding="utf-8",
        delimiter=",",
        header_line=6,
        total_lines=3,
        columns={
            "first_name": "First Name",
            "last_name": "Last Name",
            "email": "Email",
            "language": "Preferred language",
        },
        ignored_columns=[
            "City",
            "Country/Region",
            "Phone",
            "Organization",
            "Job Title",
            "Registration Time",
            "Approval Status",
        ],
        rows=[
            (7, "Camille Durand", "camille.durand@exemple.fr", "fr", "attendee", []),
            (8, "Ajay Rao", "ajay.rao@example.com", "en", "attendee", []),
            (9, "Lena Vogel", "lena.vogel@example.de", "de", "attendee", []),
        ],
        errors=[],
    ),
    "zoom_meeting_participants.csv": dict(
        format="zoom_meeting_participants",
        encoding="utf-8-sig",
        delimiter=",",
        header_line=4,
        total_lines=4,
        columns={"name": "Name (Original Name)", "email": "User Email"},
        ignored_columns=["Join time", "Leave time", "Duration (Minutes)", "Guest", "Recording Consent"],
        rows=[
            (5, "Nadia Host", "host@acme-events.org", "en", "attendee", []),
            (6, "Camille Durand", "camille.durand@exemple.fr", "en", "attendee", [7]),
        ],
        errors=[(8, "missing_email", "Phone user")],
    ),
    "teams_attendance_2023.csv": dict(
        format="teams_attendance",
        encoding="utf-16",
        delimiter="\t",
        header_line=10,
        total_lines=4,
        columns={"name": "Name", "email": "Email", "role": "Role"},
        ignored_columns=["First join", "Last leave", "In-meeting duration"],
        rows=[
            (11, "Nadia Host", "nadia.host@acme-events.org", "en", "presenter", []),
            (12, "Camille Durand", "camille.durand@exemple.fr", "en", "attendee", []),
            (13, "Kofi Mensah", "kofi.mensah@univ-exemple.fr", "en", "presenter", []),
            (14, "Jo Internal", "jo.internal@acme-events.org", "en", "attendee", []),
        ],
        errors=[],
    ),
    "teams_attendance_2021.csv": dict(
        format="teams_attendance",
        encoding="utf-16",
        delimiter="\t",
        header_line=7,
        total_lines=3,
        columns={"name": "Full Name", "email": "Email", "role": "Role"},
        ignored_columns=["Join Time", "Leave Time", "Duration"],
        rows=[
            (8, "Nadia Host", "nadia.host@acme-events.org", "en", "presenter", []),
            (9, "Camille Durand", "camille.durand@exemple.fr", "en", "attendee", []),
            (10, "Hélène Martin", "helene.martin@exemple.fr", "en", "presenter", []),
        ],
        errors=[],
    ),
    "eventbrite_us.csv": dict(
        format="eventbrite",
        encoding="utf-8",
        delimiter=",",
        header_line=1,
        total_lines=3,
        columns={
            "first_name": "First Name",
            "last_name": "Last Name",
            "email": "Email",
            "language": "Preferred language",
        },
        ignored_columns=[
            "Order #",
            "Order Date",
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
            "Home Address 1",
            "Home City",
            "Home Country",
            "Job Title",
            "Company",
        ],
        rows=[
            (2, "Camille Durand", "camille.durand@exemple.fr", "fr", "attendee", []),
            (3, "Ajay Rao", "ajay.rao@example.com", "en", "attendee", []),
        ],
        # Priya's ticket carries the buyer's address: not silently merged.
        errors=[(4, "duplicate_email", "ajay.rao@example.com")],
    ),
    "eventbrite_uk.csv": dict(
        format="eventbrite",
        encoding="utf-8",
        delimiter=",",
        header_line=1,
        total_lines=2,
        columns={"last_name": "Surname", "first_name": "First Name", "email": "Email"},
        ignored_columns=[
            "Order no.",
            "Order Date",
            "Quantity",
            "Ticket Type",
            "Attendee no.",
            "Order Type",
            "Currency",
            "Total Paid",
            "Attendee Status",
            "Buyer Surname",
            "Buyer First Name",
            "Buyer Email",
        ],
        rows=[
            (2, "Hélène Martin", "helene.martin@exemple.fr", "en", "attendee", []),
            (3, "Marc Hôte", "marc.hote@exemple.fr", "en", "attendee", []),
        ],
        errors=[],
    ),
    "microsoft_forms.csv": dict(
        format="microsoft_forms",
        encoding="utf-8-sig",
        delimiter=",",
        header_line=1,
        total_lines=2,
        columns={"email": "Email", "name": "Name", "language": "Preferred language"},
        ignored_columns=["ID", "Start time", "Completion time", "Last modified time", "Will you speak or attend?"],
        rows=[
            (2, "Camille Durand", "camille.durand@exemple.fr", "fr", "attendee", []),
            # Anonymous response: address and name come from the questions.
            (3, "Lena Vogel", "lena.vogel@example.de", "de", "attendee", []),
        ],
        errors=[],
    ),
    "google_forms.csv": dict(
        format="google_forms",
        encoding="utf-8",
        delimiter=",",
        header_line=1,
        total_lines=3,
        columns={
            "email": "Email Address",
            "name": "Full name, as it should appear on your badge",
            "language": "Langue / Language",
            "role": "Your role",
        },
        ignored_columns=["Timestamp", "Anything we should know, e.g. accessibility needs?"],
        rows=[
            (3, "Camille Durand", "camille.durand@exemple.fr", "fr", "attendee", []),
            (4, "Ana López", "ana.lopez@example.es", "es", "presenter", []),
            (6, "Kofi Mensah", "kofi.mensah@univ-exemple.fr", "en", "attendee", []),
        ],
        errors=[],
    ),
    "goto_webinar.csv": dict(
        format="goto_webinar",
        encoding="utf-8",
        delimiter=",",
        header_line=10,
        total_lines=3,
        columns={"first_name": "First Name", "last_name": "Last Name", "email": "Email Address"},
        ignored_columns=[
            "Attended",
            "Interest Rating",
            "Registration Date",
            "Join Time",
            "Leave Time",
            "In Session Duration*",
            "Country/Region",
        ],
        rows=[
            (11, "Camille Durand", "camille.durand@exemple.fr", "en", "attendee", []),
            (12, "Ajay Rao", "ajay.rao@example.com", "en", "attendee", []),
            (13, "Lena Vogel", "lena.vogel@example.de", "en", "attendee", []),
        ],
        errors=[],
    ),
}
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
        ("saved_as_xlsx.csv", "binary", ""),
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
