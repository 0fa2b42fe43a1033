"""Single-cell rules: names, addresses, languages, roles, header aliases."""

from __future__ import annotations

import pytest

from preflight.importer.headers import map_columns
from preflight.importer.values import clean_email, clean_name, is_empty, same_person, validate
from preflight.importer.vocab import language_of, role_of

KNOWN = frozenset({"en", "fr", "de", "es"})


@pytest.mark.parametrize(
    ("raw", "zoom", "expected"),
    [
        ("  Camille   Durand ", False, "Camille Durand"),
        ("Durand, Camille", False, "Camille Durand"),
        ("Durand, Camille (Guest)", False, "Camille Durand"),
        ("DURAND, Camille (Invité)", False, "Camille DURAND"),
        ("Martin, Hélène (External)", False, "Hélène Martin"),
        ("Durand, Camille (Finance)", False, "Camille Durand (Finance)"),
        ("Camille Durand, PhD", False, "Camille Durand, PhD"),
        ("Camille Durand (she/her)", True, "Camille Durand"),
        ("Cam (Camille Durand)", True, "Cam"),
        ("Camille Durand (she/her)", False, "Camille Durand (she/her)"),
        ("Multi\nLine\r\nName", False, "Multi Line Name"),
        ("Zoe\u0308", False, "Zoë"),  # decomposed accents (macOS) are composed
        ("\ufeffCamille\u200bDurand", False, "Camille Durand"),
        (", Camille", False, "Camille"),
    ],
)
def test_clean_name(raw, zoom, expected):
    assert clean_name(raw, zoom_rename=zoom) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("camille@exemple.fr", "camille@exemple.fr"),
        (" Camille.Durand@EXEMPLE.FR ", "Camille.Durand@exemple.fr"),
        ("Camille Durand <camille@exemple.fr>", "camille@exemple.fr"),
        ("mailto:camille@exemple.fr", "camille@exemple.fr"),
        ("jean@ÉCOLE.fr", "jean@école.fr"),
        ("not-an-email", None),
        ("a@b", None),
        ("two@exemple.fr; three@exemple.fr", None),
        ("camille_gmail.com#EXT#@acme.onmicrosoft.com", None),  # Teams guest UPN
        ("x" * 300 + "@exemple.fr", None),
    ],
)
def test_email_cleaning_and_validation(raw, expected):
    assert validate(clean_email(raw)) == expected


@pytest.mark.parametrize("value", ["", "  ", "--", "-", "NA", "n/a", "N/A", "anonymous"])
def test_placeholders_count_as_empty(value):
    assert is_empty(value)


@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Camille Durand", "Camille Durand", True),
        ("Camille Durand", "camille durand", True),
        ("Camille Durand", "Camille", True),
        ("Camille Durand", "C. Durand", True),
        ("Hélène Martin", "Helene Martin", True),
        ("Cam", "Camille Durand", True),
        ("Camille Durand", "Camille Martin", False),
        ("Ajay Rao", "Priya Rao", False),
    ],
)
def test_same_person(a, b, same):
    assert same_person(a, b) is same


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("fr", "fr"),
        ("FR", "fr"),
        ("fr-CA", "fr"),
        ("fr_CA", "fr"),
        ("en-GB", "en"),
        ("French", "fr"),
        ("Français", "fr"),
        ("français", "fr"),
        ("FRANCAIS", "fr"),
        ("French (Canada)", "fr"),
        ("Französisch", "fr"),
        ("francés", "fr"),
        ("English", "en"),
        ("anglais", "en"),
        ("Englisch", "en"),
        ("inglés", "en"),
        ("Deutsch", "de"),
        ("German", "de"),
        ("allemand", "de"),
        ("alemán", "de"),
        ("Español", "es"),
        ("Spanish", "es"),
        ("espagnol", "es"),
        ("castellano", "es"),
        ("it", None),
        ("Italian", None),
        ("Klingon", None),
        ("fr-", None),
        ("???", None),
    ],
)
def test_language_of(raw, expected):
    assert language_of(raw, KNOWN) == expected


def test_language_of_returns_the_known_spelling():
    assert language_of("pt_br", frozenset({"en", "pt-BR"})) == "pt-BR"
    assert language_of("Portugais", frozenset({"pt"})) == "pt"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("attendee", "attendee"),
        ("Participant", "attendee"),
        ("Attendee", "attendee"),
        ("guest", "attendee"),
        ("Invité", "attendee"),
        ("registrant", "attendee"),
        ("presenter", "presenter"),
        ("Présentateur", "presenter"),
        ("Panelist", "presenter"),
        ("Host", "presenter"),
        ("Co-host", "presenter"),
        ("Organizer", "presenter"),
        ("Co-organizer", "presenter"),
        ("Speaker", "presenter"),
        ("Intervenant", "presenter"),
        ("Intervenante", "presenter"),
        ("Conférencier", "presenter"),
        ("Conférencière", "presenter"),
        ("Modérateur", "presenter"),
        ("Organisateur", "presenter"),
        ("発表者", "presenter"),
        ("Prezenter", "presenter"),
        ("Uczestnik", "attendee"),
        ("juggler", None),
        ("", None),
    ],
)
def test_role_of(raw, expected):
    assert role_of(raw) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (["Name", "Email"], {"name": "Name", "email": "Email"}),
        (["NAME", "EMAIL"], {"name": "NAME", "email": "EMAIL"}),
        (["Full Name ", " E-mail "], {"name": "Full Name", "email": "E-mail"}),
        (["Nom", "Courriel"], {"name": "Nom", "email": "Courriel"}),
        (["Nom", "Prénom", "Courriel"], {"last_name": "Nom", "first_name": "Prénom", "email": "Courriel"}),
        (
            ["Prénom", "Nom de famille", "Adresse e-mail"],
            {"first_name": "Prénom", "last_name": "Nom de famille", "email": "Adresse e-mail"},
        ),
        (["Nom, prénom", "Adresse électronique"], {"name": "Nom, prénom", "email": "Adresse électronique"}),
        (
            ["Nom complet", "Adresse mail", "Rôle", "Langue"],
            {"name": "Nom complet", "email": "Adresse mail", "role": "Rôle", "language": "Langue"},
        ),
        (
            ["First Name", "Surname", "User Email"],
            {"first_name": "First Name", "last_name": "Surname", "email": "User Email"},
        ),
        (["Your email (work)", "What is your name?"], {"email": "Your email (work)", "name": "What is your name?"}),
        (["Email", "Registration Email", "Name"], {"email": "Registration Email", "name": "Name"}),
        (["Buyer Email", "Buyer First Name"], {}),
        (["Name", "Topic"], {"name": "Name"}),
    ],
)
def test_header_aliases(headers, expected):
    assert map_columns(headers).columns == expected


def test_a_row_holding_an_address_is_never_a_header():
    assert not map_columns(["Name", "name@exemple.fr"]).is_header


def test_every_email_alias_passes_the_quick_header_precheck():
    from preflight.importer.headers import ALIASES, EMAIL_HINTS

    emails = [alias for alias, (field, _) in ALIASES.items() if field == "email"]
    assert emails and all(any(h in alias for h in EMAIL_HINTS) for alias in emails)


def test_attendee_columns_beat_generic_ones_wherever_they_sit():
    headers = ["First Name", "Last Name", "Email", "Attendee First Name", "Attendee Last Name", "Attendee Email"]
    assert map_columns(headers).columns == {
        "first_name": "Attendee First Name",
        "last_name": "Attendee Last Name",
        "email": "Attendee Email",
    }
