"""Staff account changes without Flask's request: invitations, roles, activation, passwords, emails."""

from __future__ import annotations

from flask import current_app, render_template, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlmodel import Session

from ..auth.passwords import hash_password
from ..mail import build_message, send_message
from ..models import StaffUser
from .tokens import MAX_AGE, make_token

# Never a valid Argon2 hash, so nobody can sign in to an invited account before setting a password.
INVITED = "!invited"


def is_invited(user: StaffUser) -> bool:
    """True until the invited person has set a password."""
    return user.password_hash == INVITED


def find_by_email(session: Session, email: str) -> StaffUser | None:
    """The account with this email (emails are stored lower-case)."""
    return session.execute(select(StaffUser).where(StaffUser.email == email.strip().lower())).scalar_one_or_none()


def invite(session: Session, email: str, name: str, role: str) -> StaffUser:
    """A new account without a password; send it ``send_link(user, "invite")``."""
    user = StaffUser(
        email=email.strip().lower(), name=name.strip() or email.split("@")[0], role=role, password_hash=INVITED
    )
    session.add(user)
    session.flush()
    return user


def set_password(session: Session, user: StaffUser, password: str) -> None:
    """Store a new password; every session and every outstanding link of the account ends."""
    user.password_hash = hash_password(password)
    end_sessions(session, user)


def end_sessions(session: Session, user: StaffUser) -> None:
    """Sign the account out everywhere (the session cookie carries the version)."""
    user.session_version += 1
    session.add(user)


def active_admins(session: Session) -> int:
    """How many active admins can sign in."""
    return session.execute(
        select(func.count())
        .select_from(StaffUser)
        .where(StaffUser.role == "admin", StaffUser.active.is_(True), StaffUser.password_hash != INVITED)
    ).scalar_one()


def link_url(user: StaffUser, purpose: str) -> str:
    """The absolute link to set a password (BASE_URL, like every link in emails)."""
    return current_app.config["BASE_URL"].rstrip("/") + url_for(
        "accounts.set_password", token=make_token(user, purpose)
    )


def send_link(user: StaffUser, purpose: str, inviter: StaffUser | None = None) -> None:
    """Email the invitation or the reset link (in the sender's language); raises ``MailError``."""
    hours = int(MAX_AGE[purpose].total_seconds() // 3600)
    context = {"user": user, "link": link_url(user, purpose), "hours": hours, "days": hours // 24, "inviter": inviter}
    if purpose == "invite":
        # i18n: email subject of a staff invitation
        subject = _("You are invited to Preflight")
    else:
        # i18n: email subject of a password reset
        subject = _("Set a new Preflight password")
    message = build_message(
        user.name,
        user.email,
        subject,
        render_template(f"email/staff_{purpose}.txt", **context),
        render_template(f"email/staff_{purpose}.html", **context),
    )
    send_message(message)
