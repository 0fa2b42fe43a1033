"""Recognise header rows and map their columns to participant fields.

Columns are matched by name, never by position: every platform has added
columns over the years. Matching ignores case, accents, punctuation and
surrounding spaces (GoTo Webinar pads its headers with trailing spaces).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

FIELDS = ("name", "first_name", "last_name", "email", "language", "role")
NAME_FIELDS = ("name", "first_name", "last_name")

_NON_WORD = re.compile(r"[\W_]+")


def normalize(text: str) -> str:
    """Lower-case, strip accents and punctuation: "Adresse e-mail " -> "adresse e mail"."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_WORD.sub(" ", bare.replace("œ", "oe").replace("æ", "ae")).strip()


def _aliases(field_name: str, priority: int, *names: str) -> dict[str, tuple[str, int]]:
    return {normalize(n): (field_name, priority) for n in names}


# Normalised header -> (field, priority). Lower priority wins when a table
# has several columns for one field; the others are fallbacks for empty cells.
ALIASES: dict[str, tuple[str, int]] = {
    # Columns naming the attendee beat generic ones: Eventbrite can put the
    # buyer's columns next to the attendee's, and Teams webinars prefer the
    # address the person registered with over the directory address.
    **_aliases(
        "email",
        0,
        "Registration Email",
        "Adresse e-mail d'inscription",
        "Attendee Email",
        "Participant Email",
        "Registrant Email",
    ),
    **_aliases("name", 0, "Attendee Name", "Participant Name", "Registrant Name", "Nom du participant"),
    **_aliases("first_name", 0, "Attendee First Name", "Prénom du participant"),
    **_aliases(
        "last_name",
        0,
        "Attendee Last Name",
        "Attendee Surname",
        "Nom de famille du participant",
    ),
    **_aliases(
        "email",
        1,
        "Email",
        "E-mail",
        "Mail",
        "Email Address",
        "E-mail Address",
        "Email Adress",
        "User Email",
        "Courriel",
        "Adresse courriel",
        "Adresse de courriel",
        "Adresse e-mail",
        "Adresse email",
        "Adresse mail",
        "Adresse électronique",
        "Courrier électronique",
        "Adresse de messagerie",
        "Your email",
        "Your email address",
        "Votre e-mail",
        "Votre adresse e-mail",
        "Votre courriel",
        "Votre adresse courriel",
        "E-Mail-Adresse",
        "Emailadresse",
        "Correo",
        "Correo electrónico",
    ),
    # Teams' UPN is usually the work address; only used when Email is empty.
    **_aliases(
        "email",
        5,
        "Participant ID (UPN)",
        "ID du participant (UPN)",
        "UPN",
        "User Principal Name",
    ),
    **_aliases(
        "name",
        1,
        "Name",
        "Full Name",
        "Fullname",
        "Nom complet",
        "Display Name",
        "Nom d'affichage",
        "User Name",
        "User Name (Original Name)",
        "Name (Original Name)",
        "Nom et prénom",
        "Prénom et nom",
        "Prénom Nom",
        "Nom Prénom",
        "Nom, prénom",
        "First and last name",
        "First name and last name",
        "Name and surname",
        "Your name",
        "Your full name",
        "Votre nom",
        "Votre nom complet",
        "Vollständiger Name",
        "Nombre completo",
        "Nombre y apellidos",
    ),
    **_aliases(
        "first_name",
        1,
        "First Name",
        "Firstname",
        "Given Name",
        "Forename",
        "Prénom",
        "Your first name",
        "Votre prénom",
        "Vorname",
        "Nombre",
    ),
    **_aliases(
        "last_name",
        1,
        "Last Name",
        "Lastname",
        "Surname",
        "Family Name",
        "Nom de famille",
        "Your last name",
        "Your surname",
        "Votre nom de famille",
        "Nachname",
        "Apellido",
        "Apellidos",
    ),
    **_aliases(
        "language",
        1,
        "Language",
        "Langue",
        "Preferred Language",
        "Language preference",
        "Langue préférée",
        "Langue de préférence",
        "Langue souhaitée",
        "Lang",
        "Locale",
        "Your language",
        "Votre langue",
        "Sprache",
        "Idioma",
        "Lingua",
    ),
    **_aliases(
        "role",
        1,
        "Role",
        "Rôle",
        "Participant Role",
        "Attendee Role",
        "Participant type",
        "Type de participant",
        "Rolle",
        "Rol",
        "Ruolo",
    ),
}

# French "Nom" is the surname when a "Prénom" column sits next to it, the
# full name otherwise.
_BARE_NOM = "nom"

# Question-style headers (Google/Microsoft Forms): "Full name, as on your
# badge", "Your email (work)", "Langue / Language". Try the part before the
# first such mark.
_LEAD_CUT = re.compile(r"[,;\n\r(:?\[*/]")
_PREFIXES = tuple(
    normalize(p) + " "
    for p in (
        "what is your",
        "what's your",
        "please enter your",
        "enter your",
        "please give your",
        "your",
        "quel est votre",
        "quelle est votre",
        "indiquez votre",
        "veuillez indiquer votre",
        "votre",
        "ton",
        "ihr",
        "tu",
        "su",
    )
)


def _lead(header: str) -> str:
    """Normalised text before the first comma, bracket, colon, slash..."""
    return normalize(_LEAD_CUT.split(header, maxsplit=1)[0])


def _lookup(header: str) -> tuple[str, int] | None:
    """Field and priority for one header cell, or None."""
    norm = normalize(header)
    if norm in ALIASES:
        return ALIASES[norm]
    lead = _lead(header)
    if lead in ALIASES:
        return ALIASES[lead]
    for prefix in _PREFIXES:
        if lead.startswith(prefix) and lead[len(prefix) :] in ALIASES:
            return ALIASES[lead[len(prefix) :]]
    return None


@dataclass
class ColumnMap:
    """How one header row maps to participant fields."""

    headers: list[str]
    fields: dict[str, list[int]] = field(default_factory=dict)

    @property
    def is_header(self) -> bool:
        """A usable header has an email column and at least one name column."""
        return "email" in self.fields and any(f in self.fields for f in NAME_FIELDS)

    @property
    def columns(self) -> dict[str, str]:
        """Recognised field -> the (preferred) header as it appeared."""
        return {f: self.headers[idx[0]] for f, idx in self.fields.items()}

    @property
    def ignored(self) -> list[str]:
        """Non-empty headers that feed no field, in file order."""
        used = {i for idx in self.fields.values() for i in idx}
        return [h for i, h in enumerate(self.headers) if h and i not in used]

    @property
    def normalized(self) -> set[str]:
        """Normalised header names, for recognising the file kind."""
        return {normalize(h) for h in self.headers if h}

    def value(self, cells: list[str], field_name: str, empty: set[str]) -> str:
        """First non-empty cell among the field's columns, by priority."""
        for idx in self.fields.get(field_name, ()):
            if idx < len(cells):
                cell = cells[idx].strip()
                if cell and cell.casefold() not in empty:
                    return cell
        return ""


# Every email alias contains one of these: a cheap test that lets the
# parser skip the full header analysis on the vast majority of rows.
EMAIL_HINTS = ("mail", "courriel", "upn", "messagerie", "correo", "lectronique", "principal")
MAX_HEADER_CELLS = 1000


def could_be_header(cells: list[str]) -> bool:
    """Quick pre-check: not too wide, no address, some email-like header."""
    if len(cells) > MAX_HEADER_CELLS:
        return False
    joined = "\x1f".join(cells).casefold()
    return "@" not in joined and any(hint in joined for hint in EMAIL_HINTS)


def map_columns(cells: list[str]) -> ColumnMap:
    """Map a candidate header row; check ``.is_header`` on the result."""
    headers = [_clean_header(c) for c in cells]
    found: list[tuple[int, int, str]] = []  # (priority, position, field)
    bare_nom: list[int] = []
    for pos, header in enumerate(headers):
        if not header or "@" in header:
            continue
        hit = ALIASES.get(normalize(header))
        if hit is None and _BARE_NOM in (normalize(header), _lead(header)):
            bare_nom.append(pos)
            continue
        hit = hit or _lookup(header)
        if hit:
            found.append((hit[1], pos, hit[0]))
    has_first = any(f == "first_name" for _, _, f in found)
    for pos in bare_nom:
        found.append((1, pos, "last_name" if has_first else "name"))
    result = ColumnMap(headers)
    for _priority, pos, field_name in sorted(found):
        result.fields.setdefault(field_name, []).append(pos)
    # A data row never holds an address in a header cell; header rows don't.
    if any("@" in h for h in headers):
        result.fields.clear()
    return result


def _clean_header(cell: str) -> str:
    """Header as shown to staff: trimmed, BOM remnants and line breaks removed."""
    return " ".join(cell.replace("\ufeff", "").split())
