"""The satisfaction survey after the event: a score from 1 to 5 and an optional comment."""

from __future__ import annotations

from flask import flash, g, redirect, render_template, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlalchemy import select
from wtforms import RadioField, SelectChoice, TextAreaField
from wtforms.validators import DataRequired, Length

from ..db import get_session
from ..extensions import limiter
from ..models import SurveyResponse, utcnow
from . import bp
from .access import link_required
from .views import _public_limit

# i18n: satisfaction scale of the survey, 1 is worst
RATINGS = [
    SelectChoice("1", _l("1 – very poor")),
    SelectChoice("2", _l("2 – poor")),
    SelectChoice("3", _l("3 – fair")),
    SelectChoice("4", _l("4 – good")),
    SelectChoice("5", _l("5 – excellent")),
]


class SurveyForm(FlaskForm):
    """One score, one optional comment."""

    rating = RadioField(
        _l("How satisfied are you with the technical preparation and support?"),
        choices=RATINGS,
        validators=[DataRequired()],
    )
    comment = TextAreaField(_l("Anything we should do better next time? (optional)"), validators=[Length(max=2000)])


@bp.route("/c/<token>/survey", methods=["GET", "POST"])
@limiter.limit(_public_limit)
@link_required
def survey(token: str):
    """Answer (or change an answer) once the event has ended."""
    participant, event = g.participant, g.event
    if utcnow() < event.ends_at:
        return render_template(
            "participant/survey.html", participant=participant, event=event, token=token, form=None, too_early=True
        )
    session = get_session()
    existing = session.execute(
        select(SurveyResponse).where(SurveyResponse.participant_id == participant.id)
    ).scalar_one_or_none()
    form = SurveyForm()
    if not form.is_submitted() and existing is not None:
        form.rating.data, form.comment.data = str(existing.rating), existing.comment
    if form.validate_on_submit():
        response = existing or SurveyResponse(participant_id=participant.id, event_id=event.id, rating=0)
        response.rating = int(form.rating.data)
        response.comment = (form.comment.data or "").strip()
        response.language = str(get_locale())
        response.updated_at = utcnow()
        session.add(response)
        flash(_("Thank you! Your answer was saved."), "success")
        return redirect(url_for("participant.survey", token=token))
    status = 400 if form.errors else 200
    return render_template(
        "participant/survey.html",
        participant=participant,
        event=event,
        token=token,
        form=form,
        answered=existing is not None,
    ), status
