"""Limits: the concurrency cap (503 + Retry-After), the hard time limit, timeouts, closing."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from aiortc import RTCPeerConnection

from preflight.network.registry import REGISTRY, live_checks
from preflight.network.session import CheckSession


async def _offers() -> tuple[list[RTCPeerConnection], list[dict]]:
    pcs, offers = [], []
    for kind in ["ctl", "down", "up"]:
        pc = RTCPeerConnection()
        pc.createDataChannel(kind)
        await pc.setLocalDescription(await pc.createOffer())
        pcs.append(pc)
        offers.append({"kind": kind, "sdp": pc.localDescription.sdp})
    for pc in pcs:
        await pc.close()
    return pcs, offers


@pytest.fixture
def offers():
    """Offers whose peers never answer back (the server waits for a connection that never comes)."""
    return asyncio.run(_offers())[1]


@pytest.fixture
def reasons(monkeypatch):
    """Why each session of the test was closed, in order."""
    seen: list[str] = []
    original = CheckSession.close

    async def close(self, reason="closed"):
        if not self.closed.is_set():
            seen.append(reason)
        await original(self, reason)

    monkeypatch.setattr(CheckSession, "close", close)
    return seen


def _post(client, token, offers, run_id="run-limit-1"):
    return client.post(f"/c/{token}/network/offer", json={"run_id": run_id, "offers": offers})


def test_full_server_answers_503_with_retry_after_then_admits_again(
    app, client, link, offers, fast_server, wait_no_live, make_participant
):
    app.config["MAX_CONCURRENT_CHECKS"] = 1
    first = _post(client, link[1], offers)
    assert first.status_code == 200
    _other, other_token = make_participant()
    rejected_before = _sample("preflight_network_checks_rejected_total", reason="busy")
    busy = _post(client, other_token, offers)
    assert busy.status_code == 503
    assert busy.get_json()["error"] == "busy"
    assert _sample("preflight_network_checks_rejected_total", reason="busy") == rejected_before + 1
    assert _sample("preflight_network_checks_live") >= 1
    assert 1 <= int(busy.headers["Retry-After"]) <= 30
    assert live_checks() == 1
    # The unanswered check times out (connect timeout), which frees the slot.
    finished_before = _sample("preflight_network_check_duration_seconds_count")
    assert wait_no_live(5) == 0
    assert _sample("preflight_network_check_duration_seconds_count") == finished_before + 1
    assert _post(client, link[1], offers).status_code == 200


def _sample(name, **labels):
    """This process's current value of one metric (issue 17), 0 when never set."""
    from prometheus_client import REGISTRY

    return REGISTRY.get_sample_value(name, labels) or 0


def test_zero_slots_means_always_busy(app, client, link, offers):
    app.config["MAX_CONCURRENT_CHECKS"] = 0
    response = _post(client, link[1], offers)
    assert response.status_code == 503 and response.headers["Retry-After"].isdigit()
    assert live_checks() == 0


def test_busy_client_reports_busy(app, net):
    app.config["MAX_CONCURRENT_CHECKS"] = 0
    result = net.run("run-busy-1")
    assert result["state"] == "busy" and result["http_status"] == 503


def test_concurrent_checks_up_to_the_limit(app, wait_no_live, net_for):
    app.config["MAX_CONCURRENT_CHECKS"] = 3
    results = {}
    clients = [net_for() for _ in range(4)]

    def one(i):
        results[i] = clients[i].run(f"run-conc-{i}", idle_s=1.5, download=False, upload=False, down=1, up=1)

    threads = [threading.Thread(target=one, args=(i,)) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    states = sorted(r["state"] for r in results.values())
    assert states == ["busy", "connected", "connected", "connected"]
    assert wait_no_live() == 0


def test_connect_timeout_closes_the_peers(client, link, offers, fast_server, reasons, wait_no_live):
    assert _post(client, link[1], offers).status_code == 200
    assert wait_no_live(5) == 0
    assert reasons == ["connect_timeout"]


def test_hard_time_limit_closes_a_running_check(app, net, reasons, wait_no_live):
    app.config["CHECK_TIME_LIMIT"] = 1
    started = time.monotonic()
    result = net.run("run-limit-2", idle_s=2.5, download=False, upload=False, summary_s=1.0)
    assert reasons == ["time_limit"]
    assert "summary" in result["timeouts"]  # the server was gone before the page asked for its record
    assert time.monotonic() - started < 8
    assert wait_no_live() == 0


def test_silent_page_is_dropped(net, fast_server, reasons, wait_no_live):
    result = net.run("run-silent-1", stall_s=3.0)
    assert result["state"] == "connected"
    assert reasons[0] == "page_silent"
    assert wait_no_live() == 0


def test_closing_the_page_closes_the_peer(net, reasons, wait_no_live):
    started = time.monotonic()
    net.run("run-close-1", stall_s=0.1)
    assert wait_no_live(5) == 0
    assert reasons and reasons[0] in ("page_closed", "connection_closed", "connection_failed")
    assert time.monotonic() - started < 6


def test_close_endpoint_needs_the_session_key(app, client, link, offers, reasons, wait_no_live):
    data = _post(client, link[1], offers).get_json()
    url = f"/c/{link[1]}/network/{data['session']}/close"
    assert client.post(url, json={"key": "wrong"}).status_code == 204
    assert live_checks() == 1
    assert client.post(url, data=b"not json").status_code == 204
    assert live_checks() == 1
    assert client.post(url, json={"key": data["close_key"]}).status_code == 204
    assert wait_no_live(2) == 0
    assert reasons == ["page_request"]


@pytest.mark.csrf
def test_close_endpoint_works_without_csrf_header_like_send_beacon(app, client, link, offers, wait_no_live):
    # The offer itself needs the CSRF token; fetch the page's token the way the page does.
    app.config["WTF_CSRF_ENABLED"] = False
    data = _post(client, link[1], offers).get_json()
    app.config["WTF_CSRF_ENABLED"] = True
    url = f"/c/{link[1]}/network/{data['session']}/close"
    assert client.post(url, json={"key": data["close_key"]}).status_code == 204
    assert wait_no_live(2) == 0
    assert _post(client, link[1], offers).status_code == 400  # CSRF still guards the offer


def test_server_caps_the_download_phase(net, fast_server, wait_no_live):
    # The page keeps measuring for 3 s, the server stops sending after its 1 s cap.
    result = net.run("run-cap-2", idle_s=0.3, phase_cap_s=3.0, upload=False)
    windows = result["download_windows"]
    assert windows and windows[-1] < 500  # only echoes after the server's cap
    assert wait_no_live() == 0


def test_shutdown_closes_every_peer(app, client, link, offers, reasons):
    from preflight.network.host import get_host

    assert _post(client, link[1], offers).status_code == 200
    assert len(REGISTRY) == 1
    get_host().shutdown()
    assert not get_host().running
    assert reasons == ["shutdown"]
    assert live_checks() == 0
    # The loop starts again on the next request (as after a fork).
    assert _post(client, link[1], offers).status_code == 200
    assert get_host().running


def test_a_new_offer_from_the_same_link_replaces_its_running_check(app, client, link, offers, reasons, wait_no_live):
    """One link posting offers in a loop holds one slot, never all of them."""
    app.config["MAX_CONCURRENT_CHECKS"] = 2
    for n in range(5):
        assert _post(client, link[1], offers, run_id=f"run-loop-{n}").status_code == 200
        assert live_checks() == 1
    assert reasons.count("replaced") == 4
    sessions = list(REGISTRY.sessions.values())
    assert [s.run_id for s in sessions] == ["run-loop-4"]


def test_one_address_gets_a_share_of_the_slots(app, client, offers, make_participant, wait_no_live):
    app.config.update(MAX_CONCURRENT_CHECKS=6, MAX_CHECKS_PER_ADDRESS=2)
    tokens = [make_participant()[1] for _ in range(4)]
    assert _post(client, tokens[0], offers).status_code == 200
    assert _post(client, tokens[1], offers).status_code == 200
    third = _post(client, tokens[2], offers)
    assert third.status_code == 503 and third.headers["Retry-After"].isdigit()
    elsewhere = client.post(
        f"/c/{tokens[3]}/network/offer",
        json={"run_id": "run-limit-9", "offers": offers},
        environ_base={"REMOTE_ADDR": "198.51.100.7"},
    )
    assert elsewhere.status_code == 200
    assert live_checks() == 3


def test_an_offer_asking_for_more_connections_than_the_page_uses_is_refused(client, link, offers):
    from preflight.netrules import protocol as P

    ctl, down, up = offers
    too_many_down = [ctl] + [down] * (P.DOWN_CONNECTIONS + 1) + [up]
    response = _post(client, link[1], too_many_down)
    assert response.status_code == 400 and "down" in response.get_json()["message"]
    too_many_up = [ctl, down] + [up] * (P.UP_CONNECTIONS_LONG_RTT + 1)
    assert _post(client, link[1], too_many_up).status_code == 400
    assert live_checks() == 0
