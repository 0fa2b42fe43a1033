"""Map free-text language and role cells to the codes Preflight uses."""

from __future__ import annotations

import re
from functools import lru_cache

from babel import Locale, UnknownLocaleError

from .headers import normalize

ATTENDEE, PRESENTER = "attendee", "presenter"

# Role words seen in exports and typed by organisers, normalised (no case,
# accents or punctuation). Teams writes its roles in the organiser's
# language (Japanese and Polish seen in the wild).
_PRESENTER_WORDS = (
    "presenter",
    "presentateur",
    "presentatrice",
    "panelist",
    "panellist",
    "paneliste",
    "host",
    "co host",
    "cohost",
    "hote",
    "co hote",
    "organizer",
    "organiser",
    "co organizer",
    "co organiser",
    "organisateur",
    "organisatrice",
    "co organisateur",
    "speaker",
    "speakers",
    "intervenant",
    "intervenante",
    "conferencier",
    "conferenciere",
    "orateur",
    "oratrice",
    "moderator",
    "moderateur",
    "moderatrice",
    "animateur",
    "animatrice",
    "trainer",
    "formateur",
    "formatrice",
    "instructor",
    "facilitator",
    "referent",
    "referentin",
    "organisator",
    "moderador",
    "ponente",
    "orador",
    "presentador",
    "organizador",
    "prezenter",
    "organizator",
    "wspolorganizator",
    "開催者",
    "共同開催者",
    "発表者",
)
_ATTENDEE_WORDS = (
    "attendee",
    "attendees",
    "participant",
    "participante",
    "participants",
    "guest",
    "invite",
    "invitee",
    "viewer",
    "audience",
    "registrant",
    "inscrit",
    "inscrite",
    "auditeur",
    "auditrice",
    "spectateur",
    "spectatrice",
    "member",
    "membre",
    "listener",
    "teilnehmer",
    "teilnehmerin",
    "gast",
    "asistente",
    "invitado",
    "uczestnik",
    "出席者",
)
_ROLES = {normalize(w): PRESENTER for w in _PRESENTER_WORDS} | {normalize(w): ATTENDEE for w in _ATTENDEE_WORDS}

# Languages whose names are recognised in cells, besides each language's own.
_NAME_LOCALES = ("en", "fr", "de", "es")
_CODE_RE = re.compile(r"^([a-z]{2,3})(?:[-_][a-z0-9]{2,8})*$", re.IGNORECASE)


def role_of(value: str) -> str | None:
    """'Panelist' -> 'presenter', 'Participant' -> 'attendee', unknown -> None."""
    return _ROLES.get(normalize(value))


def language_of(value: str, known: frozenset[str]) -> str | None:
    """Known language code for a cell ('FR', 'fr-CA', 'Français'), else None."""
    text = value.strip()
    lowered = {k.casefold().replace("_", "-"): k for k in known}
    as_code = text.casefold().replace("_", "-")
    if as_code in lowered:
        return lowered[as_code]
    match = _CODE_RE.match(text)
    if match and match.group(1).casefold() in lowered:
        return lowered[match.group(1).casefold()]
    # Names: "French", "Français (Canada)" -> "fr".
    names = _language_names(known)
    key = normalize(re.sub(r"\(.*?\)", " ", text))
    return names.get(key) if key else None


@lru_cache(maxsize=32)
def _language_names(known: frozenset[str]) -> dict[str, str]:
    """Normalised language name -> known code, in en/fr/de/es and autonyms."""
    names: dict[str, str] = {}
    for code in sorted(known):
        base = code.replace("-", "_").split("_")[0].casefold()
        for display_locale in (*_NAME_LOCALES, base):
            try:
                display = Locale.parse(display_locale).languages.get(base)
            except (UnknownLocaleError, ValueError, TypeError, LookupError):
                continue
            if display and normalize(display):
                names.setdefault(normalize(display), code)
    # Common spellings babel does not list.
    for alias, base in (("castellano", "es"), ("english", "en"), ("anglais", "en")):
        code = next((k for k in known if k.casefold().split("-")[0] == base), None)
        if code:
            names.setdefault(alias, code)
    return names
