"""No participant link token in any log line, whichever logger writes it.

A token in ``/c/<token>`` is the participant's key to their page and results. Flask's
``log_exception`` ("Exception on /c/<token>/results [POST]"), gunicorn's error and access logs,
the worker's and any library's records all pass through the logging module's record factory,
so the redaction sits there: every record made in the process is cleaned once, before any
handler or formatter sees it, including the formatted traceback of ``exc_info``.
"""

from __future__ import annotations

import logging
import re

_TOKEN = re.compile(r"/c/[^/\s?\"'#]+")
_installed = False


def redact(text: str) -> str:
    """Replace link tokens in a path, URL or request line by a fixed marker."""
    return _TOKEN.sub("/c/[token]", text)


def clean(record: logging.LogRecord) -> logging.LogRecord:
    """Redact a record's message and traceback in place; returns it."""
    try:
        message = record.getMessage()
    except Exception:  # a record whose arguments do not fit its format: leave it to logging's own error path
        return record
    if "/c/" in message:
        record.msg, record.args = redact(message), None
    if record.exc_info and not record.exc_text:
        record.exc_text = logging.Formatter().formatException(record.exc_info)
    if record.exc_text and "/c/" in record.exc_text:
        record.exc_text = redact(record.exc_text)
    return record


class RedactingFilter(logging.Filter):
    """A filter for handlers set up outside this process's record factory (gunicorn's own)."""

    def filter(self, record: logging.LogRecord) -> bool:
        clean(record)
        return True


def install() -> None:
    """Wrap the process's LogRecord factory once so every new record is redacted."""
    global _installed
    if _installed:
        return
    make_record = logging.getLogRecordFactory()

    def redacting_factory(*args, **kwargs):
        return clean(make_record(*args, **kwargs))

    logging.setLogRecordFactory(redacting_factory)
    _installed = True
