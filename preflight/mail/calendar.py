"""The .ics attachment of invitations: the event in its own time zone, with the personal link."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from ..models import Event, Participant, utcnow


def invitation_ics(event: Event, participant: Participant, link: str) -> bytes:
    """One VEVENT with TZID times and a VTIMEZONE; texts in the active (participant's) locale."""
    zone = ZoneInfo(event.timezone)
    calendar = Calendar()
    calendar.add("prodid", "-//Preflight//invitation//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    entry = CalendarEvent()
    # Stable per participant and event: a second invitation updates the same calendar entry.
    entry.add("uid", f"preflight-event-{event.id}-participant-{participant.id}@preflight")
    entry.add("dtstamp", utcnow())
    entry.add("dtstart", event.starts_at.astimezone(zone))
    entry.add("dtend", event.ends_at.astimezone(zone))
    entry.add("summary", event.name)
    # i18n: calendar entry description; %(link)s is the participant's personal check link
    entry.add("description", _("Before the event, check your camera, microphone and connection: %(link)s", link=link))
    entry.add("url", link)
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical()
