"""Forms of the help queue."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length

# i18n: status of a help request
STATUS_LABELS = {"open": _l("Open"), "in_progress": _l("In progress"), "resolved": _l("Resolved")}
# i18n: escalation level of a help request (first line, second line, expert)
LEVEL_LABELS = {"L1": _l("L1"), "L2": _l("L2"), "expert": _l("Expert")}


class UpdateForm(FlaskForm):
    """Status, escalation level and assignee."""

    status = SelectField(_l("Status"), choices=[SelectChoice(k, v) for k, v in STATUS_LABELS.items()])
    level = SelectField(_l("Escalation"), choices=[SelectChoice(k, v) for k, v in LEVEL_LABELS.items()])
    assigned_to = SelectField(_l("Assigned to"), choices=[], coerce=str)


class NoteForm(FlaskForm):
    """An internal note (never shown to the participant)."""

    body = TextAreaField(_l("Internal note"), validators=[DataRequired(), Length(max=4000)])


class ReplyForm(FlaskForm):
    """A reply emailed to the participant in their language."""

    body = TextAreaField(_l("Reply to the participant (sent by email)"), validators=[DataRequired(), Length(max=4000)])
