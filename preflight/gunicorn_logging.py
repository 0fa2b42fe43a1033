"""gunicorn access log that never writes a participant's link token."""

from __future__ import annotations

import os

from gunicorn.glogging import Logger

from .log_redaction import RedactingFilter, install, redact

__all__ = ["RedactingFilter", "RedactingLogger", "redact"]


class RedactingLogger(Logger):
    """Access log atoms with tokens removed from the path and request line; error log filtered too."""

    def setup(self, cfg):
        install()
        super().setup(cfg)
        self.error_log.addFilter(RedactingFilter())
        if os.environ.get("PREFLIGHT_LOG_FORMAT") == "json":
            from .structured_logs import JsonFormatter

            for log in (self.error_log, self.access_log):
                for handler in log.handlers:
                    handler.setFormatter(JsonFormatter())

    def access(self, resp, req, environ, request_time):
        """Plain access lines as configured; with JSON logs, the fields as keys and the app's request id."""
        if os.environ.get("PREFLIGHT_LOG_FORMAT") != "json":
            return super().access(resp, req, environ, request_time)
        if not (self.cfg.accesslog or self.cfg.logconfig or self.cfg.logconfig_dict or self.cfg.syslog):
            return None
        atoms = self.atoms(resp, req, environ, request_time)
        self.access_log.info(
            "%s",
            atoms["r"],
            extra={
                "remote": atoms["h"],
                "method": atoms["m"],
                "path": atoms["U"],
                "status": atoms["s"],
                "bytes": atoms["b"],
                "duration_ms": atoms["M"],
                "request_id": atoms.get("{x-request-id}o", "-"),
            },
        )

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        for key in ("r", "U", "f"):
            if isinstance(atoms.get(key), str):
                atoms[key] = redact(atoms[key])
        return atoms
