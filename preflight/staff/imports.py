"""Importing participants: upload, preview with the row report, then confirm.

The uploaded bytes wait in ``instance/uploads/`` between preview and confirm
(named by a random key kept in the staff session), so nothing is written to
the database until the user confirms, and then all rows or none go in unless
"import the valid rows" was chosen. A waiting file expires after two hours and is
covered by retention and erasure (``preflight/privacy/uploads.py``).
"""

from __future__ import annotations

import secrets
from pathlib import Path

from flask import abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlmodel import select

from .. import audit
from ..auth import role_required
from ..db import get_session
from ..i18n import available_locales
from ..importer import ImportFormatError, ImportPreview, parse_registrants
from ..links import issue_link
from ..models import Event, Participant
from ..privacy.uploads import is_expired, upload_dir
from . import bp
from .events import STAFF, get_event_or_404
from .forms import ConfirmImportForm, UploadForm
from .import_changes import outcomes
from .import_messages import file_error_message, format_label, row_error_message

_SESSION_KEY = "pending_import"


def _upload_dir() -> Path:
    return upload_dir()


def _pending(event_id: int) -> tuple[Path, str] | None:
    pending = session.get(_SESSION_KEY)
    if not pending or pending.get("event_id") != event_id:
        return None
    key = pending.get("key", "")
    if not key.isalnum():
        return None
    path = _upload_dir() / f"{key}.bin"
    if path.exists() and is_expired(path):
        path.unlink(missing_ok=True)  # an expired preview is asked for again
    return (path, pending.get("filename", "")) if path.exists() else None


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
        key = secrets.token_hex(16)
        (_upload_dir() / f"{key}.bin").write_bytes(data)
        session[_SESSION_KEY] = {"event_id": event.id, "key": key, "filename": filename}
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
    path, filename = pending
    try:
        preview = _parse(event, path.read_bytes(), filename)
    except ImportFormatError as exc:
        flash(file_error_message(exc.code), "error")
        return redirect(url_for("staff.import_upload", event_id=event.id))
    if preview.errors and not form.valid_only.data:
        flash(
            _(
                "Nothing was imported: the file has rows with errors. Fix them, or choose to import only the valid "
                "rows."
            ),
            "error",
        )
        return redirect(url_for("staff.import_upload", event_id=event.id))
    unticked = _drop_unticked(preview)
    created, updated = apply_import(event, preview)
    audit.record(
        "participants.import",
        "event",
        event.id,
        f"{filename}: {created} added, {updated} updated, {len(preview.errors)} rows skipped, {unticked} rows unticked",
    )
    path.unlink(missing_ok=True)
    session.pop(_SESSION_KEY, None)
    flash(
        ngettext("%(num)d participant added", "%(num)d participants added", created)
        + ", "
        + ngettext("%(num)d updated", "%(num)d updated", updated)
        + ".",
        "success",
    )
    return redirect(url_for("staff.event", event_id=event.id))


def _drop_unticked(preview: ImportPreview) -> int:
    """Keep only the rows ticked in the preview form; return how many were left out.

    The form marks itself with ``rows_listed`` so that a confirmation without
    the row list (an older page) still imports every row.
    """
    if not request.form.get("rows_listed"):
        return 0
    ticked = {value for value in request.form.getlist("row") if value.isdigit()}
    kept = [row for row in preview.rows if str(row.line) in ticked]
    unticked = len(preview.rows) - len(kept)
    preview.rows = kept
    return unticked


def apply_import(event: Event, preview: ImportPreview) -> tuple[int, int]:
    """Add new participants (with links) and update known ones; return (created, updated)."""
    db = get_session()
    existing = {p.email: p for p in db.exec(select(Participant).where(Participant.event_id == event.id))}
    created = updated = 0
    for row in preview.rows:
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
