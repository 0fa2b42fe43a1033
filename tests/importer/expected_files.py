"""What the importer must read from the plain CSV and spreadsheet fixtures (see make_fixtures.py)."""

import importlib.util
from pathlib import Path

_spec = importlib.util.spec_from_file_location("importer_make_fixtures", Path(__file__).with_name("make_fixtures.py"))
make_fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(make_fixtures)

FILES = {
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
}
