"""A network blocked by policy gets a message for the participant's IT team: the platform's hosts and ports,
and the hosts, ports and protocols this test itself needs, in the participant's language."""

from __future__ import annotations

import pytest
from participant_runs import network_payload
from result_payloads import PAYLOADS

from preflight.profiles import PROFILES, get_profile
from preflight.profiles.platforms import HOSTS_NOT_IN_SOURCES, HOSTS_SELF_HOSTED

TURN_PASSWORD = "turn-pass-7c1e"
TURN_SECRET = "turn-rest-secret-93ab"


def _post_network(client, token, network, run_id="run-it-1"):
    body = {"run_id": run_id, "checks": {"network": network}}
    response = client.post(f"/c/{token}/results", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["results"]["network"]


def _udp_blocked():
    """What the page sends when WebRTC fails while plain HTTPS works (the firewall case)."""
    return dict(PAYLOADS["network"], http={"ok": True, "rtt_ms": 40.0, "down_kbps": 3000.0})


@pytest.fixture
def deployed(app_config):
    """A server as an operator runs it: a public name, a fixed media UDP range, TURN with credentials.

    Request it before ``client`` so the app is built with these settings.
    """
    app_config.update(
        BASE_URL="https://preflight.example.org",
        MEDIA_UDP_PORTS="40000-40999",
        ICE_SERVERS=[
            {"urls": "stun:stun.example.org:3478"},
            {
                "urls": ["turn:turn.example.org:3478?transport=udp", "turns:turn.example.org:443?transport=tcp"],
                "username": "turn-user-5d2f",
                "credential": TURN_PASSWORD,
            },
            {"urls": "turn:relay.example.net", "secret": TURN_SECRET},
        ],
    )
    return app_config


def test_a_blocked_network_carries_the_platforms_ports_for_the_it_team(client, make_event, make_participant):
    event = make_event(platform="zoom")
    _, token = make_participant(event=event)
    result = _post_network(client, token, dict(PAYLOADS["network"]))  # nothing connects
    assert result["verdict"] == "fail" and result["reason"] in ("udp_blocked", "no_connection")
    html = result["html"]
    assert 'data-role="it-message"' in html and "A message for your IT team" in html
    assert "online event on Zoom" in html
    # The ports come from the platform profile, written language-neutrally as on the requirements page.
    assert "UDP 8801–8810, 3478–3479" in html and "TCP 443, 8801, 8802" in html


@pytest.mark.parametrize("key", sorted(PROFILES))
def test_every_platform_profiles_hosts_reach_the_it_team(client, make_event, make_participant, key):
    profile = get_profile(key)
    event = make_event(platform=key)
    _, token = make_participant(event=event)
    result = _post_network(client, token, _udp_blocked())
    assert (result["verdict"], result["reason"]) == ("fail", "udp_blocked")
    html = result["html"]
    assert 'data-role="it-text"' in html
    for host in profile.media_hosts:
        assert f"<code>{host}</code>" in html
    if key == "generic":  # no platform named: only what the test needs
        assert "Hosts:" not in html and "For this connection test:" in html
        assert "Could you allow the following, which the test needs?" in html
    else:
        assert f"For {profile.label}:" in html
        if profile.media_hosts_note == HOSTS_SELF_HOSTED:  # the event's own server: no host to invent
            assert f"Hosts: the event&#39;s own {profile.label} server" in html
        elif not profile.media_hosts:  # no host in the sources: said so, not invented
            assert profile.media_hosts_note == HOSTS_NOT_IN_SOURCES
            assert f"Hosts: as listed in the network requirements {profile.label} publishes" in html


def test_the_test_servers_own_hosts_are_listed_without_credentials(deployed, client, make_event, make_participant):
    event = make_event(platform="goto")
    _, token = make_participant(event=event)
    response = client.post(f"/c/{token}/results", json={"run_id": "run-it-2", "checks": {"network": _udp_blocked()}})
    assert response.status_code == 200
    answer = response.get_data(as_text=True)
    html = response.get_json()["results"]["network"]["html"]
    assert "<code>preflight.example.org</code>: <code>TCP 443 (HTTPS)</code>" in html
    assert "<code>preflight.example.org</code>: <code>UDP 40000-40999</code>" in html
    assert "<code>turn.example.org</code>: <code>UDP 3478</code>" in html
    assert "<code>turn.example.org</code>: <code>TCP 443 (TLS)</code>" in html
    assert "<code>relay.example.net</code>: <code>UDP 3478</code>" in html
    assert "<code>stun.example.org</code>: <code>UDP 3478</code>" in html
    assert "<code>*.goto-rtc.com</code>" in html  # the platform's part is still there
    for secret in (TURN_PASSWORD, TURN_SECRET, "turn-user-5d2f"):
        assert secret not in answer


def test_without_a_media_range_the_message_says_any_udp_port(client, make_event, make_participant):
    _, token = make_participant(event=make_event(platform="generic"))
    html = _post_network(client, token, _udp_blocked())["html"]
    assert "<code>localhost</code>: <code>TCP 80</code>" in html  # the suite's BASE_URL, http://localhost
    assert "<code>localhost</code>: <code>UDP</code>, any port" in html


def test_the_message_is_in_the_participants_language(client, make_event, make_participant):
    event = make_event(platform="teams")
    _, token = make_participant(event=event, language="fr")
    html = _post_network(client, token, dict(PAYLOADS["network"]))["html"]
    assert "Un message pour votre service informatique" in html and "Microsoft Teams" in html


def test_in_german_the_host_names_stay_as_they_are(client, make_event, make_participant):
    event = make_event(platform="zoom")
    _, token = make_participant(event=event, language="de")
    html = _post_network(client, token, _udp_blocked())["html"]
    assert "Eine Nachricht für Ihre IT-Abteilung" in html
    assert "Guten Tag, ich nehme an einer Online-Veranstaltung über Zoom teil" in html
    assert "<code>*.zoom.us</code>, <code>*.zoom.com</code>" in html
    assert "<code>localhost</code>" in html


def test_a_good_network_carries_no_message(app, client, make_event, make_participant):
    event = make_event(platform="zoom")
    participant, token = make_participant(event=event)
    network = network_payload(app.config["SECRET_KEY"], participant.id, "run-it-1")
    result = _post_network(client, token, network)
    assert result["verdict"] == "pass"
    assert 'data-role="it-message"' not in result["html"] and "*.zoom.us" not in result["html"]


def test_staff_see_the_message_to_copy_in_the_participants_language(
    deployed, client, auth, make_event, make_participant
):
    event = make_event(platform="zoom")
    participant, token = make_participant(event=event, language="de")
    _post_network(client, token, _udp_blocked())
    auth.login("agent")
    page = client.get(f"/staff/events/{event.id}/dashboard/participants/{participant.id}").get_data(as_text=True)
    assert 'data-role="it-message"' in page and 'data-action="copy-it-message"' in page
    assert 'lang="de"' in page and "Guten Tag" in page
    assert "<code>*.zoom.us</code>" in page and "<code>preflight.example.org</code>" in page
    # The copy button carries the same message as plain text.
    assert 'data-copy="Guten Tag' in page and "Hosts: *.zoom.us, *.zoom.com" in page
    for secret in (TURN_PASSWORD, TURN_SECRET, "turn-user-5d2f"):
        assert secret not in page


def test_staff_see_no_message_for_a_good_network(app, client, auth, make_event, make_participant):
    event = make_event(platform="zoom")
    participant, token = make_participant(event=event)
    _post_network(client, token, network_payload(app.config["SECRET_KEY"], participant.id, "run-it-1"))
    auth.login("agent")
    page = client.get(f"/staff/events/{event.id}/dashboard/participants/{participant.id}").get_data(as_text=True)
    assert 'data-role="it-message"' not in page and 'data-action="copy-it-message"' not in page
