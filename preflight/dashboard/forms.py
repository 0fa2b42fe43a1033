"""Forms of the dashboard's actions."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length


class ActionForm(FlaskForm):
    """A button that posts (CSRF only)."""


class NoteForm(FlaskForm):
    """A staff note on a participant."""

    body = TextAreaField(_l("Note for the team"), validators=[DataRequired(), Length(max=4000)])
