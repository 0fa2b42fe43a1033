"""Control characters in any form field are refused with a clear error, and bad data already stored
cannot crash the mail worker or the invitations (one message fails, the others go out)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from sqlmodel import select
from support_factories import worker  # noqa: F401 - fixture
from wtforms import (
    BooleanField,
    FileField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)

from preflight.alerts.outbox import enqueue
from preflight.db import session_scope
from preflight.models import Event, OutboxMessage, Participant, ParticipantMessage
from preflight.safe_input import has_control_characters
from staff_forms import EVENT_FORM

SINGLE_LINE = [
    "Ann\nSmith",
    "Ann\r\nBcc: x@example.org",
    "tab\there",
    "nul\x00",
    "esc\x1b[31m",
    "del\x7f",
    "c1\x85",
    "ls\u2028",
]


def _forms() -> list[type[FlaskForm]]:
    found, todo = [], [FlaskForm]
    while todo:
        cls = todo.pop()
        for sub in cls.__subclasses__():
            todo.append(sub)
            if sub.__module__.startswith("preflight."):
                found.append(sub)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__name__}")


def test_the_rule_itself():
    for text in SINGLE_LINE:
        assert has_control_characters(text), repr(text)
    assert not has_control_characters("Zoë O'Brien-Łukasz (東京) +33 1 23")
    assert not has_control_characters("line one\r\nline two\ttabbed", multiline=True)
    assert has_control_characters("bell\x07", multiline=True)


def test_every_form_in_the_app_refuses_control_characters_in_every_text_field(app):
    """A fuzz pass over every form class: each text field gets each hostile value and must say why it is refused."""
    forms = _forms()
    assert len(forms) >= 10, [f.__name__ for f in forms]
    checked = 0
    for form_class in forms:
        for bad in SINGLE_LINE:
            with app.test_request_context("/", method="POST"):
                form = form_class(meta={"csrf": False})
                text_fields = []
                for field in form:
                    if isinstance(field, (SelectField, RadioField)):
                        field.choices = [("x", "x")]
                    if isinstance(field, (FileField, BooleanField, HiddenField)) or field.type in ("CSRFTokenField",):
                        continue
                    if isinstance(field, (StringField, TextAreaField, PasswordField)):
                        multiline = isinstance(field, TextAreaField)
                        value = (
                            bad
                            if not multiline
                            else "ok\n" + ("\x1b" if "\n" in bad or "\t" in bad or "\r" in bad else bad)
                        )
                        field.data = value
                        text_fields.append(field)
                if not text_fields:
                    continue
                form.process = None  # data set directly above; validate only
                assert not form.validate(), (form_class.__name__, bad)
                for field in text_fields:
                    assert any("control characters" in str(e) for e in field.errors), (
                        form_class.__name__,
                        field.name,
                        bad,
                        field.errors,
                    )
                    checked += 1
    assert checked > 50


def test_a_line_break_in_an_event_name_is_refused_and_nothing_is_saved(client, auth, app):
    auth.login("admin")
    data = {**EVENT_FORM, "name": "Webinar\r\nBcc: everyone@example.org"}
    response = client.post("/staff/events/new", data=data)
    assert response.status_code in (200, 400)
    assert "control characters" in response.get_data(as_text=True)
    with app.app_context(), session_scope() as session:
        assert session.exec(select(Event).where(Event.name.contains("Bcc"))).first() is None


def test_a_line_break_in_a_participant_name_is_refused(client, auth, app, make_event):
    auth.login("agent")
    event = make_event()
    response = client.post(
        f"/staff/events/{event.id}/participants",
        data={"add-name": "Ann\nSmith", "add-email": "ann@example.org", "add-language": "en", "add-role": "attendee"},
        follow_redirects=True,
    )
    assert "control characters" in response.get_data(as_text=True)
    with app.app_context(), session_scope() as session:
        assert session.exec(select(Participant).where(Participant.email == "ann@example.org")).first() is None


def test_one_unbuildable_message_fails_alone_and_the_worker_keeps_delivering(smtp_server, app, worker):
    """A name with a line break already in the database (an older version, a script): that message
    fails, the next goes out."""
    with app.app_context(), session_scope() as session:
        enqueue(
            session,
            "bad:1",
            "reply",
            "email",
            "bad@example.org",
            {"to_name": "Ann\r\nBcc: x@example.org", "subject": "Hi", "text": "x"},
        )
        enqueue(
            session, "good:1", "reply", "email", "good@example.org", {"to_name": "Bob", "subject": "Hi", "text": "y"}
        )
    report = worker()
    assert report.sent == 1 and report.failed == 1
    assert [m["To"] for m in smtp_server.messages] == ["Bob <good@example.org>"]
    with app.app_context(), session_scope() as session:
        bad = session.exec(select(OutboxMessage).where(OutboxMessage.idempotency_key == "bad:1")).one()
        assert bad.status != "sending" and bad.attempts == 1 and "could not be built" in bad.last_error


def test_invitations_with_a_broken_name_fail_that_one_and_never_resend_to_the_others(
    smtp_server, app, client, auth, make_event, make_participant, worker
):
    event = make_event(name="Launch")
    make_participant(event=event, name="Ok Person", email="ok@example.org")
    make_participant(event=event, name="Broken\nName", email="broken@example.org")
    auth.login("agent")
    first = client.post(f"/staff/events/{event.id}/send/invitation")
    assert first.status_code in (200, 302)
    worker()
    assert [m["To"] for m in smtp_server.messages] == ["Ok Person <ok@example.org>"]
    client.post(f"/staff/events/{event.id}/send/invitation")
    worker()
    assert len(smtp_server.messages) == 1  # nobody mailed twice
    with app.app_context(), session_scope() as session:
        statuses = {
            p.email: m.status
            for m, p in session.exec(
                select(ParticipantMessage, Participant).join(
                    Participant, Participant.id == ParticipantMessage.participant_id
                )
            )
        }
    assert statuses == {"ok@example.org": "sent", "broken@example.org": "failed"}
