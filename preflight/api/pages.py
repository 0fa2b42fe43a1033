"""Staff page to create and revoke one's own API tokens (admins see and may revoke everyone's)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length

from .. import audit
from ..auth import fresh_login_required, role_required
from ..db import get_session
from ..models import ApiToken, StaffUser
from .tokens import API_ROLES, create_token, revoke_token

bp = Blueprint("api_tokens", __name__, url_prefix="/staff/api-tokens")

SCOPE_LABELS = {
    # i18n: scope of an API token (chosen when creating it, shown in the token list): it can only read data
    "read": _l("Read only"),
    # i18n: scope of an API token: read data, add and change participants, answer help requests
    "write": _l("Read and write"),
}


class TokenForm(FlaskForm):
    """A label and a scope for the new token."""

    name = StringField(_l("What is it for?"), validators=[DataRequired(), Length(max=100)])
    scope = RadioField(
        # i18n: label of the choice between a read-only and a read and write API token
        _l("What may it do?"),
        choices=[SelectChoice(scope, label) for scope, label in SCOPE_LABELS.items()],
        default="read",
        validators=[DataRequired()],
    )


class RevokeForm(FlaskForm):
    """CSRF only."""


def _listing(form: TokenForm, new_token: str | None = None, status: int = 200):
    stmt = (
        select(ApiToken, StaffUser).join(StaffUser, StaffUser.id == ApiToken.staff_user_id).order_by(ApiToken.id.desc())
    )
    if current_user.role != "admin":
        stmt = stmt.where(ApiToken.staff_user_id == current_user.id)
    rows = get_session().execute(stmt).all()
    return render_template(
        "api/tokens.html",
        rows=rows,
        form=form,
        revoke_form=RevokeForm(),
        new_token=new_token,
        scope_labels=SCOPE_LABELS,
    ), status


@bp.get("/")
@role_required(*API_ROLES)
def index():
    """The staff member's tokens."""
    return _listing(TokenForm(formdata=None))


@bp.post("/")
@role_required(*API_ROLES)
@fresh_login_required
def create():
    """Create a token; it is shown once on the answer page, never again."""
    form = TokenForm()
    if not form.validate_on_submit():
        return _listing(form, status=400)
    row, token = create_token(get_session(), current_user, form.name.data, form.scope.data)
    audit.record("api_token.create", "api_token", row.id, f"{row.name} ({row.scope})")
    flash(_("Token created. Copy it now: it will not be shown again."), "success")
    return _listing(TokenForm(formdata=None), new_token=token)


@bp.post("/<int:token_id>/revoke")
@role_required(*API_ROLES)
def revoke(token_id: int):
    """Revoke one of one's tokens (admins: any token)."""
    if not RevokeForm().validate_on_submit():
        abort(400)
    row = get_session().get(ApiToken, token_id)
    if row is None or (row.staff_user_id != current_user.id and current_user.role != "admin"):
        abort(404)
    revoke_token(row)
    get_session().add(row)
    audit.record("api_token.revoke", "api_token", row.id, row.name)
    flash(_("Token revoked."), "success")
    return redirect(url_for("api_tokens.index"))
