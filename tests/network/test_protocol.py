"""The network check's protocol end to end: an aiortc client against the app's own peer."""

from __future__ import annotations

import asyncio
import gzip
import json

from sqlmodel import select

from preflight.checks.network import NetworkPayload
from preflight.db import session_scope
from preflight.models import CheckResult
from preflight.netrules import protocol as P
from preflight.netrules import stats
from preflight.netrules.summary import verify
from preflight.profiles import get_profile
from result_payloads import NETWORK_METRICS


def test_full_check_measures_both_directions_and_signs_the_server_figures(app, client, net, link, wait_no_live):
    participant, _ = link
    result = net.run("run-full-1", idle_s=1.0, phase_cap_s=2.5)
    assert result["state"] == "connected", result
    assert 0 < result["connect_ms"] < 5000
    assert result["rtt_ms"] is not None and result["rtt_ms"] < 50
    assert result["download_kbps"] > 1000
    assert result["probes_sent"]["0"] > 50
    record = result["server_record"]
    assert record["upload_kbps"] > 1000
    assert record["pid"] == participant.id and record["run"] == "run-full-1"
    assert record["loss_up_pct"] == 0.0
    assert record["down_connections"] == 1 and record["up_connections"] == 2
    # The echoes the server says it sent in the idle phase all arrived (loopback).
    assert result["echoes_recv"][str(P.PHASE_IDLE)] == record["echoes_sent"][str(P.PHASE_IDLE)]
    # No probe skipped on loopback, and the idle phase's probes came at its pace.
    skipped, silence_ms = record["probes_longest_gap"][str(P.PHASE_IDLE)]
    assert skipped == 0 and 0 < silence_ms < 1000
    with app.app_context():
        secret = app.config["SECRET_KEY"]
    assert verify(secret, result["server"], participant.id, "run-full-1") == record
    assert wait_no_live() == 0

    # Posted as the page would: the stored details keep the gaps for an operator.
    fields = NetworkPayload.model_validate({k: v for k, v in result.items() if k in NetworkPayload.model_fields})
    body = {"run_id": "run-full-1", "checks": {"network": fields.model_dump(exclude_none=True)}}
    assert client.post(f"/c/{net.token}/results", json=body).status_code == 200
    with app.app_context(), session_scope() as session:
        [stored] = session.exec(select(CheckResult).where(CheckResult.check == "network")).all()
        assert stored.values["details"]["server"]["probes_longest_gap"] == record["probes_longest_gap"]


def test_the_record_comes_as_the_upload_settles(net, wait_no_live, monkeypatch):
    """Not a round trip after the client's "done": the server signs as soon as the rate stands.
    Whether a loopback upload settles within its cap depends on the machine's load, so the
    server's rule says settled once two windows are in."""
    monkeypatch.setattr(stats, "phase_settled", lambda windows, rtt_ms, saturated_at: len(windows) >= 2)
    result = net.run("run-settle-1", idle_s=0.5, phase_cap_s=8.0, download=False)
    record = result["server_record"]
    assert record["upload_settled"] is True, record
    assert result["summary_phase"] == P.PHASE_UP
    assert "upload" not in result["timeouts"]
    # Echoes after the signing are tagged as not counting: the client's count of the upload
    # phase's echoes matches the record's (the download loss compares the two; loopback loses none).
    up = str(P.PHASE_UP)
    assert record["echoes_sent"].get(up, 0) > 0
    assert result["echoes_recv"].get(up, 0) == record["echoes_sent"][up]
    assert wait_no_live() == 0


def test_without_an_upload_the_record_comes_on_done(net, wait_no_live):
    result = net.run("run-no-up-1", download=False, upload=False)
    assert result["server_record"]["run"] == "run-no-up-1"
    assert result["summary_phase"] == P.PHASE_END
    assert wait_no_live() == 0


def test_a_gzipped_offer_is_answered_gzipped(app, net, link, wait_no_live):
    """The page gzips its offers and the answers come back compressed (docs/netlab.md: one flight
    of a new TCP window instead of three on a long round trip)."""
    _, token = link
    sizes = {}

    async def post_offer(body):
        def call():
            raw = json.dumps(body).encode()
            packed = gzip.compress(raw)
            sizes.update(raw=len(raw), packed=len(packed))
            response = app.test_client().post(
                f"/c/{token}/network/offer",
                data=packed,
                headers={"Content-Encoding": "gzip", "Accept-Encoding": "gzip", "Content-Type": "application/json"},
            )
            assert response.headers["Content-Encoding"] == "gzip"
            assert "Accept-Encoding" in response.headers["Vary"]
            sizes["answer"] = len(response.data)
            return response.status_code, dict(response.headers), json.loads(gzip.decompress(response.data))

        return await asyncio.get_running_loop().run_in_executor(None, call)

    net.post_offer = post_offer
    result = net.run("run-gzip-1", up=P.UP_CONNECTIONS_LONG_RTT, download=False, upload=False)
    assert result["state"] == "connected", result
    assert result["server_record"]["up_connections"] == P.UP_CONNECTIONS_LONG_RTT
    # 26 offers: well inside the first 14.6 KB of a new TCP window once gzipped.
    assert sizes["packed"] < sizes["raw"] / 2 and sizes["packed"] < 14_600
    assert sizes["answer"] < 14_600
    assert wait_no_live() == 0


def test_a_page_that_opens_its_channels_in_band_is_still_served(net, wait_no_live):
    """Pages loaded before the server negotiated channels out of band open them with DCEP."""
    result = net.run("run-in-band-1", idle_s=0.5, phase_cap_s=2.0, negotiated=False)
    assert result["state"] == "connected", result
    record = result["server_record"]
    assert record["down_connections"] == 1 and record["up_connections"] == 2
    assert record["upload_kbps"] > 1000 and result["download_kbps"] > 1000
    assert wait_no_live() == 0


def test_the_long_round_trip_plan_uploads_over_all_its_connections(net, wait_no_live):
    result = net.run("run-long-rtt-1", idle_s=0.5, phase_cap_s=2.0, download=False, up=P.UP_CONNECTIONS_LONG_RTT)
    assert result["state"] == "connected", result
    record = result["server_record"]
    assert record["up_connections"] == P.UP_CONNECTIONS_LONG_RTT
    assert record["upload_kbps"] > 1000
    assert wait_no_live() == 0


def test_signed_record_is_bound_to_participant_run_and_secret(app, net, link):
    participant, _ = link
    result = net.run("run-sign-1", download=False, upload=False)
    signed, secret = result["server"], app.config["SECRET_KEY"]
    assert verify(secret, signed, participant.id, "run-sign-1")
    assert verify(secret, signed, participant.id + 1, "run-sign-1") is None
    assert verify(secret, signed, participant.id, "run-sign-2") is None
    assert verify("another-secret-key-of-sufficient-length-000", signed, participant.id, "run-sign-1") is None
    assert verify(secret, signed[:-2] + "xx", participant.id, "run-sign-1") is None
    assert verify(secret, None, participant.id, "run-sign-1") is None


def test_rates_are_paced_to_the_cap(net):
    result = net.run("run-cap-1", idle_s=0.5, phase_cap_s=3.0)
    cap_wire = P.MAX_RATE_KBPS * (P.CHUNK_PAYLOAD_BYTES + P.PACKET_OVERHEAD_BYTES) / P.CHUNK_PAYLOAD_BYTES
    assert result["download_kbps"] <= cap_wire * 1.1
    assert result["server_record"]["upload_kbps"] <= cap_wire * 1.1


def test_an_operators_lower_cap_paces_both_directions_and_is_signed(app, net, client, link):
    # NETWORK_RATE_CAP_KBPS: the page learns the cap from /network/config (the reference client is
    # told it as the page would be), the server paces its download to it and signs it in the record.
    app.config["NETWORK_RATE_CAP_KBPS"] = 4000
    assert client.get(f"/c/{link[1]}/network/config").get_json()["rate_cap_kbps"] == 4000
    result = net.run("run-cap-2", idle_s=0.5, phase_cap_s=3.0, rate_cap_kbps=4000)
    cap_wire = 4000 * (P.CHUNK_PAYLOAD_BYTES + P.PACKET_OVERHEAD_BYTES) / P.CHUNK_PAYLOAD_BYTES
    record = result["server_record"]
    assert record["rate_cap_kbps"] == 4000
    assert 0.5 * cap_wire < result["download_kbps"] <= cap_wire * 1.1
    assert 0.5 * cap_wire < record["upload_kbps"] <= cap_wire * 1.1


def test_config_gives_no_ice_server_by_default(client, link):
    _, token = link
    data = client.get(f"/c/{token}/network/config").get_json()
    assert data["ice_servers"] == []
    assert (data["down"], data["up"]) == (P.DOWN_CONNECTIONS, P.UP_CONNECTIONS)
    # Long round trips: more upload connections, still within what the offer endpoint accepts.
    assert data["up_long_rtt"] == P.UP_CONNECTIONS_LONG_RTT <= P.MAX_BULK_CONNECTIONS
    assert data["long_rtt_ms"] == P.LONG_RTT_CONFIG_MS
    # A Zoom event fails above 400 ms idle: past that the page leaves out the loaded round trip.
    assert data["loaded_rtt_below_ms"] == get_profile("zoom").rtt_ms.fail == 400


def test_config_turns_a_shared_secret_into_ephemeral_turn_credentials(app, client, link):
    _, token = link
    app.config["ICE_SERVERS"] = [
        {"urls": "turn:turn.example.org:3478?transport=tcp", "secret": "s3cret"},
        {"urls": ["stun:stun.example.org"]},
    ]
    servers = client.get(f"/c/{token}/network/config").get_json()["ice_servers"]
    assert servers[0]["urls"] == ["turn:turn.example.org:3478?transport=tcp"]
    expiry, name = servers[0]["username"].split(":")
    assert int(expiry) > 0 and name.startswith("p")
    assert servers[0]["credential"] and "s3cret" not in servers[0]["credential"]
    assert servers[1] == {"urls": ["stun:stun.example.org"]}


def test_unknown_link_is_refused(client):
    assert client.post("/c/not-a-token/network/offer", json={}).status_code == 404
    assert client.get("/c/not-a-token/network/config").status_code == 404


def test_http_fallback_endpoints(client, link):
    _, token = link
    assert client.get(f"/c/{token}/network/http-ping").status_code == 204
    down = client.get(f"/c/{token}/network/http-down?bytes=300000")
    assert down.status_code == 200 and len(down.data) == 300000
    assert down.headers["Cache-Control"] == "no-store"
    assert len(client.get(f"/c/{token}/network/http-down?bytes=999999999").data) == 4 * 1024 * 1024
    up = client.post(f"/c/{token}/network/http-up", data=b"x" * 123456, content_type="application/octet-stream")
    assert up.get_json() == {"bytes": 123456}
    too_big = client.post(
        f"/c/{token}/network/http-up", data=b"x" * (4 * 1024 * 1024 + 1), content_type="application/octet-stream"
    )
    assert too_big.status_code == 400


def test_results_post_joins_the_server_record_and_stores_the_figures(app, client, net, link):
    from sqlmodel import select

    from preflight.db import session_scope
    from preflight.models import CheckResult
    from preflight.network.reference_client import page_payload

    participant, token = link
    result = net.run("run-store-0001", idle_s=1.0, phase_cap_s=2.0)
    body = {"run_id": "run-store-0001", "checks": {"network": page_payload(result)}}
    response = client.post(f"/c/{token}/results", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    judged = response.get_json()["results"]["network"]
    assert judged["verdict"] == "pass", judged
    assert judged["reason"] == "network_ok"
    metrics = judged["metrics"]
    assert metrics["upload_kbps"] == result["server_record"]["upload_kbps"]
    assert set(metrics) >= NETWORK_METRICS
    for name in ("rtt_ms", "upload_kbps", "download_kbps", "mos"):
        assert f'data-metric="{name}"' in judged["html"]
    with app.app_context(), session_scope() as session:
        stored = session.exec(select(CheckResult).where(CheckResult.check == "network")).one()
        assert stored.verdict == "pass"
        assert stored.values["metrics"]["download_kbps"] == metrics["download_kbps"]
        assert stored.values["details"]["server_measured"] is True
        # The fingerprint from aiortc's own nominated pair: prefixes and the path, never the full address.
        print_ = stored.values["details"]["fingerprint"]
        # The media path may be IPv4 (/24) or IPv6 (/48) where the machine has a global IPv6 address.
        assert print_["http"] == "127.0.0.0/24" and print_["media"].endswith(("/24", "/48"))
        assert print_["path"] in ("host", "srflx", "prflx", "relay") and print_["protocol"] == "udp"


def test_results_with_a_record_of_another_run_do_not_count(client, net, link):
    from preflight.network.reference_client import page_payload

    _, token = link
    result = net.run("run-store-0002", download=False, upload=False)
    body = {"run_id": "run-store-9999", "checks": {"network": page_payload(result)}}
    judged = client.post(f"/c/{token}/results", json=body).get_json()["results"]["network"]
    assert judged["reason"] == "measurement_incomplete"
    assert "upload_kbps" not in judged["metrics"]


def test_server_peers_use_only_the_stun_part_of_the_ice_servers():
    from preflight.network import ice

    servers = ice.resolve(
        [
            {"urls": ["turn:t.example.org:3478", "stun:t.example.org:3478"], "secret": "s"},
            {"urls": "turns:t.example.org:443"},
        ],
        "server",
    )
    aiortc_servers = ice.for_aiortc(servers)
    assert [s.urls for s in aiortc_servers] == [["stun:t.example.org:3478"]]
    assert ice.for_aiortc(ice.resolve([], "server")) == []
