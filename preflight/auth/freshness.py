"""How old a staff sign-in is: absolute expiry, and a recent password for sensitive actions.

Flask refreshes a permanent session cookie on every request, so without a start time a session
slides forever. The time of sign-in (and of the last password confirmation) is kept in the signed
session: past ``SESSION_HOURS`` the session ends whatever its activity; actions that hand out
credentials or delete data (``fresh_login_required``) want a password typed in the last
``REAUTH_MINUTES``.
"""

from __future__ import annotations

import time
from functools import wraps

from flask import current_app, flash, redirect, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, logout_user

from ..redirects import safe_next

SIGNED_IN_AT = "signed_in_at"
CONFIRMED_AT = "confirmed_at"


def mark_signed_in() -> None:
    """Record that the password was just typed (sign-in)."""
    session[SIGNED_IN_AT] = session[CONFIRMED_AT] = int(time.time())


def mark_confirmed() -> None:
    """Record that the password was just typed again (re-authentication)."""
    session[CONFIRMED_AT] = int(time.time())


def expire_old_sessions() -> None:
    """``before_request``: sign out a session older than SESSION_HOURS (absolute, not sliding)."""
    if not current_user.is_authenticated:
        return
    started = session.get(SIGNED_IN_AT)
    if not isinstance(started, int) or time.time() - started > current_app.config["SESSION_HOURS"] * 3600:
        logout_user()
        session.clear()


def is_fresh() -> bool:
    """Whether the password was typed within REAUTH_MINUTES."""
    confirmed = session.get(CONFIRMED_AT)
    return isinstance(confirmed, int) and time.time() - confirmed <= current_app.config["REAUTH_MINUTES"] * 60


def fresh_login_required(view):
    """Ask for the password again before ``view`` unless it was typed recently."""

    @wraps(view)
    def wrapped(*args, **kwargs):
        if current_user.is_authenticated and not is_fresh():
            # A POST cannot be replayed after the detour: come back to the page it was sent from.
            back = safe_next(request.full_path if request.method == "GET" else _referrer_path())
            # i18n: flash shown above the password prompt before a sensitive action
            flash(_("Please confirm your password to continue."), "info")
            return redirect(url_for("auth.confirm", next=back))
        return view(*args, **kwargs)

    return wrapped


def _referrer_path() -> str | None:
    referrer = request.referrer or ""
    host = request.host_url.rstrip("/")
    return referrer[len(host) :] if referrer.startswith(host + "/") else None
