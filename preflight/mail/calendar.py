"""The event as a calendar entry (an ``.ics`` attachment to the invitation): the event's time in
its own time zone, and the personal check link, in the participant's language."""

from __future__ import annotations

from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from icalendar import Calendar
from icalendar import Event as CalendarEvent

from ..models import Event, Participant


def invitation_calendar(event: Event, participant: Participant, link: str) -> str:
    """A one-event iCalendar (RFC 5545) text; call it inside the participant's locale."""
    zone = ZoneInfo(event.timezone)
    entry = CalendarEvent()
    # One entry per event and participant: a new invitation updates it instead of adding another.
    entry.add("uid", f"event-{event.id}-participant-{participant.id}@preflight")
    entry.add("dtstamp", datetime.now(timezone.utc))
    entry.add("dtstart", event.starts_at.astimezone(zone))
    entry.add("dtend", event.ends_at.astimezone(zone))
    entry.add("summary", event.name)
    # i18n: the calendar entry's description; %(link)s is the personal check link
    entry.add("description", _("Before the event, check your camera, microphone and connection: %(link)s", link=link))
    entry.add("url", link)
    calendar = Calendar()
    calendar.add("prodid", "-//Preflight//Pre-flight check//EN")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    calendar.add_component(entry)
    calendar.add_missing_timezones()
    return calendar.to_ical().decode("utf-8")
