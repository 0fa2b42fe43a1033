"""Guides: the FAQ and tutorials, one Markdown file per guide and locale.

``library`` reads the files and tracks translation state, ``render`` turns
Markdown into safe HTML, ``search`` is the in-process FAQ search,
``requirements`` builds the requirements table from the platform profiles,
``links`` builds guide URLs (verdicts use ``guide_url("slug#id")``).
"""

from flask import Blueprint

bp = Blueprint("guides", __name__, url_prefix="/guides")

from . import views  # noqa: E402,F401
