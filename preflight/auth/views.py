"""Sign-in and sign-out routes."""

from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user
from sqlmodel import select

from .. import audit
from ..db import get_session
from ..extensions import limiter
from ..models import StaffUser, utcnow
from ..redirects import safe_next
from . import bp
from .forms import ConfirmForm, LoginForm
from .freshness import mark_confirmed, mark_signed_in
from .passwords import DUMMY_HASH, verify_password


def home_for(user: StaffUser) -> str:
    """Where a staff member lands after signing in."""
    if user.role == "translator":
        return url_for("staff.translator_home")
    return url_for("staff.events")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
def login():
    """Staff sign-in."""
    if current_user.is_authenticated:
        return redirect(home_for(current_user))
    form = LoginForm()
    if form.validate_on_submit():
        email = form.email.data.strip().lower()
        user = get_session().exec(select(StaffUser).where(StaffUser.email == email)).first()
        valid = verify_password(user.password_hash if user else DUMMY_HASH, form.password.data)
        if user is not None and valid and user.active:
            session.clear()
            session.permanent = True
            login_user(user)
            mark_signed_in()
            user.last_login_at = utcnow()
            audit.record("staff.login", "staff_user", user.id)
            return redirect(safe_next(request.args.get("next")) or home_for(user))
        flash(_("Wrong email or password."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout():
    """Sign out (POST only, so it carries a CSRF token), everywhere: a copied cookie stops working too."""
    if current_user.is_authenticated:
        from ..accounts.service import end_sessions  # accounts builds on auth: import at use

        end_sessions(get_session(), current_user._get_current_object())
        audit.record("staff.logout", "staff_user", current_user.id)
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))


@bp.route("/login/confirm", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["RATELIMIT_LOGIN"], methods=["POST"])
@login_required
def confirm():
    """Type the password again before a sensitive action (API tokens, deletions)."""
    form = ConfirmForm()
    if form.validate_on_submit():
        if verify_password(current_user.password_hash, form.password.data):
            mark_confirmed()
            audit.record("staff.reauthenticate", "staff_user", current_user.id)
            return redirect(safe_next(request.args.get("next")) or home_for(current_user))
        flash(_("Wrong password."), "error")
        return render_template("auth/confirm.html", form=form), 401
    return render_template("auth/confirm.html", form=form)
