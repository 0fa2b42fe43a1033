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
    # A hidden TCP candidate is taken out: the server's peer speaks ICE over UDP only, and aioice
    # would wait a second per connection trying to resolve its name.
    assert "TCP" not in revealed and ".local" not in revealed
    assert reveal_hidden_hosts(FIREFOX_LINES, None) == FIREFOX_LINES.splitlines(keepends=True)[0]


def test_addresses_in_every_form_and_none():
    assert "[::1]" not in reveal_hidden_hosts(CHROMIUM_LINE, "2001:db8::7")
    assert " 2001:db8::7 61234 typ host" in reveal_hidden_hosts(CHROMIUM_LINE, "2001:db8::7")
    assert " 192.0.2.1 61234 typ host" in reveal_hidden_hosts(CHROMIUM_LINE, "::ffff:192.0.2.1")
    for unknown in (None, "", "not-an-address", "unix:/run/socket"):
        assert reveal_hidden_hosts(CHROMIUM_LINE, unknown) == CHROMIUM_LINE


def test_other_candidates_are_untouched():
    lines = (
        "a=candidate:1 1 udp 2122260223 192.168.1.20 50000 typ host\r\n"
        "a=candidate:5 1 tcp 2105524479 192.168.1.20 9 typ host tcptype active\r\n"
        "a=candidate:2 1 udp 1686052607 198.51.100.4 50000 typ srflx raddr 0.0.0.0 rport 0\r\n"
        "a=candidate:4 1 udp 41885439 turn.example.local 3478 typ relay raddr 0.0.0.0 rport 0\r\n"
    )
    assert reveal_hidden_hosts(lines, "203.0.113.7") == lines


def hide_host_candidates(sdp: str) -> str:
    """The offer as Firefox without capture permission writes it: host addresses behind mDNS names,
    and a hidden TCP host candidate beside each UDP one."""
    return re.sub(
        r"^(a=candidate:\S+ \d+ udp \d+ )(\S+)( \d+ typ host)(.*\r?\n)",
        lambda m: (
            f"{m.group(1)}{(name := f'{uuid.uuid4()}.local')}{m.group(3)}{m.group(4)}"
            f"a=candidate:9 1 TCP 2105524479 {name} 9 typ host tcptype active\r\n"
        ),
        sdp,
        flags=re.MULTILINE | re.IGNORECASE,
    )


def test_a_page_with_hidden_host_candidates_connects_and_measures(net, wait_no_live, monkeypatch):
    """Every candidate of every offer hidden, as in Firefox without a capture permission: the server
    cannot resolve the names, yet the check connects (the page's checks arrive as peer-reflexive),
    and it never waits on a name (each lookup cost a second per connection)."""
    import aioice.ice

    lookups = []
    original = aioice.ice.get_or_create_mdns_protocol

    async def recorded(*args, **kwargs):
        lookups.append(args)
        return await original(*args, **kwargs)

    monkeypatch.setattr(aioice.ice, "get_or_create_mdns_protocol", recorded)
    seen = []

    async def post_hidden(body, **kwargs):
        for offer in body["offers"]:
            offer["sdp"] = hide_host_candidates(offer["sdp"])
            seen.append(offer["sdp"])
        return await net.post_offer(body, **kwargs)

    result = asyncio.run(
        run_check(post_hidden, "run-hidden-1", Plan(idle_s=0.6, phase_cap_s=1.2, connect_s=5.0, down=1, up=2))
    )
    assert seen and all(".local " in sdp and " typ host" in sdp and " TCP " in sdp for sdp in seen)
    assert result["state"] == "connected", result
    assert lookups == []
    assert result["server_record"]["upload_kbps"] > 0
    assert result["download_kbps"] > 0
