"""Staff accounts in the browser (blueprint ``accounts``): admins invite colleagues, set roles, send
password-reset links and deactivate accounts; everyone changes their own password. The first admin
is still created with ``flask create-user``."""

from flask import Blueprint

bp = Blueprint("accounts", __name__, url_prefix="/staff")

from . import views  # noqa: E402,F401
