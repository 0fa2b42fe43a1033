"""The participant's "I need help": a message and how they want to be reached, in their language."""

from __future__ import annotations

import hashlib

from flask import flash, g, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, Regexp

from ..db import get_session
from ..extensions import htmx, limiter
from ..participant.access import link_required
from ..participant.views import _public_limit
from . import bp
from .requests import MAX_UNRESOLVED, create, for_participant, unresolved_count

# i18n: preferred way to be contacted by the support team
CHANNELS = {"email": _l("Email"), "phone": _l("Phone"), "chat": _l("Chat")}


class HelpForm(FlaskForm):
    """What went wrong and how to reach the participant."""

    message = TextAreaField(_l("What is the problem?"), validators=[DataRequired(), Length(max=2000)])
    channel = RadioField(_l("How should we contact you?"), choices=[], default="email")
    phone = StringField(
        _l("Phone number"),
        validators=[
            Optional(),
            Length(max=50),
            Regexp(
                r"^\+?[0-9 ().\-/]{6,}$",
                message=_l("Enter a phone number, digits and spaces, for example +33 1 23 45 67 89."),
            ),
        ],
    )

    def validate(self, extra_validators=None) -> bool:
        ok = super().validate(extra_validators)
        # Optional() stops the phone field's own chain when empty, so "required for phone" is checked here.
        if self.channel.data == "phone" and not (self.phone.data or "").strip():
            self.phone.errors = [*self.phone.errors, _l("Enter the phone number we should call.")]
            return False
        return ok


def _form(event) -> HelpForm:
    form = HelpForm()
    form.channel.choices = [
        SelectChoice(key, label) for key, label in CHANNELS.items() if key != "chat" or event.support_chat_url
    ]
    return form


SHOWN_REQUESTS = 3


@bp.app_template_global("help_requests_for")
def help_requests_for(participant, limit: int = SHOWN_REQUESTS) -> list[dict]:
    """The participant's latest help requests with the replies sent to them (for ``_help_status.html``).

    Read once per request: the check page asks up to three times (where to place the status, the
    status itself, whether to load the poller) and the status poll twice.
    """
    cache = g.setdefault("help_requests", {})
    if participant.id not in cache:
        cache[participant.id] = for_participant(get_session(), participant, SHOWN_REQUESTS)
    return cache[participant.id][:limit]


@bp.app_template_global("help_status_version")
def help_status_version(items: list[dict]) -> str:
    """A short fingerprint of what the status shows: the poll answers 204 while it is unchanged."""
    seen = ";".join(f"{item['request'].id}:{item['request'].status}:{len(item['replies'])}" for item in items)
    return hashlib.sha256(seen.encode()).hexdigest()[:12]


@bp.route("/c/<token>/help", methods=["GET", "POST"])
@limiter.limit(_public_limit)
@link_required
def ask(token: str):
    """Ask the support team for help; the page then shows the request's status."""
    participant, event = g.participant, g.event
    form = _form(event)
    if form.validate_on_submit():
        session = get_session()
        if unresolved_count(session, participant) >= MAX_UNRESOLVED:
            flash(
                _("You already have open requests. Our team will contact you; you can also use the contacts below."),
                "error",
            )
            code = 429
        else:
            create(
                session,
                event,
                participant,
                form.message.data,
                form.channel.data,
                form.phone.data or "",
                str(get_locale()),
            )
            flash(_("Your request was sent. Our support team will contact you."), "success")
            if htmx:
                return (
                    render_template("participant/_help_status.html", participant=participant, event=event, token=token),
                    200,
                    {"Vary": "HX-Request"},
                )
            return redirect(url_for("help.ask", token=token))
    else:
        code = 400 if form.errors else 200
    return (
        render_template("participant/help.html", participant=participant, event=event, token=token, form=form),
        code,
        {"Vary": "HX-Request"},
    )


@bp.get("/c/<token>/help/status")
@limiter.limit(_public_limit)
@link_required
def status(token: str):
    """Only the help status fragment (static/js/help-status.js polls it while a request is open).

    ``?v=`` is the version the page shows: unchanged, the answer is 204 and the script swaps nothing,
    so the region is not read out again and focus stays where it is."""
    if request.args.get("v") and request.args.get("v") == help_status_version(help_requests_for(g.participant)):
        return "", 204, {"Vary": "HX-Request"}
    return (
        render_template(
            "participant/_help_status.html",
            participant=g.participant,
            event=g.event,
            token=token,
            announce_status=True,
        ),
        200,
        {"Vary": "HX-Request"},
    )
