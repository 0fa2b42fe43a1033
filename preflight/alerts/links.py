"""Absolute links to staff pages, built on BASE_URL (used in emails and webhooks)."""

from __future__ import annotations

from flask import current_app, url_for


def absolute(endpoint: str, **values) -> str:
    """``BASE_URL`` + the path of ``endpoint`` (needs a request context, real or test)."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(endpoint, **values)
