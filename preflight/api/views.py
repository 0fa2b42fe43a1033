"""API endpoints. Each returns a pydantic model's JSON; errors are ``{"error", "message"}``."""

from __future__ import annotations

from datetime import datetime

from flask import abort, current_app, jsonify, request
from pydantic import BaseModel, ValidationError
from sqlalchemy import select

from ..auth.scope import event_or_404, only_visible
from ..alerts.summary import latest_runs_of
from ..dashboard.status import Filters, Row, attach_results, page, participant_status
from ..dashboard.summary import readiness_summary
from ..db import get_session
from ..help.priority import priority
from ..models import CHECKS, CheckRun, Event, HelpRequest, Participant, StaffUser, utcnow
from . import bp
from .docs import build_spec, operation
from .schemas import (
    CheckCounts,
    CheckProblems,
    Readiness,
    StatusCounts,
    EventList,
    EventOut,
    HelpQuery,
    HelpRequestList,
    HelpRequestOut,
    ParticipantDetail,
    ParticipantOut,
    ParticipantPage,
    ParticipantQuery,
    ResultOut,
    RunOut,
)
from .tokens import token_required


def _query(model: type[BaseModel]):
    try:
        return model.model_validate(request.args.to_dict())
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        response = jsonify(error="Bad Request", message=f"{where}: {first['msg']}")
        response.status_code = 400
        abort(response)


def _json(model: BaseModel, status: int = 200):
    return current_app.response_class(model.model_dump_json(), status=status, mimetype="application/json")


def _event(event_id: int) -> Event:
    """The event or 404 (also when the token's owner is an agent who is not a member of it)."""
    return event_or_404(event_id)


def participant_out(row: Row) -> ParticipantOut:
    """API view of a dashboard row."""
    p, run = row.participant, row.run
    return ParticipantOut(
        id=p.id,
        name=p.name,
        email=p.email,
        role=p.role,
        language=p.language,
        status=row.status,
        handled=row.handled,
        last_run_at=run.updated_at if run else None,
        failing_checks=[r.check for r in row.results if r.verdict == "fail"],
        warning_checks=[r.check for r in row.results if r.verdict == "warn"],
        browser=f"{run.browser_family} {run.browser_version}".strip() if run else "",
        os=f"{run.os_family} {run.os_version}".strip() if run else "",
        network_regressed=bool(row.probe and row.probe.regressed),
        network_worse=list(row.probe.worse) if row.probe else [],
        network_changed=row.probe.changed if row.probe else None,
    )


def help_request_out(
    h: HelpRequest, p: Participant, assignee: StaffUser | None, run: CheckRun | None, event: Event, now: datetime
) -> HelpRequestOut:
    """API view of a help request, prioritised by the participant's current latest run."""
    prio = priority(run.overall if run else None, p.role, now, event.starts_at, event.ends_at)
    return HelpRequestOut(
        id=h.id,
        event_id=h.event_id,
        participant_id=p.id,
        participant_name=p.name,
        participant_email=p.email,
        message=h.message,
        channel=h.channel,
        phone=h.phone,
        language=h.language,
        status=h.status,
        level=h.level,
        assigned_to=assignee.name if assignee else None,
        priority=prio.level,
        priority_score=prio.score,
        created_at=h.created_at,
        updated_at=h.updated_at,
        resolved_at=h.resolved_at,
    )


@bp.get("/openapi.json")
@operation("This document", EventList, public=True)
def openapi():
    """The OpenAPI description (public: it holds no data)."""
    response = jsonify(build_spec(current_app))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/events")
@token_required
@operation("List events", EventList, errors=("401", "403"))
def events():
    """Every event, latest start first."""
    rows = get_session().execute(only_visible(select(Event)).order_by(Event.starts_at.desc()).limit(1000)).scalars()
    return _json(EventList(items=[EventOut.model_validate(e, from_attributes=True) for e in rows]))


@bp.get("/events/<int:event_id>/participants")
@token_required
@operation("List an event's participants with their readiness", ParticipantPage, query=ParticipantQuery)
def participants(event_id: int):
    """Participants with status and failing checks, filtered and paged like the dashboard
    (attention first by default)."""
    event = _event(event_id)
    query = _query(ParticipantQuery)
    filters = Filters(
        status=query.status or "",
        check=query.check or "",
        role=query.role or "",
        q=(query.q or "").strip(),
        sort=query.sort,
        page=query.page,
        network=query.network or "",
    )
    found = page(get_session(), event.id, filters, page_size=query.per_page)
    return _json(
        ParticipantPage(
            items=[participant_out(r) for r in found.rows],
            total=found.total,
            page=found.page,
            pages=found.pages,
            per_page=query.per_page,
        )
    )


@bp.get("/events/<int:event_id>/participants/<int:participant_id>")
@token_required
@operation("One participant's results", ParticipantDetail)
def participant(event_id: int, participant_id: int):
    """The participant's readiness and every run (newest first, at most 100) with raw values and verdicts."""
    session = get_session()
    event = _event(event_id)
    found = session.get(Participant, participant_id)
    if found is None or found.event_id != event.id:
        abort(404)
    runs = list(
        session.execute(
            select(CheckRun).where(CheckRun.participant_id == found.id).order_by(CheckRun.id.desc()).limit(100)
        ).scalars()
    )
    rows = [Row(participant=found, status="", run=run, handled=False) for run in runs]
    attach_results(session, rows)
    out = [
        RunOut(
            id=r.run.id,
            created_at=r.run.created_at,
            updated_at=r.run.updated_at,
            overall=r.run.overall,
            browser_family=r.run.browser_family,
            browser_version=r.run.browser_version,
            os_family=r.run.os_family,
            os_version=r.run.os_version,
            device_type=r.run.device_type,
            untrusted=r.run.untrusted,
            results=[ResultOut.model_validate(x, from_attributes=True) for x in r.results],
        )
        for r in rows
    ]
    return _json(ParticipantDetail(participant=participant_out(participant_status(session, found)), runs=out))


@bp.get("/events/<int:event_id>/help-requests")
@token_required
@operation("An event's help requests", HelpRequestList, query=HelpQuery)
def help_requests(event_id: int):
    """Unresolved requests by priority (severity of failures, time left, role), then resolved ones,
    newest first (at most 500)."""
    session = get_session()
    event = _event(event_id)
    query = _query(HelpQuery)
    stmt = (
        select(HelpRequest, Participant, StaffUser)
        .join(Participant, Participant.id == HelpRequest.participant_id)
        .join(StaffUser, StaffUser.id == HelpRequest.assigned_to_id, isouter=True)
        .where(HelpRequest.event_id == event.id)
    )
    if query.status:
        stmt = stmt.where(HelpRequest.status == query.status)
    rows = session.execute(stmt.order_by(HelpRequest.id.desc()).limit(500)).all()
    latest = latest_runs_of(session, list({p.id for _, p, _ in rows}))
    now = utcnow()
    items = [help_request_out(h, p, assignee, latest.get(p.id), event, now) for h, p, assignee in rows]
    items.sort(
        key=lambda i: (
            i.status == "resolved",
            -i.priority_score if i.status != "resolved" else 0,
            -(i.resolved_at or i.created_at).timestamp(),
        )
    )
    return _json(HelpRequestList(items=items))


@bp.get("/events/<int:event_id>/readiness")
@token_required
@operation("An event's readiness summary", Readiness)
def readiness(event_id: int):
    """Participants per status (from their latest judged run), the share ready, failures and warnings per check,
    open help requests: the figures of the event's dashboard, from the same code."""
    event = _event(event_id)
    found = readiness_summary(get_session(), event.id)
    return _json(
        Readiness(
            event_id=event.id,
            participants=StatusCounts(**found.counts, total=found.total),
            share_ready=found.shares["ready"],
            shares=found.shares,
            checks=CheckCounts(**{check: CheckProblems(**found.failing[check]) for check in CHECKS}),
            open_help_requests=found.open_help,
            computed_at=found.computed_at,
        )
    )
