"""The latency alert: several participants of one event with a long round trip within a window.

Every run is posted through /c/<token>/results (run_check: "warn" is a 250 ms round trip, "pass"
20 ms); thresholds are set on the event form, as staff do.
"""

from __future__ import annotations

import pytest
from participant_runs import post_run
from support_factories import ago

from preflight.db import session_scope
from preflight.models import Event


@pytest.fixture
def alert_config(app_config, webhook_receiver):
    app_config.update(ALERT_WEBHOOK_URL=webhook_receiver.url, OUTBOX_RETRY_SECONDS=0)
    return app_config


def _event_form(event, ms, participants, minutes) -> dict:
    """The event form as staff post it, with the latency alert's three fields."""
    return {
        "name": event.name,
        "timezone": "Europe/Paris",
        "starts_at": "2030-01-10T10:00",
        "ends_at": "2030-01-10T11:00",
        "platform": "zoom",
        "default_role": "attendee",
        "default_language": "en",
        "latency_alert_ms": str(ms),
        "latency_alert_participants": str(participants),
        "latency_alert_minutes": str(minutes),
    }


def _latency_posts(receiver) -> list[dict]:
    return [p for p in receiver.posts if p["preflight"]["kind"] == "latency"]


def test_five_slow_participants_raise_one_alert_by_email_and_webhook(
    alert_config, webhook_receiver, smtp_server, app, make_event, make_participant, run_check, worker
):
    event = make_event(name="Town hall", support_email="team@example.org")
    people = [make_participant(event=event)[0] for _ in range(6)]
    for p in people[:4]:
        run_check(p, "warn")  # 250 ms
    run_check(people[4], "pass")  # 20 ms: not slow
    assert worker().latency_alerts == 0  # 4 slow participants: below the default 5
    run_check(people[5], "warn")
    report = worker()
    assert report.latency_alerts == 1

    [post] = _latency_posts(webhook_receiver)
    facts = post["preflight"]
    assert (facts["participants"], facts["threshold_ms"], facts["window_minutes"]) == (5, 200, 30)
    assert facts["median_ms"] == 250 and facts["worst_ms"] == 250
    assert "/dashboard" in facts["dashboard_url"] and "check=network" in facts["dashboard_url"]
    assert post["text"].count("Slow connections: 5 participants above 200 ms (Town hall)") == 1
    [mail] = [m for m in smtp_server.messages if "Slow connections" in m["Subject"]]
    assert mail["To"].addresses[0].addr_spec == "team@example.org"
    body = mail.get_body(("plain",)).get_content()
    assert "5 participants measured a round trip above 200 ms in the last 30 minutes" in body
    assert "median 250 ms, worst 250 ms" in body

    run_check(people[4], "warn")
    assert worker().latency_alerts == 0  # one per event and window


def test_one_link_rerunning_cannot_fake_it_and_a_fixed_connection_stops_counting(
    alert_config, webhook_receiver, app, make_event, make_participant, run_check, worker
):
    event = make_event(support_email="")
    noisy, _ = make_participant(event=event)
    for minute in range(6):
        run_check(noisy, "warn", at=ago(minutes=20 - minute))
    others = [make_participant(event=event)[0] for _ in range(4)]
    for p in others[:3]:
        run_check(p, "warn")
    run_check(others[3], "warn", at=ago(minutes=5))
    run_check(others[3], "pass", at=ago(minutes=1))  # re-ran after fixing their Wi-Fi
    assert worker().latency_alerts == 0  # 4 distinct slow participants by their latest result
    assert _latency_posts(webhook_receiver) == []


def test_old_runs_fall_out_of_the_window(alert_config, app, make_event, make_participant, run_check, worker):
    event = make_event(support_email="")
    for _ in range(5):
        run_check(make_participant(event=event)[0], "warn", at=ago(minutes=45))
    assert worker().latency_alerts == 0


def test_thresholds_are_set_per_event_on_the_event_form(
    alert_config, webhook_receiver, app, client, auth, make_event, make_participant, run_check, worker
):
    strict = make_event(name="Strict", support_email="")
    relaxed = make_event(name="Relaxed", support_email="")
    auth.login("agent")
    form = client.get(f"/staff/events/{strict.id}/edit").get_data(as_text=True)
    assert 'name="latency_alert_ms"' in form and 'value="200"' in form
    for event, (ms, people, minutes) in ((strict, (100, 2, 10)), (relaxed, (300, 2, 10))):
        data = _event_form(event, ms, people, minutes)
        assert client.post(f"/staff/events/{event.id}/edit", data=data).status_code == 302
    for event in (strict, relaxed):
        for _ in range(2):
            p, token = make_participant(event=event)
            post_run(app, app.test_client(), p, token, network={"rtt": 150.0})
    assert worker().latency_alerts == 1  # 150 ms is slow for the strict event only
    [post] = _latency_posts(webhook_receiver)
    assert post["preflight"]["event"]["name"] == "Strict" and post["preflight"]["threshold_ms"] == 100


def test_zero_participants_turns_the_alert_off_and_bad_values_are_refused(
    alert_config, app, client, auth, make_event, make_participant, run_check, worker
):
    event = make_event(support_email="")
    auth.login("agent")
    data = _event_form(event, "abc", -1, 0)
    refused = client.post(f"/staff/events/{event.id}/edit", data=data)
    assert refused.status_code == 400
    with app.app_context(), session_scope() as session:
        assert session.get(Event, event.id).latency_alert_ms == 200  # nothing half-saved
    data = _event_form(event, 200, 0, 30)
    assert client.post(f"/staff/events/{event.id}/edit", data=data).status_code == 302
    for _ in range(6):
        run_check(make_participant(event=event)[0], "warn")
    assert worker().latency_alerts == 0
