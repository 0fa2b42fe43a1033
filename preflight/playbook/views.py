"""Playbook pages: list, read, edit (admins and agents)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from ..auth import role_required
from ..db import get_session
from . import bp
from .pages import MAX_CHARS, SLUGS, history, load, parse, save
from .render import render_markdown

STAFF = ("admin", "agent")


class PlaybookForm(FlaskForm):
    """The page's Markdown source, front matter included."""

    source = TextAreaField(_l("Markdown"), validators=[DataRequired(), Length(max=MAX_CHARS)])

    def validate_source(self, field):
        try:
            parse("page", field.data or "")
        except ValueError as exc:
            raise ValidationError(
                _l("The header between the --- lines cannot be read: %(error)s", error=str(exc))
            ) from None


def _page_or_404(slug: str):
    page = load(get_session(), slug)
    if page is None:
        abort(404)
    return page


@bp.get("/")
@role_required(*STAFF)
def index():
    """Every playbook page."""
    session = get_session()
    return render_template("playbook/index.html", pages=[load(session, slug) for slug in SLUGS])


@bp.get("/<slug>")
@role_required(*STAFF)
def show(slug: str):
    """One page, rendered."""
    page = _page_or_404(slug)
    return render_template(
        "playbook/page.html", page=page, html=render_markdown(page.body), revisions=history(get_session(), slug)
    )


@bp.route("/<slug>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(slug: str):
    """Edit a page's Markdown; every save is kept as a revision."""
    page = _page_or_404(slug)
    form = PlaybookForm()
    if request.method == "GET":
        form.source.data = page.source
    if form.validate_on_submit():
        source = form.source.data.replace("\r\n", "\n")
        if source == page.source:
            flash(_("No changes."), "success")
        else:
            save(get_session(), slug, source, current_user)
            flash(_("Playbook page saved."), "success")
        return redirect(url_for("playbook.show", slug=slug))
    preview = (
        render_markdown(parse(slug, form.source.data)[1])
        if form.errors.get("source") is None and form.source.data
        else ""
    )
    return render_template("playbook/edit.html", page=page, form=form, preview=preview), 400 if form.errors else 200
