"""Recording staff actions in the audit log, inside the request's unit of work."""

from __future__ import annotations

from flask import g
from flask_login import current_user

from .db import get_session
from .models import AuditEntry


def record(action: str, target_type: str = "", target_id: int | None = None, detail: str = "") -> None:
    """Add an audit entry for the signed-in staff member (committed with the request)."""
    # A signed-in staff member, or the owner of the API token the request came with.
    user = current_user if getattr(current_user, "is_authenticated", False) else g.get("api_user")
    get_session().add(
        AuditEntry(
            staff_id=user.id if user else None,
            staff_email=user.email if user else "",
            action=action,
            target_type=target_type,
            target_id=target_id,
            detail=detail[:500],
        )
    )
