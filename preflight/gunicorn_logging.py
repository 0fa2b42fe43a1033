"""gunicorn access log that never writes a participant's link token."""

from __future__ import annotations

import re

from gunicorn.glogging import Logger

_TOKEN = re.compile(r"/c/[^/\s?\"]+")


def redact(text: str) -> str:
    """Replace link tokens in a path or request line by a fixed marker."""
    return _TOKEN.sub("/c/[token]", text)


class RedactingLogger(Logger):
    """Access log atoms with tokens removed from the path and request line."""

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
