"""Alerts reach a real SMTP server and a real HTTP receiver on loopback; digests, mass alerts, outbox retries."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from participant_runs import SAFARI, post_run
from sqlmodel import select

from preflight.alerts.outbox import claim, enqueue, record
from preflight.db import session_scope
from preflight.models import Alert, AlertItem, OutboxMessage, utcnow
from support_factories import SMTPSink, ago, free_port


@pytest.fixture
def alert_config(app_config, webhook_receiver):
    """Fast digests and a configured default webhook (the receiver)."""
    app_config.update(ALERT_DIGEST_MINUTES=15, ALERT_WEBHOOK_URL=webhook_receiver.url, OUTBOX_RETRY_SECONDS=0)
    return app_config


def _outbox(app, **where):
    with app.app_context(), session_scope() as session:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        for key, value in where.items():
            stmt = stmt.where(getattr(OutboxMessage, key) == value)
        return list(session.exec(stmt))


def _age_alerts(app, minutes):
    """Pretend the previous digests were sent ``minutes`` ago."""
    with app.app_context(), session_scope() as session:
        for alert in session.exec(select(Alert)):
            alert.created_at = alert.created_at - timedelta(minutes=minutes)
            session.add(alert)


def test_failing_run_reaches_support_email_and_webhook(
    alert_config, smtp_server, webhook_receiver, app, client, make_event, make_participant, worker
):
    """A run posted by the participant page (real judging and store) reaches email and webhook in plain words."""
    event = make_event(name="Quarterly update", support_email="support@example.org")
    p, token = make_participant(event=event, name="Ada Lovelace", email="ada@example.org", role="presenter")
    post_run(app, client, p, token, ua=SAFARI, camera="denied", network={"up": 300, "down": 32000, "rtt": 40})
    report = worker()
    assert (report.digests, report.sent, report.failed) == (1, 2, 0)

    [mail] = smtp_server.messages
    assert mail["To"].addresses[0].addr_spec == "support@example.org"
    assert "1 participant not ready: Quarterly update" in mail["Subject"]
    text = mail.get_body(("plain",)).get_content()
    assert "Ada Lovelace" in text and "ada@example.org" in text and "Safari 17" in text
    assert "- Camera permission denied [Fail]" in text and "camera_denied" not in text  # words, not codes
    assert "32 Mbit/s down, 0.3 up, 40 ms" in text  # the measured figures, with units
    assert "raw" not in text and "metrics" not in text  # no dump of the stored structure
    assert f"http://localhost/staff/events/{event.id}/dashboard/participants/{p.id}" in text

    [post] = webhook_receiver.posts
    assert post["text"] == "1 participant not ready: Quarterly update" and post["blocks"][0]["type"] == "header"
    assert "Ada Lovelace" in str(post["blocks"][1])  # the facts: one per participant
    line = post["preflight"]["participants"][0]
    assert line["name"] == "Ada Lovelace" and line["url"].endswith(f"/dashboard/participants/{p.id}")
    failing = {c["check"]: c for c in line["checks"]}
    assert (
        failing["network"]["values"]["metrics"]["upload_kbps"] == 300 and failing["camera"]["reason"] == "camera_denied"
    )
    assert failing["camera"]["playbook"].endswith("/staff/playbook/black-camera")
    assert webhook_receiver.headers[0]["Idempotency-Key"].startswith("alert:")

    assert worker().sent == 0  # nothing is sent twice


def test_a_real_failing_post_is_alerted(
    alert_config, smtp_server, webhook_receiver, client, make_event, make_participant, worker
):
    event = make_event(support_email="support@example.org")
    p, token = make_participant(event=event, name="Bob Speaker")
    response = client.post(
        f"/c/{token}/results", json={"run_id": "run-0001-abc", "checks": {"speakers": {"answer": "no", "played": True}}}
    )
    assert response.status_code == 200, response.data
    assert response.get_json()["overall"]["verdict"] == "fail"
    client.post(
        f"/c/{token}/results", json={"run_id": "run-0001-abc", "checks": {"speakers": {"answer": "no", "played": True}}}
    )  # retried post
    worker()
    assert len(smtp_server.messages) == 1 and len(webhook_receiver.posts) == 1
    assert "Speakers: Did not hear the test sound" in smtp_server.messages[0].get_body(("plain",)).get_content()


def test_failures_are_batched_into_one_digest_per_interval(
    alert_config, webhook_receiver, app, make_event, make_participant, run_check, worker
):
    event = make_event(support_email="")  # webhook only
    first, _ = make_participant(event=event, name="First")
    run_check(first, "fail")
    worker()
    assert len(webhook_receiver.posts) == 1  # the first failure after a quiet period goes out at once
    for n in range(5):
        p, _ = make_participant(event=event, name=f"Later {n}")
        run_check(p, "fail")
    assert worker().digests == 0 and len(webhook_receiver.posts) == 1  # within the interval: held back
    _age_alerts(app, 16)
    assert worker().digests == 1
    assert len(webhook_receiver.posts) == 2
    second = webhook_receiver.posts[1]["preflight"]
    assert second["count"] == 5 and sorted(line["name"] for line in second["participants"]) == [
        f"Later {n}" for n in range(5)
    ]


def test_digest_leaves_out_who_fixed_it_meanwhile(
    alert_config, webhook_receiver, app, make_event, make_participant, run_check, worker
):
    event = make_event(support_email="")
    fixed, _ = make_participant(event=event, name="Fixed")
    still, _ = make_participant(event=event, name="Still failing")
    run_check(fixed, "fail", at=ago(minutes=3))
    run_check(still, "fail", at=ago(minutes=3))
    run_check(fixed, "pass")  # re-ran and passed before the digest was built
    worker()
    [post] = webhook_receiver.posts
    assert [line["name"] for line in post["preflight"]["participants"]] == ["Still failing"]
    fixed_only = make_event(support_email="", name="All fixed")
    p, _ = make_participant(event=fixed_only)
    run_check(p, "fail", at=ago(minutes=3))
    run_check(p, "pass")
    worker()
    assert len(webhook_receiver.posts) == 1  # nothing to say: no empty digest
    with app.app_context(), session_scope() as session:
        assert session.exec(select(AlertItem).where(AlertItem.alert_id.is_(None))).all() == []


def test_mass_alert_fires_once_when_many_fail_the_same_check(
    alert_config, webhook_receiver, app, make_event, make_participant, run_check, worker
):
    app.config.update(MASS_ALERT_MIN_RUNS=10, MASS_ALERT_SHARE=0.3, MASS_ALERT_WINDOW_MINUTES=30)
    event = make_event(support_email="")
    people = [make_participant(event=event)[0] for _ in range(10)]
    for p in people[:2]:
        run_check(p, "fail", checks={"network": "fail"})
    for p in people[2:9]:
        run_check(p, "pass", checks={"network": "pass"})
    assert worker().mass_alerts == 0  # 9 participants: below the minimum
    run_check(people[9], "pass", checks={"network": "pass"}, at=ago(minutes=2))
    assert worker().mass_alerts == 0  # 2 of 10 fail: 20 % < 30 %
    run_check(people[9], "fail", checks={"network": "fail"}, at=ago(minutes=1))  # their latest result now fails
    run_check(people[8], "fail", checks={"network": "fail"})
    report = worker()  # 4 of 10 participants fail the network: 40 %
    assert report.mass_alerts == 1
    [post] = [p for p in webhook_receiver.posts if p["preflight"]["kind"] == "mass"]
    assert (
        post["preflight"]["check"] == "network"
        and post["preflight"]["failing"] == 4
        and post["preflight"]["judged"] == 10
    )
    assert post["preflight"]["playbook_url"].endswith("/staff/playbook/platform-outage")
    assert "Mass failure on Network" in post["text"]
    run_check(people[0], "fail", checks={"network": "fail"})
    assert worker().mass_alerts == 0  # one per check and window
    # old runs fall out of the window
    app.config["MASS_ALERT_WINDOW_MINUTES"] = 0
    assert worker().mass_alerts == 0


def test_one_participant_rerunning_a_failing_check_cannot_fake_a_mass_alert(
    alert_config, webhook_receiver, app, make_event, make_participant, run_check, worker
):
    """Twenty failing runs from one link and nine passing participants: 1 of 10 fail, no mass alert."""
    app.config.update(MASS_ALERT_MIN_RUNS=10, MASS_ALERT_SHARE=0.3, MASS_ALERT_WINDOW_MINUTES=30)
    event = make_event(support_email="")
    for _ in range(9):
        run_check(make_participant(event=event)[0], "pass", checks={"network": "pass"})
    noisy, _ = make_participant(event=event)
    for minute in range(20):
        run_check(noisy, "fail", checks={"network": "fail"}, at=ago(minutes=20 - minute))
    assert worker().mass_alerts == 0
    assert not [p for p in webhook_receiver.posts if p["preflight"]["kind"] == "mass"]


def test_outbox_retries_while_receivers_are_down_then_delivers_exactly_once(
    app, offline_receiver, make_event, make_participant, run_check, worker
):
    smtp_port = free_port()
    app.config.update(
        ALERT_WEBHOOK_URL=offline_receiver.url,
        SMTP_HOST="127.0.0.1",
        SMTP_PORT=smtp_port,
        SMTP_TIMEOUT=2,
        OUTBOX_RETRY_SECONDS=60,
    )
    event = make_event(support_email="support@example.org")
    p, _ = make_participant(event=event)
    run_check(p, "fail")
    report = worker()
    assert (report.sent, report.failed) == (0, 2)
    messages = _outbox(app)
    assert [m.status for m in messages] == ["pending", "pending"] and all(
        m.attempts == 1 and m.last_error for m in messages
    )
    assert all(timedelta(seconds=55) < m.next_attempt_at - utcnow() <= timedelta(seconds=60) for m in messages)
    assert worker().failed == 0  # backing off: not retried before its time

    # both come back
    from aiosmtpd.controller import Controller

    sink = SMTPSink()
    controller = Controller(sink, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    offline_receiver.start()
    try:
        with app.app_context(), session_scope() as session:
            for message in session.exec(select(OutboxMessage)):
                message.next_attempt_at = utcnow()
                session.add(message)
        assert worker().sent == 2
        assert worker().sent == 0
    finally:
        controller.stop()
    assert len(sink.messages) == 1 and len(offline_receiver.posts) == 1
    assert [(m.status, m.attempts) for m in _outbox(app)] == [("sent", 2), ("sent", 2)]
    # the email carries a stable Message-ID derived from the idempotency key
    assert sink.messages[0]["Message-ID"].startswith("<alert.")


def test_backoff_doubles_and_gives_up_after_max_attempts(app, offline_receiver, make_event, worker):
    app.config.update(OUTBOX_RETRY_SECONDS=10, OUTBOX_MAX_ATTEMPTS=3)
    event = make_event()
    with app.app_context(), session_scope() as session:
        enqueue(
            session,
            "test:1",
            "alert_digest",
            "webhook",
            offline_receiver.url,
            {"json": {"text": "hi"}},
            event_id=event.id,
        )
    delays = []
    for _ in range(3):
        worker()
        [message] = _outbox(app)
        delays.append(round((message.next_attempt_at - utcnow()).total_seconds()))
        with app.app_context(), session_scope() as session:
            row = session.get(OutboxMessage, message.id)
            row.next_attempt_at = utcnow()
            session.add(row)
    [message] = _outbox(app)
    assert delays[:2] == [10, 20] and message.status == "dead" and message.attempts == 3
    assert message.last_error == "could not connect to the receiver"  # fixed words: no port-scan oracle


def test_enqueue_is_idempotent(app, make_event):
    event = make_event()
    with app.app_context(), session_scope() as session:
        assert (
            enqueue(
                session, "k:1", "survey", "email", "a@example.org", {"subject": "s", "text": "t"}, event_id=event.id
            )
            is True
        )
        assert (
            enqueue(
                session, "k:1", "survey", "email", "a@example.org", {"subject": "s", "text": "t"}, event_id=event.id
            )
            is False
        )
        assert (
            enqueue(session, "k:2", "survey", "email", "", {}, event_id=event.id) is False
        )  # no target: nothing queued
    assert len(_outbox(app)) == 1


def test_concurrent_workers_never_take_the_same_message(app, make_event, webhook_receiver):
    event = make_event()
    with app.app_context(), session_scope() as session:
        for n in range(30):
            enqueue(
                session,
                f"c:{n}",
                "alert_digest",
                "webhook",
                webhook_receiver.url,
                {"json": {"n": n}},
                event_id=event.id,
            )
    taken: list[list[int]] = []
    barrier = threading.Barrier(3)

    def work():
        from preflight.db import get_engine
        from sqlmodel import Session

        with app.app_context():
            barrier.wait()
            mine = []
            with Session(get_engine(), expire_on_commit=False) as session:
                while True:
                    try:
                        batch = claim(session, limit=4)
                    except Exception:  # SQLite: writer lock busy — try again
                        session.rollback()
                        continue
                    if not batch:
                        break
                    for message in batch:
                        mine.append(message.payload["json"]["n"])
                        record(session, message, None)
            taken.append(mine)

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    everything = sorted(n for mine in taken for n in mine)
    assert everything == list(range(30)), taken  # each message once, none twice
    assert all(m.status == "sent" and m.attempts == 1 for m in _outbox(app))


def test_expired_lease_is_taken_over(app, make_event, webhook_receiver):
    event = make_event()
    with app.app_context(), session_scope() as session:
        enqueue(session, "lease:1", "alert_digest", "webhook", webhook_receiver.url, {"json": {}}, event_id=event.id)
    with app.app_context():
        from preflight.db import get_engine
        from sqlmodel import Session

        with (
            Session(get_engine(), expire_on_commit=False) as dead,
            Session(get_engine(), expire_on_commit=False) as alive,
        ):
            [held] = claim(dead)  # this worker "dies" holding it
            assert claim(alive) == []
            row = alive.get(OutboxMessage, held.id)
            row.lease_until = utcnow() - timedelta(seconds=1)
            alive.add(row)
            alive.commit()
            [again] = claim(alive)
            assert again.id == held.id and again.claim != held.claim
            assert record(dead, held, None) is False  # the dead worker's late answer is ignored
            assert record(alive, again, None) is True


def test_a_claim_takes_exactly_its_limit_however_many_are_due(app, make_event, webhook_receiver):
    """PostgreSQL may re-run a LIMIT ... SKIP LOCKED subquery inside an UPDATE and claim far more rows
    than asked, under a lease sized for the limit: a claim must take exactly ``limit`` rows."""
    event = make_event()
    with app.app_context(), session_scope() as session:
        for n in range(300):
            enqueue(
                session, f"limit:{n}", "alert_digest", "webhook", webhook_receiver.url, {"json": {}}, event_id=event.id
            )
    with app.app_context():
        from sqlmodel import Session

        from preflight.db import get_engine

        with Session(get_engine(), expire_on_commit=False) as session:
            assert len(claim(session, limit=10)) == 10
    assert sum(m.status == "sending" for m in _outbox(app)) == 10
