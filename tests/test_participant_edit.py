"""Editing a participant from the event's list: validated like the importer, audited, nothing lost."""

from sqlmodel import select

from preflight.db import session_scope
from preflight.models import AuditEntry, Participant


def _edit_url(event_id, participant_id):
    return f"/staff/events/{event_id}/participants/{participant_id}/edit"


def _stored(app, participant_id):
    with app.app_context(), session_scope() as session:
        return session.get(Participant, participant_id)


def test_the_list_links_to_the_edit_form_which_saves_and_audits(client, auth, make_event, make_participant, app):
    auth.login("agent")
    event = make_event()
    person, _token = make_participant(event=event, name="Ada", email="ada@example.org")
    listing = client.get(f"/staff/events/{event.id}").get_data(as_text=True)
    assert _edit_url(event.id, person.id) in listing
    form = client.get(_edit_url(event.id, person.id))
    assert form.status_code == 200 and 'value="ada@example.org"' in form.get_data(as_text=True)
    data = {"name": "Ada King", "email": "Ada.King@Example.org", "language": "fr", "role": "presenter"}
    response = client.post(_edit_url(event.id, person.id), data=data)
    assert response.status_code == 302
    stored = _stored(app, person.id)
    assert (stored.name, stored.email, stored.language, stored.role) == (
        "Ada King",
        "ada.king@example.org",
        "fr",
        "presenter",
    )
    with app.app_context(), session_scope() as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "participant.edit")).one()
        assert entry.target_id == person.id and "email" in entry.detail and "language" in entry.detail


def test_a_duplicate_or_bad_email_is_refused_and_the_input_kept(client, auth, make_event, make_participant, app):
    auth.login("agent")
    event = make_event()
    person, _token = make_participant(event=event, name="Ada", email="ada@example.org")
    make_participant(event=event, name="Camille", email="camille@example.org")
    data = {"name": "Ada Typed", "email": "camille@example.org", "language": "de", "role": "attendee"}
    response = client.post(_edit_url(event.id, person.id), data=data)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "camille@example.org is already a participant of this event." in page
    assert 'value="Ada Typed"' in page
    response = client.post(_edit_url(event.id, person.id), data={**data, "email": "not-an-email"})
    assert response.status_code == 400 and 'value="not-an-email"' in response.get_data(as_text=True)
    assert _stored(app, person.id).email == "ada@example.org" and _stored(app, person.id).name == "Ada"


def test_a_participant_of_another_event_is_not_found(client, auth, make_event, make_participant):
    auth.login("agent")
    event, other = make_event(), make_event()
    person, _token = make_participant(event=other)
    assert client.get(_edit_url(event.id, person.id)).status_code == 404
