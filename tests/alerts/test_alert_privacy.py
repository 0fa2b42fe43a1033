"""Purging or erasing participants also removes them from the support team's alerts."""

from __future__ import annotations

from sqlmodel import select

from preflight.privacy.alerts import forget_event_people, forget_participant
from preflight.db import session_scope
from preflight.models import Alert, OutboxMessage, Participant


def test_alerts_forget_purged_and_erased_people(app, webhook_receiver, make_event, make_participant, run_check, worker):
    app.config["ALERT_WEBHOOK_URL"] = webhook_receiver.url
    event = make_event(support_email="support@example.org")
    ada, _ = make_participant(event=event, email="ada@example.org", name="Ada")
    bob, _ = make_participant(event=event, email="bob@example.org", name="Bob")
    run_check(ada, "fail")
    run_check(bob, "fail")
    worker()
    with app.app_context(), session_scope() as session:
        assert (
            forget_participant(session, session.get(Participant, ada.id)) == 2
        )  # the digest email and webhook name her
        [alert] = session.exec(select(Alert)).all()
        assert [line["name"] for line in alert.summary["participants"]] == ["Bob"]
    with app.app_context(), session_scope() as session:
        forget_event_people(session, event.id)
        [alert] = session.exec(select(Alert)).all()
        assert "participants" not in alert.summary and alert.item_count == 2  # counts stay for the report
        assert session.exec(select(OutboxMessage)).all() == []
