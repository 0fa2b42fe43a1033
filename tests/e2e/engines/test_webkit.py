"""The participant flow in WebKitGTK (Safari's engine): MiniBrowser driven by WebKitWebDriver under Xvfb.

This build has getUserMedia but no RTCPeerConnection (finding 2): the flow must complete with
honest verdicts, the network step pointing to the browser, never to the network.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import quote

import pytest
from engine_support import POLICY_VERDICTS

HERE = Path(__file__).parent
DRIVER = shutil.which("WebKitWebDriver")
XVFB = shutil.which("xvfb-run")

pytestmark = pytest.mark.webkit


@pytest.fixture(scope="session")
def webkit_driver():
    """``xvfb-run WebKitWebDriver --port=N`` for the session: yields the port."""
    missing = [
        what
        for what, ok in (
            ("webkit2gtk-driver", DRIVER),
            ("xvfb", XVFB),
            ("node", shutil.which("node")),
            ("npm ci in tests/e2e/engines", (HERE / "node_modules" / "selenium-webdriver").is_dir()),
        )
        if not ok
    ]
    if missing:
        if os.environ.get("PREFLIGHT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"WebKit tests cannot run: missing {', '.join(missing)}")
        pytest.skip(f"WebKit tests need {', '.join(missing)}")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen(
        [XVFB, "-a", DRIVER, f"--port={port}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.2)
    yield port
    os.killpg(proc.pid, 15)
    proc.wait(timeout=10)


def run_node(port: int, url: str, scenario: str) -> dict:
    """The driver's whole answer (steps, and what the scenario adds)."""
    done = subprocess.run(
        ["node", str(HERE / "webkit_flow.mjs"), url, str(port), scenario],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=HERE,
    )
    result = json.loads(done.stdout or "{}")
    assert not result.get("error"), str(result.get("error")) + "\n" + done.stderr[-2000:]
    return result


def run_flow(port: int, url: str, scenario: str) -> dict:
    return run_node(port, url, scenario)["steps"]


def test_webkit_flow_completes_with_honest_verdicts(webkit_driver, live_server, make_participant):
    _, token = make_participant(role="presenter")
    steps = run_flow(webkit_driver, f"{live_server}/c/{token}", "happy")
    assert (steps["browser"]["verdict"], steps["browser"]["reason"]) == ("fail", "browser_no_webrtc")
    assert (steps["network"]["verdict"], steps["network"]["reason"]) == ("fail", "no_webrtc")
    assert "VPN" not in steps["network"]["text"] and "cannot make video calls" in steps["network"]["text"]
    assert steps["speakers"]["verdict"] == "pass", {k: (v["verdict"], v["reason"]) for k, v in steps.items()}
    assert steps["camera"]["verdict"] in ("pass", "warn", "fail")
    assert steps["microphone"]["reason"] != "microphone_silent", steps["microphone"]
    for step in steps.values():
        assert "Error" not in step["text"] and "rtc_peer_connection" not in step["text"]


def test_webkit_speakers_no(webkit_driver, live_server, make_participant):
    _, token = make_participant(role="presenter")
    steps = run_flow(webkit_driver, f"{live_server}/c/{token}", "speakers-no")
    assert (steps["speakers"]["verdict"], steps["speakers"]["reason"]) == ("fail", "speakers_not_heard")


def test_webkit_mock_camera_is_not_black(webkit_driver, live_server, make_participant):
    """WebKit's mock camera draws a dark test pattern (mean luma about 20, wide spread): a picture,
    which the mean-luma rule alone called black."""
    _, token = make_participant(role="presenter")
    steps = run_flow(webkit_driver, f"{live_server}/c/{token}", "happy")
    assert steps["camera"]["verdict"] == "pass", steps["camera"]["reason"]


def test_webkit_reprobe_after_a_complete_check(webkit_driver, live_server, app, make_participant, run_check):
    """Issue 15: a participant with a complete check (posted through the results path, as from another
    browser: this WebKit build cannot connect one itself) comes back more than 5 minutes later in
    WebKit. Without RTCPeerConnection no re-probe can connect: it must not be offered, and above all
    no "worse" comparison may be stored from a browser that could not try."""
    from engine_support import stored_probe

    from preflight.models import utcnow

    participant, token = make_participant(role="attendee")
    run_check(participant, at=utcnow() - timedelta(minutes=30))  # past the 5-minute offer delay
    result = run_node(webkit_driver, f"{live_server}/c/{token}", "reprobe")
    assert result["reprobe"] == {"offered": False}, result["reprobe"]
    assert stored_probe(app, participant.id) is None


@pytest.mark.ui_only
@pytest.mark.parametrize(("kind", "verdict", "reason", "words"), POLICY_VERDICTS)
def test_webkit_policy_verdict_and_it_message_at_phone_width(
    webkit_driver, staged_server, make_participant, kind, verdict, reason, words
):
    """Issue 15: the relay-only and the blocked verdicts, and the message for the IT team, as WebKit
    lays them out 360 px wide (framed: MiniBrowser's window is wider), the words shown, the message
    opened and within the screen."""
    from engine_support import assert_readable_at_phone_width

    participant, token = make_participant(role="attendee")
    page = quote(f"/c/{token}#network={kind}&pid={participant.id}", safe="")
    result = run_node(webkit_driver, f"{staged_server}/__stage__/phone?src={page}", "verdict")
    network, layout = result["steps"]["network"], result["layout"]
    assert (network["verdict"], network["reason"]) == (verdict, reason), network
    assert words in network["text"] and "A message for your IT team" in network["text"], network["text"]
    assert_readable_at_phone_width(layout)
