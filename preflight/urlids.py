"""Database ids in URLs: integers a database column can hold, or 404.

Werkzeug's ``int`` converter accepts any number of digits; a 30-digit id would
reach the database and fail there (SQLite raises OverflowError, PostgreSQL a
DataError), i.e. a 500 instead of the 404 it deserves.
"""

from __future__ import annotations

from flask import abort

MAX_ID = 2**31 - 1  # INTEGER primary keys on PostgreSQL


def reject_huge_ids(_endpoint: str | None, values: dict | None) -> None:
    """``url_value_preprocessor``: 404 for any ``*_id`` URL value beyond MAX_ID."""
    for key, value in (values or {}).items():
        if key.endswith("_id") and isinstance(value, int) and value > MAX_ID:
            abort(404)
