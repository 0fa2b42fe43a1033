"""The network fingerprint stored with each run, and the re-probe (``POST /c/<token>/probe``) compared with it."""

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from participant_runs import post_probe, post_run, probe_payload
from preflight.db import session_scope
from preflight.models import CheckResult, CheckRun, NetworkProbe, utcnow
from preflight.netrules import fingerprint as fp
from preflight.netrules.summary import sign
from result_payloads import PAYLOADS, server_record

HOME = "203.0.113.7"
CAFE = "198.51.100.20"


def _network_values(app, participant_id):
    with app.app_context(), session_scope() as session:
        result = session.exec(
            select(CheckResult)
            .join(CheckRun, CheckRun.id == CheckResult.run_id)
            .where(CheckRun.participant_id == participant_id, CheckResult.check == "network")
        ).one()
        return result.values


def _probe(app, participant_id):
    with app.app_context(), session_scope() as session:
        return session.exec(select(NetworkProbe).where(NetworkProbe.participant_id == participant_id)).first()


# ----- the fingerprint ----------------------------------------------------------------------


def test_prefixes_never_keep_the_full_address():
    assert fp.prefix("203.0.113.7") == "203.0.113.0/24"
    assert fp.prefix("2001:db8:abcd:12:1::5") == "2001:db8:abcd::/48"
    assert fp.prefix("::ffff:203.0.113.7") == "203.0.113.0/24"
    assert fp.prefix("fe80::1%eth0") == "fe80::/48"
    assert fp.prefix("not an address") is None and fp.prefix(None) is None


def test_worse_needs_both_rtt_limits_and_compares_only_known_figures():
    then = {"http": "a", "path": "host", "relay": False, "rtt_ms": 20.0, "download_kbps": 20000.0}
    assert fp.worse(then, {"rtt_ms": 60.0}, 2, 50, 0.5) == []  # tripled, but only 40 ms more
    assert fp.worse(then, {"rtt_ms": 80.0}, 2, 50, 0.5) == ["rtt_higher"]
    assert fp.worse(then, {"rtt_ms": 20.0, "path": "relay", "relay": True}, 2, 50, 0.5) == ["relay_now"]
    assert fp.worse(then, {"download_kbps": 5000.0}, 2, 50, 0.5) == ["rate_lower"]
    assert fp.worse({**then, "relay": True, "path": "relay"}, {"path": "relay", "relay": True}, 2, 50, 0.5) == []


def test_each_run_stores_the_servers_fingerprint_without_full_addresses(app, client, make_participant):
    participant, token = make_participant()
    post_run(app, client, participant, token, checks=("network",), remote_addr=HOME)
    values = _network_values(app, participant.id)
    assert values["details"]["fingerprint"] == {
        "v": 1,
        "http": "203.0.113.0/24",
        "media": "10.0.0.0/24",  # the media path's address, from the server's signed record
        "path": "host",
        "protocol": None,  # records signed before the transport was recorded
        "relay": False,
    }
    assert values["metrics"]["rtt_ms"] == 20.0
    text = json.dumps(values)
    assert HOME not in text and "10.0.0.2" not in text


def test_ipv6_clients_are_kept_to_a_48(app, client, make_participant):
    participant, token = make_participant()
    post_run(app, client, participant, token, checks=("network",), remote_addr="2001:db8:abcd:12::99")
    assert _network_values(app, participant.id)["details"]["fingerprint"]["http"] == "2001:db8:abcd::/48"


def test_the_page_cannot_choose_its_fingerprint(app, client, make_participant):
    """A forged record (another secret) gives no media part; the page's own ``selected`` claims never count."""
    participant, token = make_participant()
    run_id = "run-forged-000001"
    network = probe_payload("not-the-secret", participant.id, run_id, path="relay")
    network["selected"] = {"local_type": "relay", "remote_type": "host", "protocol": "udp", "relay_protocol": "udp"}
    response = client.post(
        f"/c/{token}/results",
        json={"run_id": run_id, "checks": {"network": network}},
        environ_base={"REMOTE_ADDR": HOME},
    )
    assert response.status_code == 200
    print_ = _network_values(app, participant.id)["details"]["fingerprint"]
    assert print_["http"] == "203.0.113.0/24"
    assert (print_["media"], print_["path"], print_["relay"]) == (None, None, False)


# ----- the re-probe -------------------------------------------------------------------------


def test_same_network_says_so_and_flags_nothing(app, client, make_participant):
    participant, token = make_participant()
    post_run(app, client, participant, token, remote_addr=HOME)
    response = post_probe(app, client, participant, token, remote_addr="203.0.113.99", rtt=25.0)
    assert response.status_code == 200, response.get_data(as_text=True)
    data = response.get_json()
    assert (data["changed"], data["worse"], data["regressed"]) == (False, [], False)
    assert "same network" in data["message"]
    probe = _probe(app, participant.id)
    assert probe.regressed is False and probe.fingerprint["http"] == "203.0.113.0/24"


def test_different_and_worse_network_is_told_plainly(app, client, make_participant):
    participant, token = make_participant()
    post_run(app, client, participant, token, remote_addr=HOME)
    response = post_probe(app, client, participant, token, remote_addr=CAFE, rtt=180.0, path="relay", addr="192.0.2.9")
    data = response.get_json()
    assert (data["changed"], data["worse"], data["regressed"]) == (True, ["relay_now", "rtt_higher"], True)
    assert "different network than when you tested" in data["message"]
    assert "relay server" in data["message"] and "180 ms, it was 20 ms" in data["message"]
    assert "run the full check again" in data["message"]
    probe = _probe(app, participant.id)
    assert probe.fingerprint["media"] == "192.0.2.0/24" and probe.fingerprint["relay"] is True
    assert CAFE not in json.dumps(probe.fingerprint) and "192.0.2.9" not in json.dumps(probe.fingerprint)


def test_different_but_not_worse_still_suggests_the_full_check(app, client, make_participant):
    participant, token = make_participant()
    post_run(app, client, participant, token, remote_addr=HOME)
    data = post_probe(app, client, participant, token, remote_addr=CAFE).get_json()
    assert (data["changed"], data["regressed"]) == (True, False)
    assert "does not look worse" in data["message"] and "full check again" in data["message"]


def test_probe_that_cannot_connect_is_worse(app, client, make_participant):
    participant, token = make_participant()
    post_run(app, client, participant, token, remote_addr=HOME)
    body = {"run_id": "probe-failed-0001", "checks": {"network": {"state": "failed", "timeouts": ["connect"]}}}
    data = client.post(f"/c/{token}/probe", json=body, environ_base={"REMOTE_ADDR": HOME}).get_json()
    assert data["worse"] == ["no_connection"] and data["regressed"] is True
    assert "could not connect" in data["message"]


@pytest.mark.parametrize("state", ["unsupported", "no_candidates", "busy", "rejected"])
def test_a_probe_that_never_tried_the_network_cannot_tell(app, client, make_participant, state):
    # A browser without WebRTC (WebKitGTK here), WebRTC switched off, or a full server: saying
    # "worse" would be a false network verdict, and staff would see "Network worse".
    participant, token = make_participant()
    post_run(app, client, participant, token, remote_addr=HOME)
    body = {"run_id": "probe-nowebrtc-01", "checks": {"network": {"state": state}}}
    data = client.post(f"/c/{token}/probe", json=body, environ_base={"REMOTE_ADDR": HOME}).get_json()
    assert (data["changed"], data["worse"], data["regressed"]) == (None, [], False)
    assert "could not tell" in data["message"]


def test_probe_is_not_a_run_and_a_new_check_replaces_it(app, client, make_participant):
    participant, token = make_participant()
    post_run(app, client, participant, token, remote_addr=HOME)
    post_probe(app, client, participant, token, remote_addr=CAFE, rtt=300.0)
    with app.app_context(), session_scope() as session:
        assert len(session.exec(select(CheckRun).where(CheckRun.participant_id == participant.id)).all()) == 1
    assert _probe(app, participant.id).regressed is True
    post_run(app, client, participant, token, remote_addr=CAFE)
    assert _probe(app, participant.id) is None
    # A run without a network result leaves the probe alone.
    post_probe(app, client, participant, token, remote_addr=CAFE, rtt=300.0)
    post_run(app, client, participant, token, checks=("camera",))
    assert _probe(app, participant.id) is not None


def test_compares_with_the_last_complete_network_check(app, client, make_participant):
    """A later run whose network step did not connect is not the baseline."""
    participant, token = make_participant()
    post_run(app, client, participant, token, remote_addr=HOME)
    failed = {"run_id": "run-failed-00001", "checks": {"network": {"state": "failed"}}}
    assert client.post(f"/c/{token}/results", json=failed, environ_base={"REMOTE_ADDR": CAFE}).status_code == 200
    data = post_probe(app, client, participant, token, remote_addr=HOME).get_json()
    assert data["changed"] is False


def test_nothing_to_compare_without_a_complete_check(app, client, make_participant):
    participant, token = make_participant()
    response = post_probe(app, client, participant, token)
    assert response.status_code == 409 and response.get_json()["error"] == "nothing_to_compare"
    post_run(app, client, participant, token, checks=("camera",))
    assert post_probe(app, client, participant, token).status_code == 409


def test_bad_probes_get_clear_errors(app, client, make_participant):
    participant, token = make_participant()
    post_run(app, client, participant, token)
    url = f"/c/{token}/probe"
    assert client.post(url, data="{", content_type="application/json").status_code == 400
    assert client.post(url, data="x", content_type="text/plain").status_code == 415
    assert client.post(url, json=[]).status_code == 400
    assert client.post(url, json={"run_id": "probe-1234567890", "checks": {}}).status_code == 400
    both = {"run_id": "probe-1234567890", "checks": {"network": {"state": "failed"}, "speakers": PAYLOADS["speakers"]}}
    response = client.post(url, json=both)
    assert response.status_code == 400 and response.get_json()["details"][0]["loc"] == "checks"
    bad = {"run_id": "probe-1234567890", "checks": {"network": {"state": "teleported"}}}
    assert client.post(url, json=bad).status_code == 400
    unknown = {"run_id": "probe-1234567890", "checks": {"network": {"state": "connected", "ip": "1.2.3.4"}}}
    assert client.post(url, json=unknown).status_code == 400
    assert (
        client.post(url, data=b"x" * (app.config["MAX_RESULT_BYTES"] + 1), content_type="application/json").status_code
        == 413
    )
    assert client.post("/c/not-a-token/probe", json={}).status_code == 404
    assert _probe(app, participant.id) is None


def test_a_record_of_another_run_gives_no_media_part(app, client, make_participant):
    participant, token = make_participant()
    post_run(app, client, participant, token, remote_addr=HOME)
    network = probe_payload(app.config["SECRET_KEY"], participant.id, "probe-other-00001", path="relay")
    network["server"] = sign(
        app.config["SECRET_KEY"],
        server_record(
            participant.id,
            "probe-other-00001",
            session=network["session"],
            ice_remote={"addr": "192.0.2.9", "type": "relay"},
        ),
    )
    body = {"run_id": "probe-this-000001", "checks": {"network": network}}
    data = client.post(f"/c/{token}/probe", json=body, environ_base={"REMOTE_ADDR": HOME}).get_json()
    assert data["worse"] == [] and data["changed"] is False
    assert _probe(app, participant.id).fingerprint["media"] is None


def test_check_page_offers_the_reprobe_only_after_an_older_complete_check(app, client, make_participant):
    participant, token = make_participant()
    assert b"data-reprobe" not in client.get(f"/c/{token}").data  # nothing to compare with
    post_run(app, client, participant, token, checks=("camera",), at=utcnow() - timedelta(minutes=30))
    assert b"data-reprobe" not in client.get(f"/c/{token}").data  # no network check yet
    recent, recent_token = make_participant()
    post_run(app, client, recent, recent_token)
    assert b"data-reprobe" not in client.get(f"/c/{recent_token}").data  # just tested: nothing to offer
    post_run(app, client, participant, token, at=utcnow() - timedelta(minutes=30))
    page = client.get(f"/c/{token}")
    assert b"data-reprobe" in page.data and f"/c/{token}/probe".encode() in page.data
