"""gunicorn access log that never writes a participant's link token."""

from __future__ import annotations

import logging
import re

from gunicorn.glogging import Logger

_TOKEN = re.compile(r"/c/[^/\s?\"]+")


def redact(text: str) -> str:
    """Replace link tokens in a path or request line by a fixed marker."""
    return _TOKEN.sub("/c/[token]", text)


class RedactingFilter(logging.Filter):
    """Removes link tokens from a record's formatted message (gunicorn's debug log prints request paths)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if "/c/" in message:
            record.msg, record.args = redact(message), None
        return True


class RedactingLogger(Logger):
    """Access log atoms with tokens removed from the path and request line; error log filtered too."""

    def setup(self, cfg):
        super().setup(cfg)
        self.error_log.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
