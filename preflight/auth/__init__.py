"""Staff sign-in, sign-out and role checks."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/staff")

from . import views  # noqa: E402,F401  (routes register on import)
from .access import role_required  # noqa: E402
from .freshness import expire_old_sessions, fresh_login_required  # noqa: E402

bp.before_app_request(expire_old_sessions)

__all__ = ["bp", "fresh_login_required", "role_required"]
