"""Staff decide whether and when an event's survey goes out and see who got it; editing dates never mass-sends."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from preflight.db import session_scope
from preflight.links import revoke_link
from preflight.models import Event, OutboxMessage, Participant, utcnow

PARIS = ZoneInfo("Europe/Paris")


def _local(value):
    """A datetime-local form value in the event's time zone (Europe/Paris in make_event)."""
    return value.astimezone(PARIS).strftime("%Y-%m-%dT%H:%M")


def _event(app, event_id) -> Event:
    with app.app_context(), session_scope() as session:
        return session.get(Event, event_id)


def _surveys(app):
    with app.app_context(), session_scope() as session:
        return session.exec(select(OutboxMessage).where(OutboxMessage.kind == "survey")).all()


def _edit_dates(client, event, starts_at, ends_at):
    data = {
        "name": event.name,
        "timezone": "Europe/Paris",
        "starts_at": _local(starts_at),
        "ends_at": _local(ends_at),
        "platform": "zoom",
        "default_role": "attendee",
        "default_language": "en",
        "support_email": "help@example.org",
    }
    response = client.post(f"/staff/events/{event.id}/edit", data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


def test_new_events_send_no_survey_until_staff_decide(client, auth, make_event, make_participant, worker, app):
    event = make_event(name="Town hall")
    make_participant(event=event)
    auth.login("agent")
    # the event happened last week after all: its end date is edited into the past
    _edit_dates(client, event, utcnow() - timedelta(days=7, hours=2), utcnow() - timedelta(days=7))
    assert worker().surveys == 0 and _surveys(app) == []
    page = client.get(f"/staff/events/{event.id}/survey").get_data(as_text=True)
    assert 'data-survey-schedule="off"' in page and 'data-owed="1"' in page
    assert "Survey: not sent" in client.get(f"/staff/events/{event.id}").get_data(as_text=True)


def test_editing_the_end_date_into_the_past_does_not_send_a_scheduled_survey(
    client, auth, make_event, make_participant, worker, app
):
    event = make_event(name="Webinar")
    for n in range(3):
        make_participant(event=event, email=f"p{n}@example.org")
    auth.login("agent")
    send_at = event.ends_at + timedelta(hours=2)
    assert (
        client.post(f"/staff/events/{event.id}/survey", data={"mode": "at", "send_at": _local(send_at)}).status_code
        == 302
    )
    assert _event(app, event.id).survey_send_at == send_at.replace(second=0, microsecond=0)

    assert "Survey: " in client.get(f"/staff/events/{event.id}").get_data(as_text=True)
    _edit_dates(client, event, utcnow() - timedelta(hours=3), utcnow() - timedelta(hours=2))
    assert worker().surveys == 0 and _surveys(app) == []
    page = client.get(f"/staff/events/{event.id}/survey").get_data(as_text=True)
    assert 'data-survey-schedule="scheduled"' in page and 'data-sent="0"' in page and 'data-owed="3"' in page


def test_a_past_time_needs_a_tick_then_sends_once_and_the_page_shows_who_got_it(
    smtp_server, client, auth, make_event, make_participant, worker, app
):
    ended = utcnow() - timedelta(hours=1)
    event = make_event(name="Assembly", starts_at=ended - timedelta(hours=1), ends_at=ended)
    ada, ada_token = make_participant(event=event, name="Ada", email="ada@example.org")
    bob, _ = make_participant(event=event, name="Bob", email="bob@example.org")
    gone, _ = make_participant(event=event, name="Gone", email="gone@example.org")
    with app.app_context(), session_scope() as session:
        revoke_link(session.get(Participant, gone.id))
    auth.login("agent")
    url = f"/staff/events/{event.id}/survey"
    form = {"mode": "at", "send_at": _local(ended + timedelta(minutes=5))}

    refused = client.post(url, data=form)
    assert refused.status_code == 409 and 'data-survey-confirm="2"' in refused.get_data(as_text=True)
    assert _event(app, event.id).survey_send_at is None and worker().surveys == 0

    assert client.post(url, data={**form, "confirm": "y"}).status_code == 302
    assert worker().surveys == 2
    assert worker().surveys == 0  # once per person
    assert sorted(m["To"].addresses[0].addr_spec for m in smtp_server.messages) == [
        "ada@example.org",
        "bob@example.org",
    ]

    assert client.post(f"/c/{ada_token}/survey", data={"rating": "4", "comment": "Smooth"}).status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert 'data-sent="1"' in page and 'data-answered="1"' in page and 'data-owed="0"' in page
    assert f'data-participant="{ada.id}" data-survey-state="answered"' in page
    assert f'data-participant="{bob.id}" data-survey-state="sent"' in page
    assert f'data-participant="{gone.id}" data-survey-state="none"' in page


@pytest.mark.parametrize(
    "form, message",
    [
        ({"mode": "at", "send_at": ""}, "Choose when the survey is sent."),
        ({"mode": "at", "send_at": "tomorrow"}, "Not a valid datetime value."),
        ({"mode": "sometimes"}, "Not a valid choice."),
    ],
)
def test_bad_schedules_are_refused(client, auth, make_event, app, form, message):
    event = make_event()
    auth.login("agent")
    response = client.post(f"/staff/events/{event.id}/survey", data=form)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert _event(app, event.id).survey_send_at is None


def test_survey_not_before_the_end_and_can_be_switched_off(client, auth, make_event, make_participant, worker, app):
    event = make_event()
    make_participant(event=event)
    auth.login("agent")
    url = f"/staff/events/{event.id}/survey"
    early = client.post(url, data={"mode": "at", "send_at": _local(event.starts_at)})
    assert early.status_code == 400 and "after the event ends" in early.get_data(as_text=True)
    assert (
        client.post(url, data={"mode": "at", "send_at": _local(event.ends_at + timedelta(days=1))}).status_code == 302
    )
    assert client.post(url, data={"mode": "off"}).status_code == 302
    assert _event(app, event.id).survey_send_at is None
    assert 'data-survey-schedule="off"' in client.get(url).get_data(as_text=True)


def test_translators_cannot_schedule_surveys(client, auth, make_event):
    event = make_event()
    auth.login("translator")
    assert client.get(f"/staff/events/{event.id}/survey").status_code == 403
    assert client.get("/staff/events/999/survey").status_code in (302, 403, 404)
