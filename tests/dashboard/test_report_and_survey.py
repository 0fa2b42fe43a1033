"""Post-event: survey invitations (once, localised), the survey page, and the report's figures."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import select

from preflight.db import session_scope
from preflight.links import revoke_link
from preflight.models import HelpRequest, Participant, SurveyResponse, utcnow


def _local(event, value) -> str:
    """A datetime-local form value in the event's time zone."""
    return value.astimezone(ZoneInfo(event.timezone)).strftime("%Y-%m-%dT%H:%M")


def _past_event(make_event, **kw):
    start = utcnow() - timedelta(hours=3)
    return make_event(starts_at=start, ends_at=start + timedelta(hours=1), **kw)


def test_survey_invitations_go_once_after_the_event_in_each_language(
    smtp_server, app, make_event, make_participant, worker
):
    # both scheduled (by staff, see tests/survey): only the event that has ended sends
    past = _past_event(make_event, name="Conférence", survey_send_at=utcnow() - timedelta(minutes=1))
    upcoming = make_event(name="Next week", survey_send_at=utcnow() - timedelta(minutes=1))
    fr, fr_token = make_participant(event=past, language="fr", email="fr@example.org")
    make_participant(event=past, language="de", email="de@example.org")
    revoked, _ = make_participant(event=past, email="gone@example.org")
    make_participant(event=upcoming, email="later@example.org")
    with app.app_context(), session_scope() as session:
        revoke_link(session.get(Participant, revoked.id))  # a revoked link gets no survey
    assert worker().surveys == 2
    assert worker().surveys == 0
    recipients = sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages)
    assert recipients == ["de@example.org", "fr@example.org"]
    french = next(m for m in smtp_server.messages if m["To"].addresses[0].addr_spec == "fr@example.org")
    assert f"http://localhost/c/{fr_token}/survey" in french.get_body(("plain",)).get_content()
    assert '<html lang="fr">' in french.get_body(("html",)).get_content()


def test_survey_page_before_after_and_changes(client, make_event, make_participant, app):
    _, early_token = make_participant(event=make_event())
    _, token = make_participant(event=_past_event(make_event))
    early = client.get(f"/c/{early_token}/survey")
    assert early.status_code == 200 and "opens when the event is over" in early.get_data(as_text=True)
    page = client.get(f"/c/{token}/survey").get_data(as_text=True)
    assert page.count('type="radio"') == 5
    assert client.post(f"/c/{token}/survey", data={"rating": "6"}).status_code == 400
    assert client.post(f"/c/{token}/survey", data={"comment": "no rating"}).status_code == 400
    assert client.post(f"/c/{token}/survey", data={"rating": "4", "comment": "Good support"}).status_code == 302
    assert client.post(f"/c/{token}/survey", data={"rating": "5", "comment": "Even better"}).status_code == 302
    with app.app_context(), session_scope() as session:
        [answer] = session.exec(select(SurveyResponse)).all()
    assert (answer.rating, answer.comment) == (5, "Even better")
    assert 'data-survey="answered"' in client.get(f"/c/{token}/survey").get_data(as_text=True)


def test_report_figures(
    smtp_server, client, auth, app, make_event, make_participant, run_check, ask_for_help, answer_survey, worker
):
    event = _past_event(make_event)
    start = event.starts_at
    a, _ = make_participant(event=event, name="A")
    b, _ = make_participant(event=event, name="B", role="presenter")
    c, _ = make_participant(event=event, name="C")
    make_participant(event=event, name="D")  # never ran
    run_check(a, "pass", at=start - timedelta(hours=5))
    run_check(
        b, "fail", checks={"microphone": "fail", "speakers": "fail", "camera": "pass"}, at=start - timedelta(hours=4)
    )
    run_check(b, "warn", at=start - timedelta(hours=2))
    run_check(c, "fail", checks={"network": "fail"}, at=start - timedelta(hours=1))
    run_check(c, "pass", at=start + timedelta(minutes=10))  # after the start: not "readiness before the event"
    agent = auth.login("agent")
    # A and B ask for help and an agent resolves both (B's after escalating it); C's stays open.
    for p, minutes in ((a, 30), (b, 90), (c, None)):
        request = ask_for_help(p, message="help")
        if minutes is not None:
            form = {"status": "resolved", "level": "L2" if p is b else "L1", "assigned_to": str(agent.id)}
            assert client.post(f"/staff/events/{event.id}/help/{request.id}/update", data=form).status_code == 302
            # The report times the resolution; requests are asked and resolved within the test's second,
            # so both times are moved back afterwards to give the durations the figures are checked against.
            created = start - timedelta(hours=3)
            with app.app_context(), session_scope() as session:
                session.execute(
                    update(HelpRequest)
                    .where(HelpRequest.id == request.id)
                    .values(created_at=created, resolved_at=created + timedelta(minutes=minutes))
                )
    # The agent sends the survey now (a past time needs the tick), the worker emails all four,
    # then three of them answer on their survey page.
    send_now = {"mode": "at", "send_at": _local(event, event.ends_at + timedelta(minutes=5)), "confirm": "y"}
    assert client.post(f"/staff/events/{event.id}/survey", data=send_now).status_code == 302
    assert worker().surveys == 4
    for p, rating, comment in ((a, 5, "Great"), (b, 3, ""), (c, 4, "ok")):
        answer_survey(p, rating, comment)
    html = client.get(f"/staff/events/{event.id}/report").get_data(as_text=True)
    assert "Readiness when the event started" in html
    assert '<tr data-category="audio"><th scope="row">Audio</th><td>2</td><td>1</td></tr>' in html
    assert '<tr data-category="network"><th scope="row">Network</th><td>1</td><td>1</td></tr>' in html
    rows = {
        (r["section"], r["metric"]): r["value"]
        for r in csv.DictReader(
            io.StringIO(client.get(f"/staff/events/{event.id}/report.csv").get_data(as_text=True).lstrip("\ufeff"))
        )
    }
    assert rows[("readiness_start", "ready")] == "1" and rows[("readiness_start", "warnings")] == "1"
    assert rows[("readiness_start", "not_ready")] == "1" and rows[("readiness_start", "not_started")] == "1"
    assert rows[("readiness_start", "ready_share")] == "0.25"
    assert rows[("incidents", "audio_failures")] == "2" and rows[("incidents", "audio_participants")] == "1"
    assert rows[("incidents", "video_failures")] == "0"
    assert (
        rows[("help", "total")] == "3"
        and rows[("help", "status_resolved")] == "2"
        and rows[("help", "level_L2")] == "1"
    )
    assert rows[("help", "resolution_minutes_median")] == "60.0" and rows[("help", "resolution_minutes_mean")] == "60.0"
    assert (
        rows[("survey", "answers")] == "3" and rows[("survey", "average")] == "4.0" and rows[("survey", "sent")] == "4"
    )
    assert rows[("survey", "rating_5")] == "1" and rows[("survey", "rating_1")] == "0"
    assert "Great" in html and "4.0 / 5" in html


def test_report_of_an_upcoming_event_counts_now(client, auth, make_event, make_participant, run_check):
    event = make_event()
    p, _ = make_participant(event=event)
    run_check(p, "pass")
    auth.login("admin")
    html = client.get(f"/staff/events/{event.id}/report").get_data(as_text=True)
    assert "Readiness so far" in html and '<tr data-status="ready"><th scope="row">Ready</th><td>1</td>' in html
