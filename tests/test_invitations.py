"""Invitations and reminders through a real SMTP server on loopback."""

import socket

from flask_babel import force_locale, gettext
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import Participant, ParticipantMessage, utcnow


def _messages(app, participant_id):
    with app.app_context(), session_scope() as session:
        return session.exec(select(ParticipantMessage).where(ParticipantMessage.participant_id == participant_id)).all()


def test_invitation_is_received_with_link_in_both_parts(smtp_server, client, auth, make_event, make_participant):
    auth.login("agent")
    event = make_event(name="Annual meeting")
    participant, token = make_participant(event=event, email="ada@example.org")
    response = client.post(f"/staff/events/{event.id}/send/invitation")
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"].addresses[0].addr_spec == "ada@example.org"
    assert "Annual meeting" in message["Subject"]
    assert message["Reply-To"] == "help@example.org"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"http://localhost/c/{token}" in text and f"http://localhost/c/{token}" in html


def test_invitation_is_in_the_participants_language(smtp_server, client, auth, make_event, make_participant, app):
    auth.login("agent")
    event = make_event(name="Réunion")
    make_participant(event=event, language="fr")
    make_participant(event=event, language="de")
    client.post(f"/staff/events/{event.id}/send/invitation")
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    with app.test_request_context():
        for locale in ("fr", "de"):
            with force_locale(locale):
                expected = gettext("Check your camera, microphone and connection for %(event)s", event="Réunion")
            assert expected in subjects
        with force_locale("en"):
            english = gettext("Check your camera, microphone and connection for %(event)s", event="Réunion")
    assert english not in subjects, "the emails were not translated"


def test_invitations_are_not_sent_twice(smtp_server, client, auth, make_event, make_participant, app):
    auth.login("agent")
    event = make_event()
    participant, _ = make_participant(event=event)
    client.post(f"/staff/events/{event.id}/send/invitation")
    client.post(f"/staff/events/{event.id}/send/invitation")
    assert len(smtp_server.messages) == 1
    [record] = _messages(app, participant.id)
    assert record.status == "sent" and record.sent_at is not None and record.attempts == 1


def test_revoked_participants_get_nothing(smtp_server, client, auth, make_event, make_participant):
    auth.login("agent")
    event = make_event()
    participant, _ = make_participant(event=event)
    client.post(f"/staff/events/{event.id}/participants/{participant.id}/revoke")
    client.post(f"/staff/events/{event.id}/send/invitation")
    assert smtp_server.messages == []


def test_reminders_only_to_those_who_have_not_checked(smtp_server, client, auth, make_event, make_participant, app):
    auth.login("agent")
    event = make_event()
    checked, _ = make_participant(event=event, email="done@example.org")
    waiting, _ = make_participant(event=event, email="todo@example.org")
    with app.app_context(), session_scope() as session:
        session.get(Participant, checked.id).last_checked_at = utcnow()
    client.post(f"/staff/events/{event.id}/send/reminder")
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["todo@example.org"]
    client.post(f"/staff/events/{event.id}/send/reminder")  # within the 12 h gap: nothing more
    assert len(smtp_server.messages) == 1


def test_failed_send_is_recorded_and_retried(app_config, client, auth, make_event, make_participant, app, request):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=dead_port, SMTP_TIMEOUT=2)
    auth.login("agent")
    event = make_event()
    participant, _ = make_participant(event=event)
    response = client.post(f"/staff/events/{event.id}/send/invitation", follow_redirects=True)
    assert "1 failed" in response.get_data(as_text=True)
    [record] = _messages(app, participant.id)
    assert record.status == "failed" and "Connection" in record.last_error

    sink = request.getfixturevalue("smtp_server")
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port)
    client.post(f"/staff/events/{event.id}/retry")
    assert len(sink.messages) == 1
    [record] = _messages(app, participant.id)
    assert record.status == "sent" and record.attempts == 2
    client.post(f"/staff/events/{event.id}/retry")
    client.post(f"/staff/events/{event.id}/send/invitation")
    assert len(sink.messages) == 1


def test_resend_to_one_participant_on_purpose(smtp_server, client, auth, make_event, make_participant):
    auth.login("agent")
    event = make_event()
    participant, _ = make_participant(event=event)
    client.post(f"/staff/events/{event.id}/send/invitation")
    client.post(f"/staff/events/{event.id}/participants/{participant.id}/send/invitation")
    assert len(smtp_server.messages) == 2


def test_local_sink_without_smtp(client, auth, make_event, make_participant, app):
    import mailbox
    from pathlib import Path

    auth.login("agent")
    event = make_event()
    make_participant(event=event)
    client.post(f"/staff/events/{event.id}/send/invitation")
    box = mailbox.Maildir(str(Path(app.instance_path) / "mail"), create=False)
    assert len(box) == 1


def test_unknown_kind_is_400(client, auth, make_event):
    auth.login("agent")
    event = make_event()
    assert client.post(f"/staff/events/{event.id}/send/spam").status_code == 400


def _calendar(message):
    from icalendar import Calendar

    parts = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(parts) == 1, [part.get_content_type() for part in message.iter_attachments()]
    assert parts[0].get_filename().endswith(".ics")
    return Calendar.from_ical(parts[0].get_payload(decode=True))


def test_invitation_carries_a_calendar_entry_in_the_event_zone(smtp_server, client, auth, make_event, make_participant):
    """Issue 17: the .ics holds the event time with its TZID and VTIMEZONE, and the personal link."""
    from datetime import datetime, timezone
    from email.utils import parsedate_to_datetime
    from zoneinfo import ZoneInfo

    auth.login("agent")
    starts = datetime(2027, 3, 28, 8, 30, tzinfo=timezone.utc)  # 10:30 in Paris, the day summer time begins
    event = make_event(name="Annual meeting", starts_at=starts, ends_at=starts.replace(hour=10))
    participant, token = make_participant(event=event, email="ada@example.org")
    client.post(f"/staff/events/{event.id}/send/invitation")
    message = smtp_server.messages[0]
    assert abs((parsedate_to_datetime(message["Date"]) - utcnow()).total_seconds()) < 300
    calendar = _calendar(message)
    assert [tz["TZID"] for tz in calendar.walk("VTIMEZONE")] == ["Europe/Paris"]
    entry = calendar.walk("VEVENT")[0]
    assert entry["DTSTART"].params["TZID"] == "Europe/Paris"
    assert entry.decoded("DTSTART") == datetime(2027, 3, 28, 10, 30, tzinfo=ZoneInfo("Europe/Paris"))
    assert entry.decoded("DTEND") == starts.replace(hour=10)
    assert str(entry["SUMMARY"]) == "Annual meeting"
    assert f"http://localhost/c/{token}" in str(entry["DESCRIPTION"])
    assert str(entry["URL"]) == f"http://localhost/c/{token}"


def test_calendar_entry_is_in_the_participants_language(smtp_server, client, auth, make_event, make_participant, app):
    auth.login("agent")
    event = make_event()
    make_participant(event=event, language="de")
    client.post(f"/staff/events/{event.id}/send/invitation")
    description = str(_calendar(smtp_server.messages[0]).walk("VEVENT")[0]["DESCRIPTION"])
    with app.test_request_context(), force_locale("de"):
        expected = gettext("Before the event, check your camera, microphone and connection: %(link)s", link="")
    assert expected.strip() and description.startswith(expected.strip())
    assert "Before the event" not in description


def test_invitation_time_is_the_events_own_zone_without_seconds(
    smtp_server, client, auth, make_event, make_participant
):
    """Issue 13: the sender's browser zone (here New York) must not move the time; no seconds."""
    from datetime import datetime, timezone

    auth.login("agent")
    event = make_event(starts_at=datetime(2027, 3, 28, 8, 30, tzinfo=timezone.utc), timezone="Europe/Paris")
    make_participant(event=event, language="en")
    client.set_cookie("pf_tz", "America/New_York")
    client.post(f"/staff/events/{event.id}/send/invitation")
    text = smtp_server.messages[0].get_body(("plain",)).get_content()
    assert "Sunday, March 28, 2027, 10:30\u202fAM Central European Summer Time" in text, text
    assert "10:30:00" not in text
