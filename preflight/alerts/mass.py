"""Mass alerts: many runs failing the same check at once usually share one cause.

Over the last ``MASS_ALERT_WINDOW_MINUTES``, for each event and check: when at
least ``MASS_ALERT_MIN_RUNS`` distinct participants were judged on it and the share
of them whose latest result fails reaches ``MASS_ALERT_SHARE``, one mass alert goes
out; the same event and check then stay quiet for one window. Counting participants,
not runs, means one link re-running a failing check cannot fake a mass failure.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import current_app
from sqlalchemy import select
from sqlmodel import Session

from ..dashboard.format import playbook_slug
from ..db import session_scope
from ..models import Alert, CheckResult, CheckRun, Event, Participant
from .links import absolute
from .notify import notify_team
from .outbox import insert_ignore
from .summary import event_info


def shares(session: Session, since: datetime) -> list[tuple[int, str, int, int]]:
    """(event_id, check, participants, participants failing) for runs started since ``since``.

    Each participant counts once per check, with the verdict of their latest run in the window.
    """
    stmt = (
        select(Participant.event_id, CheckResult.check, CheckRun.participant_id, CheckResult.verdict)
        .select_from(CheckResult)
        .join(CheckRun, CheckRun.id == CheckResult.run_id)
        .join(Participant, Participant.id == CheckRun.participant_id)
        .where(CheckRun.created_at >= since)
        .order_by(CheckRun.created_at, CheckRun.id)
    )
    latest: dict[tuple[int, str, int], str] = {}
    for event_id, check, participant_id, verdict in session.execute(stmt).all():
        latest[(event_id, check, participant_id)] = verdict  # later runs overwrite earlier ones
    counts: dict[tuple[int, str], list[int]] = {}
    for (event_id, check, _participant), verdict in latest.items():
        total_failing = counts.setdefault((event_id, check), [0, 0])
        total_failing[0] += 1
        total_failing[1] += verdict == "fail"
    return [(e, c, n, f) for (e, c), (n, f) in counts.items()]


def check_mass_alerts(now: datetime) -> int:
    """Fire the mass alerts due now; returns how many fired."""
    config = current_app.config
    minutes = int(config["MASS_ALERT_WINDOW_MINUTES"])
    window = timedelta(minutes=minutes)
    fired = 0
    with session_scope() as session:
        for event_id, check, participants, failing in shares(session, now - window):
            if participants < int(config["MASS_ALERT_MIN_RUNS"]) or failing / participants < float(
                config["MASS_ALERT_SHARE"]
            ):
                continue
            recent = session.execute(
                select(Alert.id).where(
                    Alert.event_id == event_id,
                    Alert.kind == "mass",
                    Alert.check == check,
                    Alert.created_at > now - window,
                )
            ).first()
            if recent is not None:
                continue
            # One per check and window number: two workers racing here insert the same key once.
            key = f"{check}:{int(now.timestamp() // window.total_seconds())}"
            event = session.get(Event, event_id)
            summary = {
                "kind": "mass",
                "event": event_info(event),
                "check": check,
                "share": round(failing / participants, 3),
                "failing": failing,
                "judged": participants,
                "window_minutes": minutes,
                "dashboard_url": absolute("dashboard.event", event_id=event_id, check=check, status="not_ready"),
                "playbook_url": absolute("playbook.show", slug="platform-outage"),
                "check_playbook_url": absolute("playbook.show", slug=playbook_slug(check)),
            }
            if not insert_ignore(
                session,
                Alert(
                    event_id=event_id,
                    kind="mass",
                    dedupe_key=key,
                    check=check,
                    item_count=failing,
                    summary=summary,
                    created_at=now,
                ),
                "event_id",
                "kind",
                "dedupe_key",
            ):
                continue
            alert_id = session.execute(
                select(Alert.id).where(Alert.event_id == event_id, Alert.kind == "mass", Alert.dedupe_key == key)
            ).scalar_one()
            notify_team(session, event, f"alert:{alert_id}", "mass_alert", summary)
            fired += 1
    return fired
