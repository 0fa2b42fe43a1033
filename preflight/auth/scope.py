"""Which events a staff member may see: admins every event, agents the events they are members of.

One place for the rule, used by every event-scoped view (HTML and API) through ``event_or_404``
and by every list of events or of event data through ``visible_event_ids``. A non-member gets the
same 404 as for an event that does not exist: event ids are not secrets, but names and contents are.
"""

from __future__ import annotations

from flask import abort, g
from flask_login import current_user
from sqlmodel import Session, select

from ..db import get_session
from ..models import Event, EventMember, StaffUser


def acting_user() -> StaffUser | None:
    """The signed-in staff member, or the owner of the request's API token."""
    if getattr(current_user, "is_authenticated", False):
        return current_user
    return g.get("api_user")


def visible_event_ids(session: Session, user: StaffUser | None) -> set[int] | None:
    """The ids of the events ``user`` may see; None means every event (admins)."""
    if user is not None and user.role == "admin":
        return None
    if user is None:
        return set()
    return set(session.exec(select(EventMember.event_id).where(EventMember.staff_user_id == user.id)))


def may_see(session: Session, user: StaffUser | None, event_id: int) -> bool:
    """Whether ``user`` may see the event."""
    ids = visible_event_ids(session, user)
    return ids is None or event_id in ids


def event_or_404(event_id: int) -> Event:
    """The event if it exists and the acting user may see it; 404 otherwise."""
    session = get_session()
    event = session.get(Event, event_id)
    if event is None or not may_see(session, acting_user(), event.id):
        abort(404)
    return event


def only_visible(stmt, column=Event.id):
    """``stmt`` restricted to the acting user's events (``column`` holds the event id)."""
    ids = visible_event_ids(get_session(), acting_user())
    return stmt if ids is None else stmt.where(column.in_(ids or {-1}))


def add_member(session: Session, event_id: int, user_id: int) -> None:
    """Make ``user_id`` a member of the event (idempotent)."""
    exists = session.exec(
        select(EventMember).where(EventMember.event_id == event_id, EventMember.staff_user_id == user_id)
    ).first()
    if exists is None:
        session.add(EventMember(event_id=event_id, staff_user_id=user_id))
