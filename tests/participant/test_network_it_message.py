"""A network blocked by policy gets a message for the participant's IT team with the platform's ports."""

from __future__ import annotations

from participant_runs import network_payload
from result_payloads import PAYLOADS

from preflight.profiles import get_profile


def _post_network(client, token, network):
    body = {"run_id": "run-it-1", "checks": {"network": network}}
    response = client.post(f"/c/{token}/results", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]["network"]


def test_a_blocked_network_carries_the_platforms_ports_for_the_it_team(client, make_event, make_participant):
    event = make_event(platform="zoom")
    _, token = make_participant(event=event)
    result = _post_network(client, token, dict(PAYLOADS["network"]))  # nothing connects
    assert result["verdict"] == "fail" and result["reason"] in ("udp_blocked", "no_connection")
    html = result["html"]
    assert 'data-role="it-message"' in html and "A message for your IT team" in html
    assert "online event on Zoom" in html
    assert get_profile("zoom").media_ports in html  # the ports come from the platform profile


def test_the_message_is_in_the_participants_language(client, make_event, make_participant):
    event = make_event(platform="teams")
    _, token = make_participant(event=event, language="fr")
    html = _post_network(client, token, dict(PAYLOADS["network"]))["html"]
    assert "Un message pour votre service informatique" in html and "Microsoft Teams" in html


def test_a_good_network_carries_no_message(app, client, make_event, make_participant):
    event = make_event(platform="zoom")
    participant, token = make_participant(event=event)
    network = network_payload(app.config["SECRET_KEY"], participant.id, "run-it-1")
    result = _post_network(client, token, network)
    assert result["verdict"] == "pass" and 'data-role="it-message"' not in result["html"]
