"""Request ids and optional JSON log lines (issue 17).

Every request gets an id: the incoming ``X-Request-ID`` when it looks like one
(a proxy's), else a new one; it is returned in the response header and added to
every log record made while the request runs. With ``LOG_FORMAT=json`` each log
line is one JSON object. The serialized line passes the token redaction again,
so a link token in an extra field cannot leak either.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request
from flask.logging import default_handler

from .log_redaction import redact

# Long enough for every common id format (uuid, trace ids), short and plain enough to log safely.
_SANE_ID = re.compile(r"^[A-Za-z0-9._:@-]{8,128}$")
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime", "request_id"}


def current_request_id() -> str:
    """The id of the request being served, or "-" outside requests."""
    if has_request_context():
        return g.get("request_id", "-")
    return "-"


class RequestIdFilter(logging.Filter):
    """Adds ``record.request_id`` (kept when the record already has one, e.g. gunicorn's access line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", None):
            record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, request_id, extras, traceback."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None) or current_request_id(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                entry[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exception"] = record.exc_text
        return redact(json.dumps(entry, default=str, ensure_ascii=False))


def _assign_request_id() -> None:
    incoming = request.headers.get("X-Request-ID", "")
    g.request_id = incoming if _SANE_ID.match(incoming) else uuid.uuid4().hex


def _return_request_id(response):
    response.headers["X-Request-ID"] = g.get("request_id", "-")
    return response


def use_json_logs() -> None:
    """Send every record of the process to stderr as JSON (once per process)."""
    root = logging.getLogger()
    if any(getattr(handler, "preflight_json", False) for handler in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.preflight_json = True
    root.addHandler(handler)
    if root.level > logging.INFO or root.level == logging.NOTSET:
        root.setLevel(logging.INFO)


def init_app(app: Flask) -> None:
    """Request ids always; JSON lines when ``LOG_FORMAT`` is ``json``."""
    app.before_request(_assign_request_id)
    app.after_request(_return_request_id)
    if app.config.get("LOG_FORMAT") == "json":
        # The app's records reach the root handler instead of Flask's plain-text one.
        app.logger.removeHandler(default_handler)
        use_json_logs()
