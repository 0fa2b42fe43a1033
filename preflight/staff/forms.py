"""Forms of the staff pages."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import BooleanField, DateTimeLocalField, EmailField, IntegerField, SelectField, StringField, URLField
from wtforms.validators import URL, DataRequired, Email, Length, NumberRange, Optional, ValidationError

from ..alerts.egress import UnsafeURL, check_url
from ..i18n import valid_timezone
from ..models import PARTICIPANT_ROLES
from ..profiles import PROFILES


def _platform_choices():
    return [(key, profile.label) for key, profile in PROFILES.items()]


def _role_choices():
    # i18n: participant roles in an event
    labels = {"attendee": _l("Attendee"), "presenter": _l("Presenter")}
    return [(role, labels[role]) for role in PARTICIPANT_ROLES]


def public_webhook_url(_form, field) -> None:
    """Refuse webhook URLs on loopback, private, link-local or reserved addresses (SSRF)."""
    if not field.data:
        return
    try:
        check_url(field.data.strip(), resolve_names=False)
    except UnsafeURL:
        raise ValidationError(
            # i18n: form error under the alert webhook URL
            _(
                "Alerts can only be posted to public addresses, not to a private, local or reserved network "
                "(your operator can allow internal receivers)."
            )
        ) from None


class EventForm(FlaskForm):
    """Create or edit an event. Times are entered in the event's own timezone."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    timezone = StringField(_l("Timezone"), default="Europe/Paris", validators=[DataRequired(), Length(max=64)])
    starts_at = DateTimeLocalField(_l("Starts"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    ends_at = DateTimeLocalField(_l("Ends"), format="%Y-%m-%dT%H:%M", validators=[DataRequired()])
    platform = SelectField(_l("Platform"), choices=_platform_choices, default="generic")
    default_role = SelectField(_l("Participants' role"), choices=_role_choices, default="attendee")
    default_language = SelectField(_l("Default language"), choices=[])
    support_email = EmailField(_l("Support email"), validators=[Optional(), Email(), Length(max=254)])
    support_phone = StringField(_l("Support phone"), validators=[Optional(), Length(max=50)])
    support_chat_url = URLField(
        _l("Support chat URL"), validators=[Optional(), URL(require_tld=False), Length(max=500)]
    )
    webhook_url = URLField(
        _l("Alert webhook URL"), validators=[Optional(), URL(require_tld=False), Length(max=500), public_webhook_url]
    )
    # i18n: latency alert settings on the event form
    # Left empty (or absent, from a form loaded before these fields existed): the event keeps its value.
    latency_alert_ms = IntegerField(
        _l("Round trip above (ms)"), default=200, validators=[Optional(), NumberRange(min=20, max=5000)]
    )
    latency_alert_participants = IntegerField(
        _l("For at least this many participants (0: no alert)"),
        default=5,
        validators=[Optional(), NumberRange(min=0, max=100000)],
    )
    latency_alert_minutes = IntegerField(
        _l("Within (minutes)"), default=30, validators=[Optional(), NumberRange(min=1, max=1440)]
    )

    def validate_timezone(self, field):
        if not valid_timezone(field.data):
            raise ValidationError(_l("Unknown timezone. Use a name like Europe/Paris or America/New_York."))

    def validate_ends_at(self, field):
        if self.starts_at.data and field.data and field.data <= self.starts_at.data:
            raise ValidationError(_l("The event must end after it starts."))

    def aware(self, value: datetime) -> datetime:
        """A naive form value made aware in the chosen timezone."""
        return value.replace(tzinfo=ZoneInfo(self.timezone.data))


class UploadForm(FlaskForm):
    """A participant file to preview."""

    file = FileField(_l("Participant file (CSV, Excel XLSX or platform export)"), validators=[FileRequired()])


class ConfirmImportForm(FlaskForm):
    """Confirm the previewed import."""

    valid_only = BooleanField(_l("Import the valid rows and skip the others"))


class ParticipantForm(FlaskForm):
    """Add one participant by hand."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    language = SelectField(_l("Language"), choices=[])
    role = SelectField(_l("Role"), choices=_role_choices)


class ActionForm(FlaskForm):
    """A bare form for POST buttons (CSRF only)."""
