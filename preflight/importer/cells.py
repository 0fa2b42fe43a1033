"""Spreadsheet cell values as the text a CSV export of the same sheet would hold.

Excel stores every number as a float and every date as a day count: without
care a phone number or an order id reads "33612345678.0" and a registration
time carries a rounding error of a few microseconds.
"""

from __future__ import annotations

import math
from datetime import date, datetime, time, timedelta

_HALF_SECOND = timedelta(microseconds=500_000)


def cell_text(value: object) -> str:
    """Text of one cell: whole numbers without ".0", ISO dates, times to the second."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):  # before int: bool is an int
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _number(value)
    if isinstance(value, datetime):
        return _to_second(value).isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        moment = _to_second(datetime.combine(date(2000, 1, 1), value))
        return moment.time().isoformat()
    if isinstance(value, timedelta):
        return _duration(value)
    return str(value)


def _number(value: float) -> str:
    if not math.isfinite(value):
        return ""
    if value.is_integer():
        return str(int(value))
    return repr(value)  # shortest text that reads back as the same float: 2.5, 0.1


def _to_second(moment: datetime) -> datetime:
    """Round to the nearest second: day fractions rarely land on one exactly."""
    return (moment + _HALF_SECOND).replace(microsecond=0)


def _duration(value: timedelta) -> str:
    """'1:04:00' for an Excel duration (a Teams 'In-Meeting Duration' cell)."""
    seconds = round(value.total_seconds())
    sign = "-" if seconds < 0 else ""
    hours, rest = divmod(abs(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"{sign}{hours}:{minutes:02d}:{secs:02d}"
