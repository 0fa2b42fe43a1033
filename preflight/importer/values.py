"""Clean single cell values: names and email addresses."""

from __future__ import annotations

import re
import unicodedata

from email_validator import EmailNotValidError, validate_email

MAX_NAME = 200

# Cells meaning "nothing here": Zoom writes "--" for never-joined fields, R
# and Excel users write NA; Microsoft Forms writes "anonymous" for anonymous
# responses.
PLACEHOLDERS = {"--", "-", "na", "n/a", "n.a.", "#n/a", "none", "null", "anonymous", "anonyme", "—", "–"}

# Tags Teams/Zoom append to display names.
_TAGS = re.compile(
    r"\s*\((?:guest|invit[ée]e?|external|externe|extern|unverified|non v[ée]rifi[ée]e?|gast|invitado)\)\s*$",
    re.IGNORECASE,
)
_TRAILING_PAREN = re.compile(r"^(?P<main>.*?\S)\s*\((?P<inner>[^()]*)\)\s*$", re.DOTALL)
# "Durand, Camille PhD" must not become "PhD Durand, Camille": the part after
# the comma is a credential, not a first name.
_SUFFIXES = {
    "jr",
    "sr",
    "ii",
    "iii",
    "iv",
    "phd",
    "md",
    "esq",
    "mba",
    "msc",
    "dr",
    "prof",
    "rn",
    "cpa",
    "pe",
    "dds",
    "jd",
    "llm",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f\u200b-\u200d\u2028\u2029\ufeff]")
_ANGLE = re.compile(r"<([^<>]+@[^<>]+)>")


def is_empty(value: str) -> bool:
    """True for blank cells and placeholders such as "--" or "N/A"."""
    stripped = value.strip()
    return not stripped or stripped.casefold() in PLACEHOLDERS


def collapse(value: str) -> str:
    """Trim, NFC-normalise and collapse whitespace and control characters."""
    text = _CONTROL.sub(" ", unicodedata.normalize("NFC", value))
    return " ".join(text.split())


def clean_name(value: str, *, zoom_rename: bool = False) -> str:
    """Display name as people expect it.

    "Durand, Camille (Guest)" -> "Camille Durand". With ``zoom_rename`` the
    "Current name (Original name)" form of Zoom keeps the current name; it
    also drops pronoun tags like "(she/her)".
    """
    name = _TAGS.sub("", collapse(value))
    tail = ""
    match = _TRAILING_PAREN.match(name)
    if match:
        if zoom_rename:
            name = match.group("main")
        else:
            name, tail = match.group("main"), f" ({match.group('inner').strip()})"
    name = _swap_last_first(name.strip())
    return collapse(name + tail) if name else ""


def _swap_last_first(name: str) -> str:
    """'Durand, Camille' -> 'Camille Durand' (directory display-name order)."""
    if name.count(",") != 1:
        return name
    last, first = (part.strip() for part in name.split(","))
    if not last or not first:
        return (last or first).strip()
    if first.replace(".", "").casefold() in _SUFFIXES:
        return name
    return f"{first} {last}"


def join_name(first: str, last: str) -> str:
    """Full name from separate first and last name cells."""
    return collapse(f"{first} {last}")


def clean_email(value: str) -> str:
    """Extract the bare address from 'Name <a@b>' or 'mailto:a@b' forms."""
    text = collapse(value)
    match = _ANGLE.search(text)
    if match:
        text = match.group(1).strip()
    if text.casefold().startswith("mailto:"):
        text = text[7:].strip()
    return text


def validate(address: str) -> str | None:
    """Normalised address (domain lower-cased) or None when invalid."""
    if "#ext#" in address.casefold():  # a Teams guest UPN, not a mailbox
        return None
    try:
        return validate_email(address, check_deliverability=False).normalized
    except EmailNotValidError:
        return None


def name_key(name: str) -> list[str]:
    """Comparable tokens of a name: no case, accents or punctuation."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    bare = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return re.findall(r"\w+", bare)


def same_person(a: str, b: str) -> bool:
    """Whether two names sharing an email can be one person.

    "Camille Durand" / "Durand, Camille" / "Camille" / "C. Durand" / "Cam"
    are compatible: every token of the shorter name and a distinct token of
    the longer one are equal or one abbreviates the other.
    """
    short, long = sorted((name_key(a), name_key(b)), key=len)
    remaining = list(long)
    for token in short:
        match = next((t for t in remaining if t.startswith(token) or token.startswith(t)), None)
        if match is None:
            return False
        remaining.remove(match)
    return True
