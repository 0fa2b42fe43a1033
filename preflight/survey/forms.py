"""The survey schedule form."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, RadioField, SelectChoice
from wtforms.fields import DateTimeLocalField
from wtforms.validators import Optional

# i18n: whether the satisfaction survey is emailed after an event
MODES = [SelectChoice("off", _l("Do not send the survey")), SelectChoice("at", _l("Send the survey at this time"))]


class ScheduleForm(FlaskForm):
    """Whether and when the survey goes out; sending at once to many people needs a tick."""

    mode = RadioField(_l("Satisfaction survey"), choices=MODES, default="off")
    send_at = DateTimeLocalField(_l("Send at (event's time zone)"), format="%Y-%m-%dT%H:%M", validators=[Optional()])
    confirm = BooleanField(_l("Yes, send it now"))
