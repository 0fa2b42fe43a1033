"""Latency alerts: many participants with a long round trip at once.

A long round trip seldom fails one person's check (it warns), but when several participants of
one event measure it within a short time, the cause is usually shared (a congested regional link,
a VPN the organisation imposes, a media server far from the audience) and worth a look before the
event. Per event: when at least ``latency_alert_participants`` distinct participants whose latest
network result within the last ``latency_alert_minutes`` has a round trip above
``latency_alert_ms``, one alert goes out; the event then stays quiet for one window. Counting
participants by their latest result, not runs, means one link re-running cannot fake it, and a
participant who fixed their connection stops counting.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from statistics import median

from sqlalchemy import select
from sqlmodel import Session

from ..db import session_scope
from ..models import Alert, CheckResult, CheckRun, Event, Participant
from ..results.values import metrics
from .links import absolute
from .notify import notify_team
from .outbox import insert_ignore
from .summary import event_info

KIND = "latency"


def slow_participants(session: Session, event: Event, now: datetime) -> dict[int, float]:
    """participant id -> round trip (ms) of their latest network result in the event's window, when
    it is above the event's threshold."""
    since = now - timedelta(minutes=event.latency_alert_minutes)
    rows = session.execute(
        select(CheckRun.participant_id, CheckResult.values)
        .select_from(CheckResult)
        .join(CheckRun, CheckRun.id == CheckResult.run_id)
        .join(Participant, Participant.id == CheckRun.participant_id)
        .where(Participant.event_id == event.id, CheckResult.check == "network", CheckRun.created_at >= since)
        .order_by(CheckRun.created_at, CheckRun.id)
    ).all()
    latest: dict[int, float | None] = {}
    for participant_id, values in rows:
        rtt = metrics(values).get("rtt_ms")
        latest[participant_id] = rtt if isinstance(rtt, (int, float)) and not isinstance(rtt, bool) else None
    return {pid: float(rtt) for pid, rtt in latest.items() if rtt is not None and rtt > event.latency_alert_ms}


def _recent_alert(session: Session, event: Event, now: datetime) -> bool:
    window = timedelta(minutes=event.latency_alert_minutes)
    found = session.execute(
        select(Alert.id).where(Alert.event_id == event.id, Alert.kind == KIND, Alert.created_at > now - window)
    ).first()
    return found is not None


def _summary(event: Event, slow: dict[int, float]) -> dict:
    return {
        "kind": KIND,
        "event": event_info(event),
        "threshold_ms": event.latency_alert_ms,
        "participants": len(slow),
        "median_ms": round(median(slow.values())),
        "worst_ms": round(max(slow.values())),
        "window_minutes": event.latency_alert_minutes,
        "dashboard_url": absolute("dashboard.event", event_id=event.id, check="network"),
        "playbook_url": absolute("playbook.show", slug="platform-outage"),
    }


def check_latency_alerts(now: datetime) -> int:
    """Fire the latency alerts due now; returns how many fired."""
    fired = 0
    with session_scope() as session:
        events = session.execute(select(Event).where(Event.latency_alert_participants > 0)).scalars().all()
        for event in events:
            slow = slow_participants(session, event, now)
            if len(slow) < event.latency_alert_participants or _recent_alert(session, event, now):
                continue
            window_seconds = max(event.latency_alert_minutes, 1) * 60
            # One per event and window number: two workers racing here insert the same key once.
            key = f"rtt:{int(now.timestamp() // window_seconds)}"
            summary = _summary(event, slow)
            alert = Alert(
                event_id=event.id, kind=KIND, dedupe_key=key, item_count=len(slow), summary=summary, created_at=now
            )
            if not insert_ignore(session, alert, "event_id", "kind", "dedupe_key"):
                continue
            alert_id = session.execute(
                select(Alert.id).where(Alert.event_id == event.id, Alert.kind == KIND, Alert.dedupe_key == key)
            ).scalar_one()
            notify_team(session, event, f"alert:{alert_id}", "latency_alert", summary)
            fired += 1
    return fired
