"""Staff pages: events, participants, links, export."""

import csv
import io
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import Event, Participant

EVENT_FORM = {
    "name": "Spring webinar",
    "timezone": "Europe/Paris",
    "starts_at": "2030-03-10T18:00",
    "ends_at": "2030-03-10T19:30",
    "platform": "teams",
    "default_role": "attendee",
    "default_language": "fr",
    "support_email": "help@example.org",
    "support_phone": "+33 1 00 00 00 00",
    "support_chat_url": "",
    "webhook_url": "",
}


def test_create_event_stores_aware_times(client, auth, app):
    auth.login("agent")
    response = client.post("/staff/events/new", data=EVENT_FORM)
    assert response.status_code == 302
    with app.app_context(), session_scope() as session:
        event = session.exec(select(Event)).one()
    assert event.platform == "teams"
    assert event.starts_at.tzinfo is not None
    assert event.starts_at.astimezone(ZoneInfo("Europe/Paris")).hour == 18
    assert event.starts_at.hour == 17  # 18:00 in Paris in March is 17:00 UTC


def test_event_form_errors_are_shown(client, auth):
    auth.login("agent")
    bad = dict(EVENT_FORM, timezone="Mars/Olympus", ends_at="2030-03-10T17:00", support_email="nope")
    response = client.post("/staff/events/new", data=bad)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Unknown timezone" in page
    assert "valid email" in page.lower() or "Invalid email" in page


def test_edit_event_round_trips_local_times(client, auth, make_event, app):
    auth.login("admin")
    event = make_event()
    page = client.get(f"/staff/events/{event.id}/edit")
    assert page.status_code == 200
    response = client.post(f"/staff/events/{event.id}/edit", data=dict(EVENT_FORM, name="Renamed"))
    assert response.status_code == 302
    with app.app_context(), session_scope() as session:
        assert session.get(Event, event.id).name == "Renamed"


def test_events_list_shows_counts(client, auth, make_participant):
    auth.login("agent")
    participant, _ = make_participant()
    page = client.get("/staff/").get_data(as_text=True)
    assert "Test webinar" in page


def test_unknown_event_is_404(client, auth):
    auth.login("agent")
    assert client.get("/staff/events/999").status_code == 404


def test_participant_search_and_paging(client, auth, make_event, make_participant):
    auth.login("agent")
    event = make_event()
    for i in range(60):
        make_participant(event=event, name=f"Person {i:02d}", email=f"person{i}@example.org")
    make_participant(event=event, name="Zoé Findme", email="zoe@example.org")
    full = client.get(f"/staff/events/{event.id}")
    assert full.status_code == 200 and "Page 1 of 2" in full.get_data(as_text=True)
    assert "HX-Request" in full.headers["Vary"]
    partial = client.get(
        f"/staff/events/{event.id}?q=findme", headers={"HX-Request": "true", "HX-Target": "participants"}
    )
    html = partial.get_data(as_text=True)
    assert "Zoé Findme" in html and "Person 01" not in html and "<html" not in html
    page2 = client.get(f"/staff/events/{event.id}?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in page2


def test_add_participant_by_hand(client, auth, make_event, app):
    auth.login("agent")
    event = make_event()
    data = {"add-name": "Ada", "add-email": "Ada@Example.org", "add-language": "de", "add-role": "presenter"}
    assert client.post(f"/staff/events/{event.id}/participants", data=data).status_code == 302
    assert (
        client.post(f"/staff/events/{event.id}/participants", data=data).status_code == 302
    )  # duplicate refused, flashed
    with app.app_context(), session_scope() as session:
        rows = session.exec(select(Participant).where(Participant.event_id == event.id)).all()
    assert len(rows) == 1 and rows[0].email == "ada@example.org" and rows[0].token_hash


def test_revoke_and_renew_from_the_page(client, auth, make_participant):
    auth.login("agent")
    participant, token = make_participant()
    base = f"/staff/events/{participant.event_id}/participants/{participant.id}"
    client.post(base + "/revoke")
    assert client.get(f"/c/{token}").status_code == 410
    client.post(base + "/renew")
    assert client.get(f"/c/{token}").status_code == 404
    page = client.get(f"/staff/events/{participant.event_id}").get_data(as_text=True)
    new_link = page.split('data-copy="', 1)[1].split('"', 1)[0]
    assert client.get(new_link.replace("http://localhost", "")).status_code == 200


def test_participant_of_another_event_is_404(client, auth, make_event, make_participant):
    auth.login("agent")
    participant, _ = make_participant()
    other = make_event(name="Other")
    assert client.post(f"/staff/events/{other.id}/participants/{participant.id}/revoke").status_code == 404


def test_export_links_csv(client, auth, make_event, make_participant):
    auth.login("agent")
    event = make_event()
    make_participant(event=event, name='=HYPERLINK("http://x")', email="a@example.org", language="fr")
    _, token = make_participant(event=event, name="Hélène", email="b@example.org")
    response = client.get(f"/staff/events/{event.id}/links.csv")
    assert response.mimetype == "text/csv"
    text = response.get_data(as_text=True)
    assert text.startswith("\ufeff")
    rows = list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
    assert {r["email"] for r in rows} == {"a@example.org", "b@example.org"}
    helene = next(r for r in rows if r["email"] == "b@example.org")
    assert helene["link"] == f"http://localhost/c/{token}" and helene["name"] == "Hélène"
    formula = next(r for r in rows if r["email"] == "a@example.org")
    assert formula["name"].startswith("'=")


def test_times_are_shown_in_the_viewers_timezone(client, auth, make_event):
    from datetime import datetime, timezone

    auth.login("agent")
    event = make_event(
        name="Tz",
        starts_at=datetime(2030, 6, 1, 16, 0, tzinfo=timezone.utc),
        ends_at=datetime(2030, 6, 1, 17, 0, tzinfo=timezone.utc),
    )
    paris = client.get(f"/staff/events/{event.id}").get_data(as_text=True)
    assert "6:00:00\u202fPM" in paris  # the event's timezone (Europe/Paris, UTC+2 in June) by default
    client.set_cookie("pf_tz", "America/New_York")
    new_york = client.get(f"/staff/events/{event.id}").get_data(as_text=True)
    assert "12:00:00\u202fPM" in new_york
    client.set_cookie("pf_tz", "Not/AZone")
    assert "6:00:00\u202fPM" in client.get(f"/staff/events/{event.id}").get_data(as_text=True)


def test_huge_ids_are_404_not_500(client, auth):
    auth.login("admin")
    huge = 10**30
    assert client.get(f"/staff/events/{huge}").status_code == 404
    assert client.post(f"/staff/events/1/participants/{huge}/revoke").status_code == 404


@pytest.mark.parametrize(
    "target", ["https://evil.example/x", "//evil.example/x", "/\\evil.example", "javascript:alert(1)"]
)
def test_participant_actions_do_not_redirect_off_site(client, auth, make_participant, target):
    """A forged ``next`` on revoke/renew falls back to the event page instead of leaving the site."""
    auth.login("agent")
    participant, _token = make_participant()
    base = f"/staff/events/{participant.event_id}/participants/{participant.id}"
    response = client.post(base + "/revoke", data={"next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/events/{participant.event_id}"


def test_participant_actions_keep_a_same_site_next(client, auth, make_participant):
    auth.login("agent")
    participant, _token = make_participant()
    base = f"/staff/events/{participant.event_id}/participants/{participant.id}"
    response = client.post(base + "/renew", data={"next": f"/staff/events/{participant.event_id}?page=2"})
    assert response.headers["Location"] == f"/staff/events/{participant.event_id}?page=2"
