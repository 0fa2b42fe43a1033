"""Staff sign-in, sign-out and role checks."""

from flask import Blueprint

bp = Blueprint("auth", __name__, url_prefix="/staff")

from . import views  # noqa: E402,F401  (routes register on import)
from .access import role_required  # noqa: E402

__all__ = ["bp", "role_required"]
