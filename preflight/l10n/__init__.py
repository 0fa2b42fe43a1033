"""Translators' tooling: catalogs (extract, update, compile), pseudo-locales,
consistency checks, the status report, the ``flask i18n`` commands and the
staff pages for translators (status and guide preview).
"""

from flask import Blueprint

bp = Blueprint("translations_admin", __name__, url_prefix="/staff/translations")

from . import views  # noqa: E402,F401
