"""Who may see what: the user loader and the role decorator."""

from __future__ import annotations

from functools import wraps

from flask import abort
from flask_login import current_user

from ..db import get_session
from ..extensions import login_manager
from ..models import StaffUser


@login_manager.user_loader
def load_user(user_id: str) -> StaffUser | None:
    """Load the signed-in staff member from the session cookie ("<id>:<session version>").

    A deactivated account, or one whose session version moved on (password changed or reset,
    account deactivated), loads as nobody: its sessions end at their next request.
    """
    number, _, version = user_id.partition(":")
    if not number.isdigit() or not version.isdigit():
        return None
    user = get_session().get(StaffUser, int(number))
    if user is None or not user.active or user.session_version != int(version):
        return None
    return user


login_manager.login_view = "auth.login"
login_manager.session_protection = "strong"


def role_required(*roles: str):
    """Allow the view only to signed-in staff holding one of ``roles``."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not current_user.has_role(*roles):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator
