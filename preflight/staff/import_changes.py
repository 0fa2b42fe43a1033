"""What a previewed import would do to each participant: new, changed or unchanged.

Pure comparison of the parsed rows with the participants already in the event,
so the preview can say "Language: English → Français" before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from babel import Locale, UnknownLocaleError
from flask_babel import gettext as _
from sqlmodel import select

from ..db import get_session
from ..importer import ImportPreview, ImportRow
from ..models import Event, Participant


@dataclass
class RowOutcome:
    """The fate of one previewed row: ``status`` is new, changed or unchanged."""

    status: str
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # (label, old, new)


def language_name(code: str) -> str:
    """The language's own name ("Français"), or the code when Babel does not know it."""
    try:
        name = Locale.parse(code.replace("-", "_")).get_display_name() or code
    except (UnknownLocaleError, ValueError):
        return code
    return name[:1].upper() + name[1:]


def role_name(role: str) -> str:
    """A participant role in the staff member's language."""
    # i18n: participant roles in an event
    labels = {"attendee": _("Attendee"), "presenter": _("Presenter")}
    return labels.get(role, role)


def outcomes(event: Event, preview: ImportPreview) -> dict[str, RowOutcome]:
    """Map each previewed email to what importing it would do."""
    emails = [row.email for row in preview.rows]
    if not emails:
        return {}
    known = {
        p.email: p
        for p in get_session().exec(
            select(Participant).where(Participant.event_id == event.id, Participant.email.in_(emails))
        )
    }
    result = {}
    for row in preview.rows:
        participant = known.get(row.email)
        if participant is None:
            result[row.email] = RowOutcome("new")
            continue
        changes = _changes(participant, row)
        result[row.email] = RowOutcome("changed" if changes else "unchanged", changes)
    return result


def _changes(participant: Participant, row: ImportRow) -> list[tuple[str, str, str]]:
    changes = []
    if participant.name != row.name:
        # i18n: label of a changed field in the import preview ("Name: Ada → Ada King")
        changes.append((_("Name"), participant.name, row.name))
    if row.language_given and participant.language != row.language:
        changes.append((_("Language"), language_name(participant.language), language_name(row.language)))
    if row.role_given and participant.role != row.role:
        changes.append((_("Role"), role_name(participant.role), role_name(row.role)))
    return changes
