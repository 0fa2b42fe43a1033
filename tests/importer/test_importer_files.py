"""Whole-file behaviour: encodings, delimiters, line numbers, merging, limits."""

from __future__ import annotations

import time

import pytest

from preflight.importer import ImportFormatError, ImportPreview, parse_registrants

LANGS = {"en", "fr", "de", "es"}
TEXT = "Name,Email,Language\r\nHélène Martin,helene.martin@exemple.fr,fr\r\nAna López,ana@example.es,\r\n"


def parse(data: bytes, **kwargs) -> ImportPreview:
    options = {"known_languages": LANGS, "default_language": "en"} | kwargs
    return parse_registrants(data, "upload.csv", **options)


def names(preview: ImportPreview) -> list[str]:
    return [r.name for r in preview.rows]


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (b"\xef\xbb\xbf" + TEXT.encode("utf-8"), "utf-8-sig"),
        (TEXT.encode("cp1252"), "cp1252"),
        (b"\xff\xfe" + TEXT.encode("utf-16-le"), "utf-16"),
        (b"\xfe\xff" + TEXT.encode("utf-16-be"), "utf-16"),
        (TEXT.encode("utf-16-le"), "utf-16"),  # no BOM
        (TEXT.encode("utf-16-be"), "utf-16"),
    ],
)
def test_encodings(data, encoding):
    preview = parse(data)
    assert preview.encoding == encoding
    assert names(preview) == ["Hélène Martin", "Ana López"]


@pytest.mark.parametrize(
    ("text", "delimiter", "header_line"),
    [
        ("Name,Email\nAna,ana@example.es\n", ",", 1),
        ("Name;Email\nAna;ana@example.es\n", ";", 1),
        ("Name\tEmail\nAna\tana@example.es\n", "\t", 1),
        ("sep=;\nName;Email\nAna;ana@example.es\n", ";", 2),
        ('"sep=,"\nName,Email\nAna,ana@example.es\n', ",", 2),
        ("sep=\t\nName\tEmail\nAna\tana@example.es\n", "\t", 2),
        # A semicolon file whose names contain commas.
        ("Nom;Courriel\nDurand, Ana;ana@example.es\n", ";", 1),
        # A comma file whose question header contains a semicolon.
        ('Email,"Name; first and last"\nana@example.es,Ana\n', ",", 1),
        # Rows before the header, blank lines, trailing padding commas.
        ("Participants list,,,\nExported 2025-03-01,,,\n\nName,Email,,\nAna,ana@example.es,,\n", ",", 4),
    ],
)
def test_delimiter_and_header_detection(text, delimiter, header_line):
    preview = parse(text.encode())
    assert (preview.delimiter, preview.header_line) == (delimiter, header_line)
    assert [r.email for r in preview.rows] == ["ana@example.es"]


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"])
def test_line_numbers_are_physical_lines(newline):
    text = newline.join(
        ["Name,Email,Note", 'Ana,ana@example.es,"two', 'lines"', "", "Bad,,", "Kofi,kofi@example.com,", ""]
    )
    preview = parse(text.encode())
    assert [(r.line, r.name) for r in preview.rows] == [(2, "Ana"), (6, "Kofi")]
    assert [(e.line, e.code) for e in preview.errors] == [(5, "missing_email")]
    assert preview.total_lines == 3  # the blank line is not a data row


def test_quoted_header_over_several_lines_keeps_data_line_numbers():
    text = 'Timestamp,"Email\nAddress","Your name\n(first, last)"\n2025,ana@example.es,Ana\n'
    preview = parse(text.encode())
    assert preview.header_line == 1
    assert preview.columns == {"email": "Email Address", "name": "Your name (first, last)"}
    assert [r.line for r in preview.rows] == [4]


def test_repeated_rows_merge_keeping_the_fullest_name_and_presenter_role():
    text = (
        "Name,Email,Role,Language\n"
        "Cam,camille@exemple.fr,attendee,\n"
        "Camille Durand,CAMILLE@EXEMPLE.FR,speaker,fr\n"
        "Durand, Camille,camille@exemple.fr,,de\n"
    )
    preview = parse(text.replace("Durand, Camille", '"Durand, Camille"').encode())
    (row,) = preview.rows
    assert (row.line, row.name, row.email, row.role, row.language, row.merged_lines) == (
        2,
        "Camille Durand",
        "camille@exemple.fr",
        "presenter",
        "fr",
        [3, 4],
    )
    assert preview.errors == []


def test_conflicting_names_on_one_address_are_reported_not_merged():
    text = "Name,Email\nAjay Rao,family@example.com\nPriya Rao,family@example.com\nA. Rao,family@example.com\n"
    preview = parse(text.encode())
    assert [(r.name, r.merged_lines) for r in preview.rows] == [("Ajay Rao", [4])]
    assert [(e.line, e.code, e.value) for e in preview.errors] == [(3, "duplicate_email", "family@example.com")]


def test_only_the_first_problem_of_a_row_is_reported():
    preview = parse(b"Name,Email,Language\n,not-an-email,xx\n")
    assert [(e.line, e.code) for e in preview.errors] == [(2, "invalid_email")]


def test_columns_with_the_same_meaning_fall_back_in_order():
    text = "Email,Courriel,Name\n--,ana@example.es,Ana\nkofi@example.com,other@example.com,Kofi\n"
    preview = parse(text.encode())
    assert [r.email for r in preview.rows] == ["ana@example.es", "kofi@example.com"]
    assert preview.columns == {"email": "Email", "name": "Name"}
    assert preview.ignored_columns == []


def test_name_from_first_and_last_only_when_both_are_given():
    text = (
        "Full Name,First Name,Last Name,Email\nAna López,,,ana@example.es\n"
        ",Kofi,,kofi@example.com\nX,Camille,Durand,c@exemple.fr\n"
    )
    assert names(parse(text.encode())) == ["Ana López", "Kofi", "Camille Durand"]


def test_unknown_default_role_is_passed_through():
    preview = parse(b"Name,Email\nAna,ana@example.es\n", default_role="presenter")
    assert preview.rows[0].role == "presenter"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"   \r\n\r\n", "empty"),
        (b"\xff\xfe", "empty"),
        (b"\xff\xfe" + " \n".encode("utf-16-le"), "empty"),
        (b"PK\x03\x04" + bytes(100), "damaged_xlsx"),
        (b"\xd0\xcf\x11\xe0" + bytes(100), "binary"),
        (b"%PDF-1.7\n", "binary"),
        (b"Name,Email\x00\n", "binary"),
        (bytes(range(1, 32)) * 20, "binary"),
        (b"Name,Email\nAna\x81,ana@example.es\n", "encoding"),
        (b"\xff\xfe" + "Name".encode("utf-16-le") + b"\x00", "encoding"),
        (b"\xef\xbb\xbfName,Email\n\xe9\n", "encoding"),
        (b"Name,Phone\nAna,123\n", "no_header"),
        (b"ana@example.es,Ana\n", "no_header"),
        (b"x" * (5 * 1024 * 1024 + 1), "too_large"),
        (b'Name,Email\n"' + b"a" * 200_000 + b"\n", "too_large"),
    ],
)
def test_file_level_errors(data, code):
    with pytest.raises(ImportFormatError) as caught:
        parse(data)
    assert caught.value.code == code


def test_row_limit():
    rows = "".join(f"P{i},p{i}@example.com\n" for i in range(20_001))
    with pytest.raises(ImportFormatError) as caught:
        parse(("Name,Email\n" + rows).encode())
    assert caught.value.code == "too_large"


def test_twenty_thousand_rows_are_accepted_quickly():
    rows = "".join(f"Person {i},p{i}@example.com,fr\n" for i in range(20_000))
    start = time.perf_counter()
    preview = parse(("Name,Email,Language\n" + rows).encode())
    elapsed = time.perf_counter() - start
    assert (len(preview.rows), preview.total_lines, preview.rows[-1].line) == (20_000, 20_000, 20_001)
    assert elapsed < 10  # generous: shared 2-core machine


def test_filename_does_not_decide_anything():
    data = b"Name\tEmail\nAna\tana@example.es\n"
    assert parse_registrants(data, "list.csv", known_languages=LANGS, default_language="en") == parse_registrants(
        data, "list.xlsx", known_languages=LANGS, default_language="en"
    )


def test_a_name_starting_with_a_star_is_not_a_footnote():
    text = "Name,Email\n*VIP* Ana,\nKofi,kofi@example.com\n"
    preview = parse(text.encode())
    assert [(e.line, e.code) for e in preview.errors] == [(2, "missing_email")]
    assert names(preview) == ["Kofi"]


def test_teams_report_in_the_organisers_language():
    # Teams translates titles, headers and roles; this French wording is
    # illustrative. Numbered sections and "Nom"/"E-mail"/"Rôle" still carry it.
    text = (
        "1. Résumé\nTitre de la réunion\tPoint hebdo\n\n2. Participants\n"
        "Nom\tPremière participation\tDernier départ\tDurée de la réunion\tE-mail\tID du participant (UPN)\tRôle\n"
        "Durand, Camille (Invité)\t14/03/2025 09:58\t14/03/2025 11:02\t1 h 4 min\tcamille@exemple.fr\t\tOrganisateur\n"
        "Kofi Mensah\t14/03/2025 10:00\t14/03/2025 11:00\t1 h\t\tkofi@exemple.fr\tParticipant\n"
        "\n3. Activités pendant la réunion\n"
        "Nom\tHeure d'arrivée\tHeure de départ\tDurée\tE-mail\tRôle\n"
        "Kofi Mensah\t14/03/2025 10:00\t14/03/2025 11:00\t1 h\tkofi@exemple.fr\tParticipant\n"
    )
    preview = parse(b"\xff\xfe" + text.encode("utf-16-le"), default_language="fr")
    assert preview.format == "teams_attendance"
    assert [(r.line, r.name, r.email, r.role) for r in preview.rows] == [
        (6, "Camille Durand", "camille@exemple.fr", "presenter"),
        (7, "Kofi Mensah", "kofi@exemple.fr", "attendee"),
    ]
    assert preview.total_lines == 2
