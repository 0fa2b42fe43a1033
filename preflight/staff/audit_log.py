"""The audit log page (admins)."""

from __future__ import annotations

from flask import render_template, request
from sqlalchemy import func
from sqlmodel import select

from ..auth import role_required
from ..db import get_session
from ..models import AuditEntry
from . import bp

PAGE_SIZE = 100


@bp.get("/audit")
@role_required("admin")
def audit_log():
    """Latest staff actions first, paged."""
    session = get_session()
    page = max(request.args.get("page", 1, type=int), 1)
    total = session.exec(select(func.count()).select_from(AuditEntry)).one()
    entries = session.exec(
        select(AuditEntry).order_by(AuditEntry.id.desc()).offset((page - 1) * PAGE_SIZE).limit(PAGE_SIZE)
    ).all()
    pages = max((total + PAGE_SIZE - 1) // PAGE_SIZE, 1)
    return render_template("staff/audit.html", entries=entries, page=page, pages=pages)
