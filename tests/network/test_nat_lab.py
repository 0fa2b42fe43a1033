"""A media server behind a 1:1 NAT (a cloud VM, a container), checked by a participant behind a
NAT of their own (tests/nat_lab.py): gunicorn in the server's namespace, the reference client in
the client's, the only working path the client's packets to the server's public address.

MEDIA_PUBLIC_ADDRESS is what makes it work; MEDIA_UDP_PORTS keeps it working behind a firewall
that lets only that range through. Needs root (network namespaces) and nftables."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from gunicorn_server import GunicornServer
from nat_lab import CLIENT_PUBLIC, PUBLIC, SERVER_PRIVATE, NatLab, available

# A lab of its own (namespaces or the proxy), no database dialect difference: once in CI.
pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]

PORTS = (40100, 40149)


@pytest.fixture
def lab_check(app_config, make_participant, tmp_path):
    """``lab_check(env, open_udp=None) -> (result, ss)``: one check across the NAT lab.

    ``env``: the media server's extra settings; ``open_udp``: the only UDP ports the server's
    router lets in. ``ss``: the server namespace's UDP sockets while the check ran."""
    if (why := available()) is not None:
        pytest.skip(why)
    if not app_config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the server's namespace reaches a database file, not a server on loopback")
    _, token = make_participant(role="attendee")

    def run(env: dict[str, str], open_udp: tuple[int, int] | None = None) -> tuple[dict, str]:
        server = GunicornServer(
            app_config["DATABASE_URL"],
            app_config["SECRET_KEY"],
            tmp_path / "gunicorn.log",
            host=SERVER_PRIVATE,
            url=f"http://{PUBLIC}:{{port}}",
            env=env,
        )
        with NatLab(server.port, open_udp) as lab:
            server.command_prefix = lab.prefix(lab.server)
            server.probe_prefix = lab.prefix(lab.client)  # healthy as seen through both NATs
            server.start()
            try:
                client = subprocess.Popen(
                    [*lab.prefix(lab.client), sys.executable, str(ROOT / "tests" / "nat_lab.py"), server.url, token],
                    stdout=subprocess.PIPE,
                    stderr=subprocess.PIPE,
                    text=True,
                    cwd=ROOT,
                    env={**os.environ, "PYTHONPATH": str(ROOT)},
                )
                sockets = _udp_sockets_while(client, lab)
                out, err = client.communicate(timeout=90)
            finally:
                server.stop()
        assert client.returncode == 0 and out.strip(), err[-3000:] + server.log()[-3000:]
        result = json.loads(out.strip().splitlines()[-1])
        print("nat lab:", env, open_udp, result, sockets, sep="\n")  # shown with -s or on failure
        return result, sockets

    return run


def _udp_sockets_while(client: subprocess.Popen, lab: NatLab) -> str:
    """The server namespace's UDP sockets on its address, as last seen while the client ran."""
    seen = ""
    while client.poll() is None:
        listing = lab.run(lab.server, "ss", "-uanH")
        if SERVER_PRIVATE in listing:
            seen = listing
        try:
            client.wait(timeout=0.3)
        except subprocess.TimeoutExpired:
            pass
    return seen


def _ports(listing: str) -> list[int]:
    return [int(line.split()[3].rsplit(":", 1)[1]) for line in listing.splitlines() if SERVER_PRIVATE in line]


def test_behind_a_1to1_nat_the_check_fails_without_the_public_address_and_passes_with_it(lab_check):
    without, _ = lab_check({})
    # The answer offers only the private address, which nobody outside reaches: no connection.
    assert without["state"] == "failed", without
    assert {address for address, _port, _kind in without["candidates"]} == {SERVER_PRIVATE}

    announced, _ = lab_check({"PREFLIGHT_MEDIA_PUBLIC_ADDRESS": PUBLIC})
    assert announced["state"] == "connected", announced
    assert {address for address, _port, _kind in announced["candidates"]} == {PUBLIC}
    assert announced["download_kbps"] > 0 and announced["upload_kbps"] > 0
    # The server's ICE agent saw the client at its router's public address (a peer-reflexive pair).
    assert announced["ice_remote"]["addr"] == CLIENT_PUBLIC, announced


def test_with_a_port_range_the_sockets_stay_inside_it_and_a_firewall_open_only_there_passes(lab_check):
    env = {"PREFLIGHT_MEDIA_PUBLIC_ADDRESS": PUBLIC, "PREFLIGHT_MEDIA_UDP_PORTS": f"{PORTS[0]}-{PORTS[1]}"}
    result, sockets = lab_check(env, open_udp=PORTS)
    assert result["state"] == "connected", result
    assert result["download_kbps"] > 0 and result["upload_kbps"] > 0
    answered = [port for _address, port, _kind in result["candidates"]]
    assert len(answered) == 4 and all(PORTS[0] <= port <= PORTS[1] for port in answered), result
    bound = _ports(sockets)
    assert bound and all(PORTS[0] <= port <= PORTS[1] for port in bound), sockets

    # The same firewall without the setting: the peers bind ephemeral ports it does not let in.
    unconfined, _ = lab_check({"PREFLIGHT_MEDIA_PUBLIC_ADDRESS": PUBLIC}, open_udp=PORTS)
    ctl_port = unconfined["candidates"][0][1]
    if not PORTS[0] <= ctl_port <= PORTS[1]:  # 50 of ~28,000 ephemeral ports: it almost never lands inside
        assert unconfined["state"] == "failed", unconfined


def test_without_root_or_nftables_the_lab_says_why_and_the_tests_skip(monkeypatch):
    import nat_lab

    monkeypatch.setattr(nat_lab.os, "geteuid", lambda: 1000)
    assert available() == "needs root (network namespaces)"
    monkeypatch.setattr(nat_lab.os, "geteuid", lambda: 0)
    monkeypatch.setattr(nat_lab.shutil, "which", lambda tool: None if tool == "nft" else "/usr/sbin/" + tool)
    assert available() == "needs nft"
