"""Event times in emails: in the event's own zone, in the reader's language, to the minute."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time, get_datetime_format, get_timezone_name
from flask_babel import get_locale


def event_time(moment: datetime, zone_name: str) -> str:
    """E.g. "Sunday, March 28, 2027, 10:30 AM Central European Summer Time": no seconds, the zone named.

    Babel is called directly, not through flask_babel: flask_babel would move the time into the
    zone of whoever triggers the send (a staff member's, or UTC in the worker).
    """
    locale = get_locale()
    local = moment.astimezone(ZoneInfo(zone_name))
    date_text = format_date(local, "full", locale=locale)
    time_text = format_time(local, "short", tzinfo=local.tzinfo, locale=locale)
    pattern = str(get_datetime_format("long", locale=locale)).replace("'", "")
    zone = get_timezone_name(local, "long", locale=locale)
    return f"{pattern.replace('{0}', time_text).replace('{1}', date_text)} {zone}"
