"""Forms of staff account management."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, SelectChoice, SelectField, StringField, ValidationError
from wtforms.validators import DataRequired, Email, EqualTo, Length

from ..auth.passwords import password_problems

# i18n: staff roles
ROLE_LABELS = {"admin": _l("Administrator"), "agent": _l("Support agent"), "translator": _l("Translator")}
ROLE_CHOICES = [SelectChoice(key, label) for key, label in ROLE_LABELS.items()]
PROBLEMS = {
    # i18n: password policy
    "too_short": _l("Use at least 12 characters."),
    # i18n: password policy
    "too_simple": _l("Mix upper and lower case, or add digits."),
}


def _policy(form, field):
    problems = password_problems(field.data or "")
    if problems:
        raise ValidationError(" ".join(str(PROBLEMS[p]) for p in problems))


class InviteForm(FlaskForm):
    """A colleague's name, email and role."""

    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=200)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
    role = SelectField(_l("Role"), choices=ROLE_CHOICES, default="agent")


class AccountForm(FlaskForm):
    """An admin's changes to one account."""

    role = SelectField(_l("Role"), choices=ROLE_CHOICES)
    active = BooleanField(_l("Active (can sign in)"))


class SetPasswordForm(FlaskForm):
    """A new password, twice (invitation and reset links)."""

    password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200), _policy])
    confirm = PasswordField(
        _l("New password again"),
        validators=[DataRequired(), EqualTo("password", message=_l("The two passwords differ."))],
    )


class ChangePasswordForm(SetPasswordForm):
    """The current password, then the new one twice."""

    current = PasswordField(_l("Current password"), validators=[DataRequired(), Length(max=200)])


class ForgotForm(FlaskForm):
    """The email of the account whose password is forgotten."""

    email = EmailField(_l("Email"), validators=[DataRequired(), Email(), Length(max=254)])
