"""Browsers that hide their host address behind an mDNS name still connect (issue: Firefox said
"UDP blocked" on an open path whenever the page held no camera or microphone permission)."""

from __future__ import annotations

import asyncio
import re
import uuid

from preflight.network.hidden_hosts import reveal_hidden_hosts
from preflight.network.reference_client import Plan, run_check

FIREFOX_LINES = (
    "a=candidate:0 1 UDP 2122252543 e6a99117-64f5-459d-a4bf-e4e66bd14f95.local 53775 typ host\r\n"
    "a=candidate:1 1 TCP 2105524479 e6a99117-64f5-459d-a4bf-e4e66bd14f95.local 9 typ host tcptype active\r\n"
)
CHROMIUM_LINE = (
    "a=candidate:3 1 udp 2113937151 5f1c8a8e-2b7d-4c1e-9b3a-0d6c1e2f3a4b.local 61234 typ host generation 0\r\n"
)


def test_a_hidden_udp_host_candidate_gets_the_browser_address():
    revealed = reveal_hidden_hosts(FIREFOX_LINES + CHROMIUM_LINE, "203.0.113.7")
    assert "a=candidate:0 1 UDP 2122252543 203.0.113.7 53775 typ host\r\n" in revealed
    assert "a=candidate:3 1 udp 2113937151 203.0.113.7 61234 typ host generation 0\r\n" in revealed
    # TCP candidates are not used by the server's peer: left as they are.
    assert "TCP 2105524479 e6a99117-64f5-459d-a4bf-e4e66bd14f95.local 9 typ host tcptype active" in revealed


def test_addresses_in_every_form_and_none():
    assert "[::1]" not in reveal_hidden_hosts(CHROMIUM_LINE, "2001:db8::7")
    assert " 2001:db8::7 61234 typ host" in reveal_hidden_hosts(CHROMIUM_LINE, "2001:db8::7")
    assert " 192.0.2.1 61234 typ host" in reveal_hidden_hosts(CHROMIUM_LINE, "::ffff:192.0.2.1")
    for unknown in (None, "", "not-an-address", "unix:/run/socket"):
        assert reveal_hidden_hosts(CHROMIUM_LINE, unknown) == CHROMIUM_LINE


def test_other_candidates_are_untouched():
    lines = (
        "a=candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host\r\n"
        "a=candidate:2 1 udp 1686052607 198.51.100.4 50000 typ srflx raddr 0.0.0.0 rport 0\r\n"
        "a=candidate:4 1 udp 41885439 turn.example.local 3478 typ relay raddr 0.0.0.0 rport 0\r\n"
    )
    assert reveal_hidden_hosts(lines, "203.0.113.7") == lines


def hide_host_candidates(sdp: str) -> str:
    """The offer as a browser without capture permission writes it: host addresses behind mDNS names."""
    return re.sub(
        r"^(a=candidate:\S+ \d+ udp \d+ )(\S+)( \d+ typ host)",
        lambda m: f"{m.group(1)}{uuid.uuid4()}.local{m.group(3)}",
        sdp,
        flags=re.MULTILINE | re.IGNORECASE,
    )


def test_a_page_with_hidden_host_candidates_connects_and_measures(net, wait_no_live):
    """Every candidate of every offer hidden, as in Firefox without a capture permission: the server
    cannot resolve the names, yet the check connects (the page's checks arrive as peer-reflexive)."""
    seen = []

    async def post_hidden(body, **kwargs):
        for offer in body["offers"]:
            offer["sdp"] = hide_host_candidates(offer["sdp"])
            seen.append(offer["sdp"])
        return await net.post_offer(body, **kwargs)

    result = asyncio.run(
        run_check(post_hidden, "run-hidden-1", Plan(idle_s=0.6, phase_cap_s=1.2, connect_s=5.0, down=1, up=2))
    )
    assert seen and all(".local " in sdp and " typ host" in sdp for sdp in seen)
    assert result["state"] == "connected", result
    assert result["server_record"]["upload_kbps"] > 0
    assert result["download_kbps"] > 0
