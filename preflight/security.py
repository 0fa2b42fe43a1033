"""Response headers: CSP, framing, referrer, HSTS, caching of personal pages."""

from __future__ import annotations

import re

from flask import Flask, abort, request

from .config import ConfigError

# A frame ancestor is an origin (scheme, host, optional port; "*." may lead the host) or 'self':
# anything else could smuggle extra directives (";") or wildcards into the policy.
_ORIGIN = re.compile(r"^(?:'self'|https?://(?:\*\.)?[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*(?::\d{1,5})?)$")


def check_frame_ancestors(values: list[str]) -> list[str]:
    """The FRAME_ANCESTORS setting, or ConfigError naming the first value that is not an origin."""
    for value in values:
        if not _ORIGIN.match(value):
            raise ConfigError(
                f"PREFLIGHT_FRAME_ANCESTORS: {value!r} is not an origin such as https://events.example.org"
            )
    return values


def content_security_policy(frame_ancestors: list[str]) -> str:
    """The CSP: our own origin only, no inline script, no third party of any kind."""
    ancestors = " ".join(frame_ancestors) if frame_ancestors else "'none'"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data: blob:",
            "media-src 'self' blob: data:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            f"frame-ancestors {ancestors}",
        ]
    )


def common_headers(app: Flask) -> dict[str, str]:
    """The security headers every response carries, pages and static files alike."""
    headers = {
        "Content-Security-Policy": content_security_policy(check_frame_ancestors(app.config["FRAME_ANCESTORS"])),
        "Referrer-Policy": "no-referrer",
        "X-Content-Type-Options": "nosniff",
        "Permissions-Policy": "camera=(self), microphone=(self), speaker-selection=(self), geolocation=()",
    }
    if not app.config["FRAME_ANCESTORS"]:
        headers["X-Frame-Options"] = "DENY"
    if app.config["PREFLIGHT_ENV"] == "production":
        headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    return headers


def init_app(app: Flask) -> None:
    """Add the security headers to every response."""
    common = common_headers(app)

    @app.before_request
    def _refuse_nul_bytes():
        # PostgreSQL text cannot hold NUL: refuse it up front (400) instead of failing at commit (500).
        if request.method in ("POST", "PUT", "PATCH") and request.mimetype in (
            "application/x-www-form-urlencoded",
            "multipart/form-data",
        ):
            if any("\x00" in value for value in request.form.values()):
                abort(400)
        if any("\x00" in value for value in request.args.values()):
            abort(400)

    @app.after_request
    def _headers(response):
        headers = response.headers
        for name, value in common.items():
            headers.setdefault(name, value)
        if request.endpoint and not request.endpoint.startswith("static"):
            # Pages carry personal links or staff data: never store them in shared caches.
            headers.setdefault("Cache-Control", "no-store")
        return response
