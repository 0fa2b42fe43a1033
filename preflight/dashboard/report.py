"""The post-event report: readiness before the event, incidents, help requests, satisfaction; page and CSV."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from statistics import median

from flask import Response, render_template
from sqlalchemy import case, distinct, func, select
from sqlmodel import Session

from .. import audit
from ..auth import role_required
from ..db import get_session
from ..models import (
    Alert,
    CheckResult,
    CheckRun,
    Event,
    HelpRequest,
    OutboxMessage,
    Participant,
    SurveyResponse,
    utcnow,
)
from . import bp
from .format import CATEGORIES, CATEGORY_LABELS, STATUS_LABELS
from .status import STATUSES, counts
from .views import STAFF, get_event


@dataclass
class Report:
    """The figures of one event's report."""

    readiness: dict[str, int]
    readiness_at: str  # "start" (counted at the event's start) or "now" (it has not started)
    incidents: dict[str, dict[str, int]]
    help_total: int = 0
    help_by_status: dict[str, int] = field(default_factory=dict)
    help_by_level: dict[str, int] = field(default_factory=dict)
    resolution_minutes_median: float | None = None
    resolution_minutes_mean: float | None = None
    survey_sent: int = 0
    survey_count: int = 0
    survey_average: float | None = None
    survey_distribution: dict[int, int] = field(default_factory=dict)
    comments: list[tuple[int, str]] = field(default_factory=list)
    digests: int = 0
    mass_alerts: int = 0


def incidents(session: Session, event_id: int) -> dict[str, dict[str, int]]:
    """Failing check results of every run, by category: how many failures and how many participants."""
    category = case(*[(CheckResult.check == check, cat) for check, cat in CATEGORIES.items()], else_="other")
    stmt = (
        select(category, func.count(), func.count(distinct(CheckRun.participant_id)))
        .select_from(CheckResult)
        .join(CheckRun, CheckRun.id == CheckResult.run_id)
        .join(Participant, Participant.id == CheckRun.participant_id)
        .where(Participant.event_id == event_id, CheckResult.verdict == "fail")
        .group_by(category)
    )
    found = {cat: {"failures": int(n), "participants": int(p)} for cat, n, p in session.execute(stmt)}
    return {cat: found.get(cat, {"failures": 0, "participants": 0}) for cat in ("audio", "video", "network", "browser")}


def build(session: Session, event: Event) -> Report:
    """Compute the report's figures (a handful of grouped queries)."""
    started = utcnow() >= event.starts_at
    report = Report(
        readiness=counts(session, event.id, before=event.starts_at if started else None),
        readiness_at="start" if started else "now",
        incidents=incidents(session, event.id),
    )
    help_rows = session.execute(
        select(HelpRequest.status, HelpRequest.level, HelpRequest.created_at, HelpRequest.resolved_at).where(
            HelpRequest.event_id == event.id
        )
    ).all()
    report.help_total = len(help_rows)
    report.help_by_status = {s: sum(1 for r in help_rows if r[0] == s) for s in ("open", "in_progress", "resolved")}
    report.help_by_level = {lvl: sum(1 for r in help_rows if r[1] == lvl) for lvl in ("L1", "L2", "expert")}
    durations = [(r[3] - r[2]).total_seconds() / 60 for r in help_rows if r[0] == "resolved" and r[3] is not None]
    if durations:
        report.resolution_minutes_median = round(median(durations), 1)
        report.resolution_minutes_mean = round(sum(durations) / len(durations), 1)
    ratings = dict(
        session.execute(
            select(SurveyResponse.rating, func.count())
            .where(SurveyResponse.event_id == event.id)
            .group_by(SurveyResponse.rating)
        ).all()
    )
    report.survey_distribution = {score: int(ratings.get(score, 0)) for score in range(1, 6)}
    report.survey_count = sum(report.survey_distribution.values())
    if report.survey_count:
        report.survey_average = round(
            sum(s * n for s, n in report.survey_distribution.items()) / report.survey_count, 2
        )
    report.survey_sent = session.execute(
        select(func.count())
        .select_from(OutboxMessage)
        .where(OutboxMessage.event_id == event.id, OutboxMessage.kind == "survey", OutboxMessage.status == "sent")
    ).scalar_one()
    report.comments = [
        (r, c)
        for r, c in session.execute(
            select(SurveyResponse.rating, SurveyResponse.comment)
            .where(SurveyResponse.event_id == event.id, SurveyResponse.comment != "")
            .order_by(SurveyResponse.id.desc())
            .limit(100)
        )
    ]
    alerts = dict(
        session.execute(
            select(Alert.kind, func.count())
            .where(Alert.event_id == event.id, Alert.item_count > 0)
            .group_by(Alert.kind)
        ).all()
    )
    report.digests, report.mass_alerts = int(alerts.get("digest", 0)), int(alerts.get("mass", 0))
    return report


@bp.get("/report")
@role_required(*STAFF)
def report(event_id: int):
    """The report page."""
    event = get_event(event_id)
    figures = build(get_session(), event)
    total = sum(figures.readiness.values())
    return render_template(
        "dashboard/report.html",
        event=event,
        report=figures,
        total=total,
        statuses=STATUSES,
        status_labels=STATUS_LABELS,
        category_labels=CATEGORY_LABELS,
    )


def rows(report: Report) -> list[tuple[str, str, object]]:
    """(section, metric, value) lines of the CSV."""
    out: list[tuple[str, str, object]] = []
    total = sum(report.readiness.values())
    for status in STATUSES:
        n = report.readiness[status]
        out += [
            ("readiness_" + report.readiness_at, status, n),
            ("readiness_" + report.readiness_at, status + "_share", round(n / total, 3) if total else 0),
        ]
    for category, figures in report.incidents.items():
        out += [
            ("incidents", f"{category}_failures", figures["failures"]),
            ("incidents", f"{category}_participants", figures["participants"]),
        ]
    out.append(("help", "total", report.help_total))
    out += [("help", f"status_{k}", v) for k, v in report.help_by_status.items()]
    out += [("help", f"level_{k}", v) for k, v in report.help_by_level.items()]
    out += [
        (
            "help",
            "resolution_minutes_median",
            report.resolution_minutes_median if report.resolution_minutes_median is not None else "",
        ),
        (
            "help",
            "resolution_minutes_mean",
            report.resolution_minutes_mean if report.resolution_minutes_mean is not None else "",
        ),
    ]
    out += [
        ("survey", "sent", report.survey_sent),
        ("survey", "answers", report.survey_count),
        ("survey", "average", report.survey_average if report.survey_average is not None else ""),
    ]
    out += [("survey", f"rating_{k}", v) for k, v in report.survey_distribution.items()]
    out += [("alerts", "digests", report.digests), ("alerts", "mass_alerts", report.mass_alerts)]
    return out


@bp.get("/report.csv")
@role_required(*STAFF)
def report_csv(event_id: int):
    """The report's figures as CSV."""
    event = get_event(event_id)
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(["section", "metric", "value"])
    writer.writerows(rows(build(get_session(), event)))
    audit.record("report.export", "event", event.id, "report CSV")
    filename = f"preflight-event-{event.id}-report.csv"
    return Response(
        out.getvalue(), mimetype="text/csv", headers={"Content-Disposition": f'attachment; filename="{filename}"'}
    )
