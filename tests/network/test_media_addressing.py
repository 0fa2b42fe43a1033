"""MEDIA_PUBLIC_ADDRESS (the answer names the 1:1 NAT's public address) and MEDIA_UDP_PORTS (the
peers' sockets stay within a range; a full range is a full server). The same settings across a
real NAT are in test_nat_lab.py."""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time

import pytest
from aioice import stun
from aiortc import RTCConfiguration, RTCPeerConnection

from preflight.network.public_address import announce_public
from preflight.network.udp_ports import PortsExhausted, bind_in_range

ANSWER = (
    "v=0\r\n"
    "o=- 3912 3912 IN IP4 0.0.0.0\r\n"
    "s=-\r\n"
    "t=0 0\r\n"
    "m=application 40012 DTLS/SCTP 5000\r\n"
    "c=IN IP4 10.0.0.5\r\n"
    "a=mid:0\r\n"
    "a=candidate:a1 1 udp 2130706431 10.0.0.5 40012 typ host\r\n"
    "a=candidate:a2 1 udp 2130706431 172.17.0.1 40013 typ host\r\n"
    "a=candidate:a3 1 udp 2130706431 fd00::5 40014 typ host\r\n"
    "a=candidate:a4 1 udp 1694498815 198.51.100.9 40012 typ srflx raddr 10.0.0.5 rport 40012\r\n"
    "a=end-of-candidates\r\n"
)

CANDIDATE = re.compile(r"^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ (\w+)", re.MULTILINE | re.IGNORECASE)


def test_each_host_candidate_is_announced_at_the_public_address_with_its_own_port():
    answer = announce_public(ANSWER, ["203.0.113.7"])
    assert "a=candidate:a1 1 udp 2130706431 203.0.113.7 40012 typ host\r\n" in answer
    assert "a=candidate:a2 1 udp 2130706431 203.0.113.7 40013 typ host\r\n" in answer
    assert "c=IN IP4 203.0.113.7\r\n" in answer
    # The private addresses are gone (public_address.py says why); other families and types stay.
    assert "10.0.0.5 40012 typ host" not in answer and "172.17.0.1" not in answer
    assert "fd00::5 40014 typ host" in answer
    assert "198.51.100.9 40012 typ srflx raddr 10.0.0.5 rport 40012" in answer


def test_an_ipv6_public_address_maps_the_ipv6_candidates_only():
    answer = announce_public(ANSWER, ["203.0.113.7", "2001:db8::7"])
    assert "2001:db8::7 40014 typ host\r\n" in answer and "fd00::5" not in answer
    assert announce_public(ANSWER, ["2001:db8::7"]).count("2001:db8::7") == 1
    assert announce_public(ANSWER, []) == ANSWER


def _hold(ports: tuple[int, int]) -> list[socket.socket]:
    """Sockets on every port of ``ports``, IPv4 and IPv6, as other processes would hold them (OSError: one is taken)."""
    socks: list[socket.socket] = []
    try:
        for port in range(ports[0], ports[1] + 1):
            sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
            socks.append(sock)
            sock.bind(("0.0.0.0", port))
            if socket.has_ipv6:
                sock = socket.socket(socket.AF_INET6, socket.SOCK_DGRAM)
                socks.append(sock)
                sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_V6ONLY, 1)
                sock.bind(("::", port))
    except OSError:
        _release(socks)
        raise
    return socks


def _release(socks: list[socket.socket]) -> None:
    for sock in socks:
        sock.close()


def _free_range(size: int) -> tuple[int, int]:
    """A run of ``size`` ports free right now (others may still take one later: the binder skips it)."""
    for low in range(42000, 60000, size):
        try:
            _release(_hold((low, low + size - 1)))
        except OSError:
            continue
        return low, low + size - 1
    pytest.skip("no free run of UDP ports")


def _all_free_again(ports: tuple[int, int], timeout: float = 3.0) -> bool:
    """True once every port of ``ports`` can be bound again (closed transports let go on the next loop turn)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            _release(_hold(ports))
            return True
        except OSError:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)


def test_bind_in_range_skips_taken_ports_and_says_when_none_is_left():
    ports = _free_range(16)
    held = _hold((ports[0], ports[1] - 1))  # every port but the last
    try:
        sock = bind_in_range("127.0.0.1", ports)
        assert sock.getsockname()[1] == ports[1]
        with pytest.raises(PortsExhausted, match=f"{ports[0]}-{ports[1]}"):
            bind_in_range("127.0.0.1", ports)
        sock.close()
    finally:
        _release(held)


def _capture_answers(net, responses: list | None = None) -> list[str]:
    """The answers' SDP of every offer ``net`` posts from now on (and each response in ``responses``)."""
    seen: list[str] = []
    post = net.post_offer

    async def capturing(body, **kwargs):
        status, headers, data = await post(body, **kwargs)
        if responses is not None:
            responses.append((status, data))
        if status == 200:
            seen.extend(answer["sdp"] for answer in data["answers"])
        return status, headers, data

    net.post_offer = capturing
    return seen


def test_the_peers_bind_within_the_port_range_and_the_check_runs(app, net, wait_no_live):
    ports = _free_range(64)
    app.config["MEDIA_UDP_PORTS"] = ports
    seen = _capture_answers(net)
    result = net.run("run-ports-1")
    assert result["state"] == "connected", result
    assert result["server_record"]["upload_kbps"] > 0 and result["download_kbps"] > 0
    candidates = [m for sdp in seen for m in CANDIDATE.findall(sdp)]
    assert len(seen) == 4 and candidates  # ctl, one download and two upload connections (FAST)
    assert all(ports[0] <= int(port) <= ports[1] for _address, port, _type in candidates), candidates
    assert wait_no_live() == 0
    assert _all_free_again(ports)


def test_a_full_port_range_answers_503_like_a_full_server_and_leaks_nothing(app, net, wait_no_live, caplog):
    ports = _free_range(16)
    app.config["MEDIA_UDP_PORTS"] = ports
    held = _hold((ports[0], ports[1] - 2))  # room for the first connections, not for the whole check
    responses: list = []
    _capture_answers(net, responses)
    try:
        result = net.run("run-ports-full")
    finally:
        _release(held)
    assert result["state"] == "busy", result
    assert result["http_status"] == 503 and int(result["retry_after"]) >= 1
    assert responses == [(503, {"error": "busy", "message": "every network-check slot is busy; retry shortly"})]
    assert f"no free UDP port in {ports[0]}-{ports[1]}" in caplog.text  # the operator learns why
    assert wait_no_live() == 0
    assert _all_free_again(ports)  # the sockets bound before the range ran out were closed


async def _closed_offers() -> list[dict]:
    """Offers of peers closed at once: the answers can be read, nobody sends to the announced address."""
    offers = []
    for kind in ("ctl", "down", "up"):
        pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
        pc.createDataChannel(kind)
        await pc.setLocalDescription(await pc.createOffer())
        offers.append({"kind": kind, "sdp": pc.localDescription.sdp})
        await pc.close()
    return offers


def test_the_answer_announces_the_public_address_in_place_of_the_host_ones(app, client, link, wait_no_live):
    app.config["MEDIA_PUBLIC_ADDRESS"] = ["203.0.113.7"]
    offers = asyncio.run(_closed_offers())
    response = client.post(f"/c/{link[1]}/network/offer", json={"run_id": "run-public-1", "offers": offers})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    client.post(f"/c/{link[1]}/network/{body['session']}/close", json={"key": body["close_key"]})
    for answer in body["answers"]:
        hosts = [(address, int(port)) for address, port, kind in CANDIDATE.findall(answer["sdp"]) if kind == "host"]
        ipv4 = [(address, port) for address, port in hosts if ":" not in address]
        assert ipv4 and all(address == "203.0.113.7" for address, _port in ipv4), answer["sdp"]
        assert "c=IN IP4 203.0.113.7\r\n" in answer["sdp"]
    assert wait_no_live() == 0


class StunResponder:
    """A minimal STUN server on loopback: answers every binding request with the sender's address."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.asked: list[tuple[str, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                data, addr = self.sock.recvfrom(2048)
            except OSError:
                continue
            request = stun.parse_message(data)
            response = stun.Message(
                message_method=request.message_method,
                message_class=stun.Class.RESPONSE,
                transaction_id=request.transaction_id,
            )
            response.attributes["XOR-MAPPED-ADDRESS"] = addr
            self.asked.append(addr)
            self.sock.sendto(bytes(response), addr)

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


def test_with_a_port_range_and_stun_the_reflexive_candidates_come_from_the_confined_sockets(app, client, link):
    ports = _free_range(32)
    stun_server = StunResponder()
    app.config["MEDIA_UDP_PORTS"] = ports
    app.config["ICE_SERVERS"] = [{"urls": f"stun:127.0.0.1:{stun_server.port}"}]
    try:
        offers = asyncio.run(_closed_offers())
        response = client.post(f"/c/{link[1]}/network/offer", json={"run_id": "run-stun-1", "offers": offers})
        body = response.get_json()
        client.post(f"/c/{link[1]}/network/{body['session']}/close", json={"key": body["close_key"]})
    finally:
        stun_server.close()
    assert response.status_code == 200, body
    found = [m for answer in body["answers"] for m in CANDIDATE.findall(answer["sdp"])]
    srflx = [(address, int(port)) for address, port, kind in found if kind == "srflx"]
    assert srflx and all(ports[0] <= port <= ports[1] for _address, port in srflx), found
    assert stun_server.asked and all(ports[0] <= port <= ports[1] for _address, port in stun_server.asked)
