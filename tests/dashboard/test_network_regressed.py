"""Staff see who came back on a worse network: the dashboard badge and filter, and the API's participant output."""

from __future__ import annotations

import pytest

from participant_runs import post_probe, post_run
from preflight.api.tokens import create_token
from preflight.db import session_scope
from preflight.models import StaffUser

HOME, CAFE = "203.0.113.7", "198.51.100.20"


@pytest.fixture
def scene(app, client, make_event, make_participant):
    """Three participants checked at home: one came back on a worse network, one on the same one, one never."""
    event = make_event(name="Town hall")
    people = {}
    for name in ("Wendy Worse", "Sam Same", "Nora None"):
        participant, token = make_participant(event=event, name=name)
        post_run(app, app.test_client(), participant, token, remote_addr=HOME)
        people[name] = (participant, token)
    worse = post_probe(app, app.test_client(), *people["Wendy Worse"], remote_addr=CAFE, rtt=200.0, path="relay")
    same = post_probe(app, app.test_client(), *people["Sam Same"], remote_addr=HOME)
    assert worse.get_json()["regressed"] and not same.get_json()["regressed"]
    return event, people


def test_dashboard_flags_and_filters_the_regressed(client, auth, scene):
    event, people = scene
    auth.login("agent")
    page = client.get(f"/staff/events/{event.id}/dashboard").get_data(as_text=True)
    assert page.count('data-probe="regressed"') == 1
    assert (
        "Different network, worse" in page and "media now relayed (TURN)" in page and "round trip much higher" in page
    )
    table = client.get(f"/staff/events/{event.id}/dashboard?network=regressed", headers={"HX-Request": "true"})
    text = table.get_data(as_text=True)
    assert "Wendy Worse" in text and "Sam Same" not in text and "Nora None" not in text
    wendy = people["Wendy Worse"][0]
    own = client.get(f"/staff/events/{event.id}/dashboard/participants/{wendy.id}").get_data(as_text=True)
    assert 'data-probe="regressed"' in own and "round trip much higher" in own
    sam = people["Sam Same"][0]
    assert "data-probe" not in client.get(f"/staff/events/{event.id}/dashboard/participants/{sam.id}").get_data(
        as_text=True
    )
    # Unknown filter values are ignored, never an error.
    assert client.get(f"/staff/events/{event.id}/dashboard?network=bogus").status_code == 200


def test_a_new_full_check_clears_the_flag(app, client, auth, scene):
    event, people = scene
    participant, token = people["Wendy Worse"]
    post_run(app, app.test_client(), participant, token, remote_addr=CAFE)
    auth.login("agent")
    page = client.get(f"/staff/events/{event.id}/dashboard").get_data(as_text=True)
    assert 'data-probe="regressed"' not in page


def test_api_participant_output_says_who_regressed(app, client, make_staff, scene):
    event, _ = scene
    agent = make_staff("agent")
    with app.app_context(), session_scope() as session:
        secret = create_token(session, session.get(StaffUser, agent.id), "test")[1]
    headers = {"Authorization": f"Bearer {secret}"}
    body = client.get(f"/api/events/{event.id}/participants", headers=headers).get_json()
    by_name = {p["name"]: p for p in body["items"]}
    assert by_name["Wendy Worse"]["network_regressed"] is True
    assert by_name["Wendy Worse"]["network_worse"] == ["relay_now", "rtt_higher"]
    assert by_name["Wendy Worse"]["network_changed"] is True
    assert by_name["Sam Same"]["network_regressed"] is False and by_name["Sam Same"]["network_changed"] is False
    assert by_name["Nora None"]["network_changed"] is None and by_name["Nora None"]["network_worse"] == []
    only = client.get(f"/api/events/{event.id}/participants?network=regressed", headers=headers).get_json()
    assert [p["name"] for p in only["items"]] == ["Wendy Worse"]
    assert client.get(f"/api/events/{event.id}/participants?network=bogus", headers=headers).status_code == 400
