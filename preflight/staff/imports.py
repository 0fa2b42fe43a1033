"""Importing participants: upload, preview with the row report, then confirm.

The parsed rows (never the uploaded file) wait in the ``pending_import`` table
between preview and confirm, named by a random key kept in the staff session,
so every web process sees the same preview and nothing is written to the
participant list until the user confirms; then all rows or none go in unless
"import the valid rows" was chosen. A preview expires after two hours and is
covered by retention and erasure (``preflight/privacy/pending.py``).
"""

from __future__ import annotations

import secrets
from dataclasses import asdict

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from sqlmodel import select

from .. import audit
from ..auth import role_required
from ..db import get_session
from ..i18n import available_locales
from ..importer import ImportFormatError, ImportPreview, ImportRow, parse_registrants
from ..links import issue_link
from ..models import Event, Participant, PendingImport
from ..privacy.pending import is_expired
from . import bp
from .events import STAFF, get_event_or_404
from .forms import ConfirmImportForm, UploadForm
from .import_changes import outcomes
from .import_messages import file_error_message, format_label, row_error_message

_SESSION_KEY = "pending_import"


def _pending(event_id: int) -> PendingImport | None:
    """This staff session's waiting preview for the event, unless it has expired."""
    pending = session.get(_SESSION_KEY)
    if not pending or pending.get("event_id") != event_id:
        return None
    db = get_session()
    stored = db.exec(
        select(PendingImport).where(
            PendingImport.key == str(pending.get("key", "")), PendingImport.event_id == event_id
        )
    ).first()
    if stored is not None and is_expired(stored):
        db.delete(stored)  # an expired preview is asked for again
        return None
    return stored


def _store(event: Event, preview: ImportPreview, filename: str) -> None:
    """Keep the parsed rows (not the file) until the staff member confirms."""
    key = secrets.token_hex(16)
    payload = {"rows": [asdict(row) for row in preview.rows], "errors": len(preview.errors)}
    db = get_session()
    db.add(PendingImport(key=key, event_id=event.id, staff_id=current_user.id, filename=filename, payload=payload))
    db.flush()
    session[_SESSION_KEY] = {"event_id": event.id, "key": key}


def _parse(event: Event, data: bytes, filename: str) -> ImportPreview:
    return parse_registrants(
        data,
        filename,
        known_languages=set(available_locales()),
        default_language=event.default_language,
        default_role=event.default_role,
    )


@bp.route("/events/<int:event_id>/import", methods=["GET", "POST"])
@role_required(*STAFF)
def import_upload(event_id: int):
    """Upload a file and show what was recognised, before anything is stored."""
    event = get_event_or_404(event_id)
    form = UploadForm()
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read(current_app.config["MAX_UPLOAD_BYTES"] + 1)
        filename = (upload.filename or "")[:200]
        try:
            preview = _parse(event, data, filename)
        except ImportFormatError as exc:
            flash(file_error_message(exc.code), "error")
            return render_template("staff/import_upload.html", event=event, form=form), 400
        _store(event, preview, filename)
        return render_template(
            "staff/import_preview.html",
            event=event,
            preview=preview,
            filename=filename,
            outcomes=outcomes(event, preview),
            confirm_form=ConfirmImportForm(),
            format_label=format_label,
            row_error_message=row_error_message,
        )
    return render_template("staff/import_upload.html", event=event, form=form), 400 if form.errors else 200


@bp.post("/events/<int:event_id>/import/confirm")
@role_required(*STAFF)
def import_confirm(event_id: int):
    """Store the previewed rows: all of them, or only the valid ones when asked."""
    event = get_event_or_404(event_id)
    form = ConfirmImportForm()
    if not form.validate_on_submit():
        abort(400)
    pending = _pending(event.id)
    if pending is None:
        flash(_("The uploaded file is no longer available. Please upload it again."), "error")
        return redirect(url_for("staff.import_upload", event_id=event.id))
    filename = pending.filename
    rows = [ImportRow(**row) for row in pending.payload.get("rows", [])]
    error_count = int(pending.payload.get("errors", 0))
    if error_count and not form.valid_only.data:
        flash(
            _(
                "Nothing was imported: the file has rows with errors. Fix them, or choose to import only the valid "
                "rows."
            ),
            "error",
        )
        return redirect(url_for("staff.import_upload", event_id=event.id))
    rows, unticked = _ticked(rows)
    created, updated = apply_import(event, rows)
    audit.record(
        "participants.import",
        "event",
        event.id,
        f"{filename}: {created} added, {updated} updated, {error_count} rows skipped, {unticked} rows unticked",
    )
    get_session().delete(pending)
    session.pop(_SESSION_KEY, None)
    flash(
        ngettext("%(num)d participant added", "%(num)d participants added", created)
        + ", "
        + ngettext("%(num)d updated", "%(num)d updated", updated)
        + ".",
        "success",
    )
    return redirect(url_for("staff.event", event_id=event.id))


def _ticked(rows: list[ImportRow]) -> tuple[list[ImportRow], int]:
    """Keep only the rows ticked in the preview form; also return how many were left out.

    The form marks itself with ``rows_listed`` so that a confirmation without
    the row list (an older page) still imports every row.
    """
    if not request.form.get("rows_listed"):
        return rows, 0
    ticked = {value for value in request.form.getlist("row") if value.isdigit()}
    kept = [row for row in rows if str(row.line) in ticked]
    return kept, len(rows) - len(kept)


def apply_import(event: Event, rows: list[ImportRow]) -> tuple[int, int]:
    """Add new participants (with links) and update known ones; return (created, updated)."""
    db = get_session()
    existing = {p.email: p for p in db.exec(select(Participant).where(Participant.event_id == event.id))}
    created = updated = 0
    for row in rows:
        participant = existing.get(row.email)
        if participant is None:
            participant = Participant(
                event_id=event.id, name=row.name, email=row.email, language=row.language, role=row.role
            )
            issue_link(participant)
            db.add(participant)
            existing[row.email] = participant
            created += 1
        else:
            participant.name = row.name
            # What the file does not carry stays as it is, not the event default.
            if row.language_given:
                participant.language = row.language
            if row.role_given:
                participant.role = row.role
            updated += 1
    db.flush()
    return created, updated
