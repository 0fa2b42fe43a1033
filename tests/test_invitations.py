"""Invitations and reminders through a real SMTP server on loopback."""

import socket

from flask_babel import force_locale, gettext
from sqlmodel import select

from support_factories import worker  # noqa: F401

from preflight.db import session_scope
from preflight.models import Participant, ParticipantMessage, utcnow


def _messages(app, participant_id):
    with app.app_context(), session_scope() as session:
        return session.exec(select(ParticipantMessage).where(ParticipantMessage.participant_id == participant_id)).all()


def test_invitation_is_received_with_link_in_both_parts(
    smtp_server, client, auth, make_event, make_participant, worker
):
    auth.login("agent")
    event = make_event(name="Annual meeting")
    participant, token = make_participant(event=event, email="ada@example.org")
    response = client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    assert response.status_code == 302
    assert len(smtp_server.messages) == 1
    message = smtp_server.messages[0]
    assert message["To"].addresses[0].addr_spec == "ada@example.org"
    assert "Annual meeting" in message["Subject"]
    assert message["Reply-To"] == "help@example.org"
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert f"http://localhost/c/{token}" in text and f"http://localhost/c/{token}" in html


def test_invitation_is_in_the_participants_language(
    smtp_server, client, auth, make_event, make_participant, app, worker
):
    auth.login("agent")
    event = make_event(name="Réunion")
    make_participant(event=event, language="fr")
    make_participant(event=event, language="de")
    client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    subjects = sorted(m["Subject"] for m in smtp_server.messages)
    with app.test_request_context():
        for locale in ("fr", "de"):
            with force_locale(locale):
                expected = gettext("Check your camera, microphone and connection for %(event)s", event="Réunion")
            assert expected in subjects
        with force_locale("en"):
            english = gettext("Check your camera, microphone and connection for %(event)s", event="Réunion")
    assert english not in subjects, "the emails were not translated"


def test_invitations_are_not_sent_twice(smtp_server, client, auth, make_event, make_participant, app, worker):
    auth.login("agent")
    event = make_event()
    participant, _ = make_participant(event=event)
    client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    assert len(smtp_server.messages) == 1
    [record] = _messages(app, participant.id)
    assert record.status == "sent" and record.sent_at is not None and record.attempts == 1


def test_revoked_participants_get_nothing(smtp_server, client, auth, make_event, make_participant, worker):
    auth.login("agent")
    event = make_event()
    participant, _ = make_participant(event=event)
    client.post(f"/staff/events/{event.id}/participants/{participant.id}/revoke")
    client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    assert smtp_server.messages == []


def test_reminders_only_to_those_who_have_not_checked(
    smtp_server, client, auth, make_event, make_participant, app, worker
):
    auth.login("agent")
    event = make_event()
    checked, _ = make_participant(event=event, email="done@example.org")
    waiting, _ = make_participant(event=event, email="todo@example.org")
    with app.app_context(), session_scope() as session:
        session.get(Participant, checked.id).last_checked_at = utcnow()
    client.post(f"/staff/events/{event.id}/send/reminder")
    worker()
    assert [m["To"].addresses[0].addr_spec for m in smtp_server.messages] == ["todo@example.org"]
    client.post(f"/staff/events/{event.id}/send/reminder")  # within the 12 h gap: nothing more
    worker()
    assert len(smtp_server.messages) == 1


def test_failed_send_is_recorded_and_retried(
    app_config, client, auth, make_event, make_participant, app, request, worker
):
    with socket.socket() as probe:  # a port where nothing listens
        probe.bind(("127.0.0.1", 0))
        dead_port = probe.getsockname()[1]
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=dead_port, SMTP_TIMEOUT=2)
    auth.login("agent")
    event = make_event()
    participant, _ = make_participant(event=event)
    response = client.post(f"/staff/events/{event.id}/send/invitation")
    progress_url = response.headers["Location"].replace("?sending=", "/sending/").split("#")[0]
    worker()
    page = client.get(progress_url).get_data(as_text=True)
    assert "1 refused by the mail server for now: they will be tried again." in page
    assert 'data-sending="running"' in page and "hx-trigger" in page  # still polling
    [record] = _messages(app, participant.id)
    assert record.status == "failed" and "Connection" in record.last_error

    sink = request.getfixturevalue("smtp_server")
    app.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=sink.port)
    retry = client.post(f"/staff/events/{event.id}/retry")
    worker()
    assert len(sink.messages) == 1
    [record] = _messages(app, participant.id)
    assert record.status == "sent" and record.attempts == 2
    page = client.get(retry.headers["Location"].replace("?sending=", "/sending/").split("#")[0]).get_data(as_text=True)
    assert "Done: 1 of 1 emails sent." in page and "hx-trigger" not in page
    client.post(f"/staff/events/{event.id}/retry")
    worker()
    client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    assert len(sink.messages) == 1


def test_resend_to_one_participant_on_purpose(smtp_server, client, auth, make_event, make_participant, worker):
    auth.login("agent")
    event = make_event()
    participant, _ = make_participant(event=event)
    client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    client.post(f"/staff/events/{event.id}/participants/{participant.id}/send/invitation")
    assert len(smtp_server.messages) == 2


def test_local_sink_without_smtp(client, auth, make_event, make_participant, app, worker):
    import mailbox
    from pathlib import Path

    auth.login("agent")
    event = make_event()
    make_participant(event=event)
    client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    box = mailbox.Maildir(str(Path(app.instance_path) / "mail"), create=False)
    assert len(box) == 1


def test_unknown_kind_is_400(client, auth, make_event):
    auth.login("agent")
    event = make_event()
    assert client.post(f"/staff/events/{event.id}/send/spam").status_code == 400


def test_invitation_says_when_in_the_events_zone_and_carries_a_calendar_entry(
    smtp_server, client, auth, make_event, make_participant, worker
):
    from datetime import datetime, timezone

    from icalendar import Calendar

    auth.login("agent")
    event = make_event(
        name="Jahrestreffen",
        timezone="Europe/Berlin",
        starts_at=datetime(2027, 1, 10, 9, 0, tzinfo=timezone.utc),
        ends_at=datetime(2027, 1, 10, 11, 0, tzinfo=timezone.utc),
    )
    participant, token = make_participant(event=event, email="jo@example.org", language="de")
    assert client.post(f"/staff/events/{event.id}/send/invitation").status_code == 302
    worker()
    message = smtp_server.messages[0]
    assert message["Date"]  # every message is dated
    text = message.get_body(("plain",)).get_content()
    # The event's own time, without seconds, one pair of brackets at most.
    assert "Sonntag, 10. Januar 2027, 10:00, Mitteleuropäische Normalzeit" in text
    assert "10:00:00" not in text and "((" not in text and "))" not in text
    attachments = [part for part in message.iter_attachments() if part.get_content_type() == "text/calendar"]
    assert len(attachments) == 1 and attachments[0].get_filename() == "event.ics"
    calendar = Calendar.from_ical(attachments[0].get_content())
    entry = next(c for c in calendar.walk("VEVENT"))
    assert str(entry["summary"]) == "Jahrestreffen"
    assert entry.decoded("dtstart").isoformat() == "2027-01-10T10:00:00+01:00"
    assert str(entry["dtstart"].params["TZID"]) == "Europe/Berlin"
    assert str(entry["url"]) == f"http://localhost/c/{token}"
    assert str(entry["description"]).startswith("Prüfen Sie vor der Veranstaltung")
    assert any(c.name == "VTIMEZONE" for c in calendar.walk())


def test_reminders_carry_no_second_calendar_entry(smtp_server, client, auth, make_event, make_participant, worker):
    auth.login("agent")
    event = make_event()
    make_participant(event=event)
    assert client.post(f"/staff/events/{event.id}/send/reminder").status_code == 302
    worker()
    assert all(part.get_content_type() != "text/calendar" for part in smtp_server.messages[0].iter_attachments())
    assert smtp_server.messages[0]["Date"]
