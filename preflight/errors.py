"""Friendly error pages: no stack traces, no 500 details for users."""

from __future__ import annotations

from flask import Flask, current_app, jsonify, make_response, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from .db import reset_request_session


def _wants_json() -> bool:
    return request.is_json or request.accept_mimetypes.best == "application/json" or request.path.startswith("/api/")


FALLBACK_PAGE = (
    '<!doctype html><html lang="en"><meta charset="utf-8"><title>Preflight</title>'
    "<h1>Temporarily unavailable</h1><p>Please try again in a minute.</p></html>"
)


# Titles and messages of HTTP errors, translated when a page is rendered (lazy strings).
TITLES = {
    400: _l("Bad request"),
    401: _l("Sign-in needed"),
    403: _l("Access denied"),
    404: _l("Page not found"),
    405: _l("Not allowed"),
    410: _l("No longer available"),
    413: _l("Too large"),
    429: _l("Too many requests"),
}
MESSAGES = {
    400: _l("The request could not be understood."),
    403: _l("You do not have access to this page."),
    404: _l("This page does not exist."),
    405: _l("This action is not allowed here."),
    413: _l("What you sent is too large."),
    429: _l("Too many requests. Please wait a moment and try again."),
}


def _render(status: int, title: str, message: str, code: str | None = None):
    """The error page, or for API and JSON callers ``{"error": code or title, "message": ...}``."""
    if _wants_json():
        return make_response(jsonify(error=code or title, message=message), status)
    try:
        return make_response(render_template("errors/error.html", status=status, title=title, message=message), status)
    except Exception:  # the error page itself failed (database gone mid-render): never a raw 500 or a trace
        current_app.logger.exception("error page for %s could not be rendered", status)
        return make_response(FALLBACK_PAGE, status, {"Content-Type": "text/html; charset=utf-8"})


def init_app(app: Flask) -> None:
    """Register handlers for HTTP errors, CSRF failures, database outages and crashes."""

    @app.errorhandler(CSRFError)
    def csrf_error(exc):
        return _render(
            400,
            _("Form expired"),
            _("The form was open too long or came from elsewhere. Go back, reload the page and try again."),
        )

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code in (301, 302, 303, 307, 308):
            return exc
        reset_request_session()
        title = str(TITLES.get(exc.code) or _("Something went wrong"))
        message = str(MESSAGES.get(exc.code) or _("Please try again later."))
        # JSON callers get the stable English name ("Unauthorized") as the error code.
        response = _render(exc.code or 500, title, message, exc.name)
        if exc.code == 429 and getattr(exc, "retry_after", None):
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.errorhandler(OperationalError)
    def database_down(exc):
        reset_request_session()
        app.logger.error("database unavailable: %s", exc.__class__.__name__)
        response = _render(
            503,
            _("Temporarily unavailable"),
            _(
                "We cannot reach our database right now. Your results are kept in this page; please try again in a "
                "minute."
            ),
        )
        response.headers["Retry-After"] = "30"
        return response

    @app.errorhandler(Exception)
    def crash(exc):
        app.logger.exception("unhandled error")
        reset_request_session()
        return _render(
            500, _("Something went wrong"), _("An unexpected error happened. It has been logged; please try again.")
        )
