"""Which agents work on an event: admins assign them on the event page (audited)."""

from __future__ import annotations

from flask import abort, flash, redirect, request, url_for
from flask_babel import gettext as _
from sqlalchemy import delete
from sqlmodel import Session, select

from .. import audit
from ..auth import role_required
from ..auth.scope import add_member
from ..db import get_session
from ..models import EventMember, StaffUser
from . import bp
from .events import get_event_or_404
from .forms import ActionForm


def agents_with_membership(session: Session, event_id: int) -> list[tuple[StaffUser, bool]]:
    """Every active agent, and whether they work on the event."""
    members = set(session.exec(select(EventMember.staff_user_id).where(EventMember.event_id == event_id)))
    agents = session.exec(
        select(StaffUser).where(StaffUser.role == "agent", StaffUser.active.is_(True)).order_by(StaffUser.name)
    )
    return [(agent, agent.id in members) for agent in agents]


@bp.post("/events/<int:event_id>/members")
@role_required("admin")
def set_members(event_id: int):
    """Replace the event's agents with the ticked ones."""
    event = get_event_or_404(event_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    session = get_session()
    wanted = {int(v) for v in request.form.getlist("agent") if v.isdigit()}
    current = {agent.id for agent, member in agents_with_membership(session, event.id) if member}
    known = {agent.id: agent for agent, _member in agents_with_membership(session, event.id)}
    for agent_id in sorted((wanted - current) & set(known)):
        add_member(session, event.id, agent_id)
        audit.record("event.member_add", "event", event.id, known[agent_id].email)
    for agent_id in sorted(current - wanted):
        session.exec(delete(EventMember).where(EventMember.event_id == event.id, EventMember.staff_user_id == agent_id))
        audit.record("event.member_remove", "event", event.id, known[agent_id].email)
    flash(_("Agents for this event saved."), "success")
    return redirect(url_for("staff.event", event_id=event.id) + "#agents")
