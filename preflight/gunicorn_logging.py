"""gunicorn access log that never writes a participant's link token."""

from __future__ import annotations

from gunicorn.glogging import Logger

from .log_redaction import RedactingFilter, install, redact

__all__ = ["RedactingFilter", "RedactingLogger", "redact"]


class RedactingLogger(Logger):
    """Access log atoms with tokens removed from the path and request line; error log filtered too."""

    def setup(self, cfg):
        install()
        super().setup(cfg)
        self.error_log.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
