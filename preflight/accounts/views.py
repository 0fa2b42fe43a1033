"""Staff accounts: the admins' list (invite, role, activation, reset link), setting a password from a
link, "forgot your password", and changing one's own password."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user
from sqlalchemy import select

from .. import audit
from ..auth import fresh_login_required, role_required
from ..auth.passwords import verify_password
from ..db import get_session
from ..extensions import limiter
from ..mail import MailError
from ..models import StaffUser
from . import bp
from .forms import ROLE_LABELS, AccountForm, ChangePasswordForm, ForgotForm, InviteForm, SetPasswordForm
from .service import (
    active_admins,
    end_sessions,
    find_by_email,
    invite,
    is_invited,
    send_link,
    set_password as store_password,
)
from .tokens import read_token

EVERYONE = ("admin", "agent", "translator")


def _login_limit() -> str:
    return current_app.config["RATELIMIT_LOGIN"]


def _users_page(form: InviteForm | None = None, status: int = 200):
    users = (
        get_session()
        .execute(select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name, StaffUser.id))
        .scalars()
        .all()
    )
    return render_template(
        "accounts/users.html",
        users=users,
        form=form or InviteForm(formdata=None),
        role_labels=ROLE_LABELS,
        is_invited=is_invited,
    ), status


def _send(user: StaffUser, purpose: str) -> bool:
    try:
        send_link(user, purpose, inviter=current_user if current_user.is_authenticated else None)
    except MailError as exc:
        current_app.logger.warning("staff %s link to %s not sent: %s", purpose, user.email, exc)
        return False
    return True


@bp.get("/users")
@role_required("admin")
def users():
    """Every staff account, and the form to invite a colleague."""
    return _users_page()


@bp.post("/users")
@role_required("admin")
@fresh_login_required
def invite_user():
    """Create the account and email an invitation link to set a password."""
    form = InviteForm()
    if not form.validate_on_submit():
        return _users_page(form, 400)
    session = get_session()
    if find_by_email(session, form.email.data) is not None:
        form.email.errors = [_("This email already has an account.")]
        return _users_page(form, 400)
    user = invite(session, form.email.data, form.name.data, form.role.data)
    audit.record("staff.invite", "staff_user", user.id, f"{user.email} {user.role}")
    if _send(user, "invite"):
        flash(_("Invitation sent to %(email)s.", email=user.email), "success")
    else:
        flash(
            _("The account was created but the invitation email could not be sent. Try “Send the invitation again”."),
            "error",
        )
    return redirect(url_for("accounts.users"))


def _user_or_404(user_id: int) -> StaffUser:
    user = get_session().get(StaffUser, user_id)
    if user is None:
        abort(404)
    return user


@bp.post("/users/<int:user_id>")
@role_required("admin")
@fresh_login_required
def update_user(user_id: int):
    """Change an account's role or activation; deactivating ends its sessions at once."""
    user = _user_or_404(user_id)
    form = AccountForm()
    if not form.validate_on_submit():
        flash(_("Choose a valid role."), "error")
        return _users_page(status=400)
    session = get_session()
    losing_admin = user.role == "admin" and user.active and (form.role.data != "admin" or not form.active.data)
    if losing_admin and active_admins(session) <= 1 and not is_invited(user):
        flash(_("There must stay at least one active administrator."), "error")
        return _users_page(status=409)
    if user.id == current_user.id and not form.active.data:
        flash(_("You cannot deactivate your own account."), "error")
        return _users_page(status=409)
    if form.role.data != user.role:
        audit.record("staff.role", "staff_user", user.id, f"{user.role} -> {form.role.data}")
        user.role = form.role.data
    if bool(form.active.data) != user.active:
        user.active = bool(form.active.data)
        audit.record("staff.activate" if user.active else "staff.deactivate", "staff_user", user.id, user.email)
        end_sessions(session, user)
    session.add(user)
    flash(_("Account saved."), "success")
    return redirect(url_for("accounts.users"))


@bp.post("/users/<int:user_id>/link")
@role_required("admin")
def send_user_link(user_id: int):
    """Email a password reset link (or the invitation again, when no password was set yet)."""
    user = _user_or_404(user_id)
    if not user.active:
        flash(_("Activate the account first."), "error")
        return redirect(url_for("accounts.users"))
    purpose = "invite" if is_invited(user) else "reset"
    audit.record(f"staff.{purpose}_link", "staff_user", user.id, user.email)
    if _send(user, purpose):
        flash(_("Link sent to %(email)s.", email=user.email), "success")
    else:
        flash(_("The email could not be sent. Check the mail settings and try again."), "error")
    return redirect(url_for("accounts.users"))


@bp.route("/password/set/<token>", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def set_password(token: str):
    """Set a password from an invitation or reset link (works once, expires)."""
    session = get_session()
    user = read_token(session, token, "invite") or read_token(session, token, "reset")
    if user is None:
        return render_template("accounts/link_invalid.html"), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        store_password(session, user, form.password.data)
        audit.record("staff.password_set", "staff_user", user.id, user.email)
        flash(_("Your password is set. You can sign in now."), "success")
        return redirect(url_for("auth.login"))
    return render_template(
        "accounts/set_password.html", form=form, user=user, invited=is_invited(user)
    ), 400 if form.errors else 200


@bp.route("/password/forgot", methods=["GET", "POST"])
@limiter.limit(_login_limit, methods=["POST"])
def forgot_password():
    """Email a reset link to an active account; the answer is the same whether the address has one or not."""
    form = ForgotForm()
    if form.validate_on_submit():
        user = find_by_email(get_session(), form.email.data)
        if user is not None and user.active:
            _send(user, "reset")
        flash(
            _(
                "If an account uses this address, we have emailed it a link to set a new password. The link works "
                "once, for one hour."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("accounts/forgot.html", form=form), 400 if form.errors else 200


@bp.route("/account/password", methods=["GET", "POST"])
@role_required(*EVERYONE)
def change_password():
    """Change one's own password; other sessions of the account end, this one stays."""
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(current_user.password_hash, form.current.data):
            form.current.errors = [_("This is not your current password.")]
        else:
            user = current_user._get_current_object()
            store_password(get_session(), user, form.password.data)
            login_user(user)  # the session now carries the new version; every other one is refused
            audit.record("staff.password_change", "staff_user", user.id)
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("accounts.change_password"))
    return render_template("accounts/change_password.html", form=form), 400 if form.errors else 200
