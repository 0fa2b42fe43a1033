"""A participant whose firewall lets only TCP port 443 out (tests/turn_lab.py): the check still
connects, through coturn's TLS listener on 443, and the verdict is ``warn tcp_only_turn``.

gunicorn serves the page on port 443 in the server's namespace with the relay as its only ICE
server (shared secret: the page's credentials come from /network/config); the reference client
runs in the client's namespace and posts its result like the page; so does headless Chromium
(the page's own network step) where it is installed. Needs root, nftables,
openssl and coturn (skipped without them). ``PREFLIGHT_TURN_LAB_SHAPE=10000/5000`` shapes the
link (kbit/s down/up) and runs the page's full-length phases instead, to read the figures
(docs/turn.md)."""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gunicorn_server import GunicornServer
from turn_lab import APP_IP, PORT, TURN_IP, TurnLab, available, ice_servers

# A lab of its own (namespaces, coturn), no database dialect difference: once in CI.
pytestmark = pytest.mark.lab

ROOT = Path(__file__).resolve().parents[2]


def _shape() -> tuple[int, int] | None:
    value = os.environ.get("PREFLIGHT_TURN_LAB_SHAPE")
    if not value:
        return None
    down, up = value.split("/")
    return int(down), int(up)


@pytest.fixture
def turn_lab_check(app_config, make_participant, tmp_path):
    """``turn_lab_check(browser=False) -> result``: one check from behind the 443-only firewall, posted and judged.

    The reference client by default (tests/nat_lab.py's output), headless Chromium with ``browser``
    (bench/netlab's report: verdict, reason, metrics, raw payload)."""
    if (why := available()) is not None:
        pytest.skip(why)
    if not app_config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("the server's namespace reaches a database file, not a server on loopback")
    _, token = make_participant(role="attendee")
    shape = _shape()

    def run(browser: bool = False) -> dict:
        server = GunicornServer(
            app_config["DATABASE_URL"],
            app_config["SECRET_KEY"],
            tmp_path / "gunicorn.log",
            host=APP_IP,
            port=PORT,
            env={"PREFLIGHT_ICE_SERVERS": json.dumps(ice_servers())},
        )
        with TurnLab(tmp_path, shape) as lab:
            lab.start_turn()
            server.command_prefix = lab.prefix(lab.server)
            server.probe_prefix = lab.prefix(lab.client)  # healthy as seen through the firewall
            server.start()
            try:
                if browser:
                    argv = [sys.executable, str(ROOT / "tests" / "turn_lab.py"), server.url, token]
                else:
                    argv = [sys.executable, str(ROOT / "tests" / "nat_lab.py"), server.url, token, "--post"]
                    argv += ["--full"] if shape else []
                client = subprocess.run(
                    [*lab.prefix(lab.client), *argv],
                    capture_output=True,
                    text=True,
                    cwd=ROOT,
                    timeout=120,
                    # The lab's self-signed certificate, as a browser would need the real one to be valid.
                    env={**os.environ, "PYTHONPATH": str(ROOT), "SSL_CERT_FILE": str(lab.cert)},
                )
                dropped_udp = lab.dropped_udp()
            finally:
                server.stop()
                turn_log = lab.turn_log()
        assert client.returncode == 0 and client.stdout.strip(), (
            client.stderr[-3000:] + server.log()[-3000:] + turn_log[-3000:]
        )
        result = json.loads(client.stdout.strip().splitlines()[-1])
        result["dropped_udp"] = dropped_udp
        print("turn lab:", shape, json.dumps({k: v for k, v in result.items() if k not in ("judged", "raw")}), sep="\n")
        print("judged:", json.dumps({k: v for k, v in result.get("judged", {}).items() if k != "html"}))
        return result

    return run


def test_behind_a_443_only_firewall_the_check_connects_through_turn_over_tls_and_warns(turn_lab_check):
    result = turn_lab_check()
    assert result["state"] == "connected", result
    # The client's selected pair is its relay candidate, reached over TLS; the server saw the relay's address.
    assert result["selected"]["local_type"] == "relay", result
    assert result["selected"]["relay_protocol"] == "tls", result
    assert result["gathered"]["relay"] >= 1, result
    assert (result["ice_remote"]["addr"], result["ice_remote"]["type"]) == (TURN_IP, "relay"), result
    assert result["download_kbps"] > 0 and result["upload_kbps"] > 0, result
    assert result["dropped_udp"] > 0, result  # the client did try the direct UDP path: the firewall stopped it

    judged = result["judged"]
    assert (judged["verdict"], judged["reason"]) == ("warn", "tcp_only_turn"), judged
    assert judged["guide"] == "firewall-vpn-proxy#tcp-only"
    assert 'data-reason="tcp_only_turn"' in judged["html"]
    assert "works through the relay only" in judged["html"]
    assert judged["metrics"]["rtt_ms"] > 0


def test_chromium_connects_through_turns_too(turn_lab_check):
    if shutil.which("chromium") is None or importlib.util.find_spec("playwright") is None:
        pytest.skip("needs Chromium and playwright")
    result = turn_lab_check(browser=True)
    raw = result["raw"]
    assert raw["state"] == "connected", result
    assert raw["selected"]["local_type"] == "relay" and raw["selected"]["relay_protocol"] == "tls", raw
    assert raw["candidates"]["relay"] >= 1, raw
    assert (result["verdict"], result["reason"]) == ("warn", "tcp_only_turn"), result
    assert result["dropped_udp"] > 0, result


def test_without_root_nftables_or_coturn_the_lab_says_why_and_the_test_skips(monkeypatch):
    import routed_path
    import turn_lab

    monkeypatch.setattr(routed_path.os, "geteuid", lambda: 1000)
    assert available() == "needs root (network namespaces)"
    monkeypatch.setattr(routed_path.os, "geteuid", lambda: 0)
    monkeypatch.setattr(routed_path.shutil, "which", lambda tool: "/usr/sbin/" + tool)
    monkeypatch.setattr(turn_lab.shutil, "which", lambda tool: None if tool == "turnserver" else "/usr/sbin/" + tool)
    assert available() == "needs turnserver (coturn)"
    monkeypatch.setattr(turn_lab.shutil, "which", lambda tool: None if tool == "nft" else "/usr/sbin/" + tool)
    assert available() == "needs nft (nftables)"
