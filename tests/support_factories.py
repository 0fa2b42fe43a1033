"""Fixtures shared by the support-side tests (dashboard, alerts, help, API): check runs built
through the models, a webhook receiver and an SMTP server that can be down, then come up.

Imported by tests/dashboard/conftest.py, tests/alerts/conftest.py and tests/api/conftest.py.
"""

from __future__ import annotations

import json
import socket
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from preflight.db import session_scope
from preflight.models import CheckResult, CheckRun, utcnow

DEFAULT_VALUES = {
    "browser": {"family": "Chrome", "major": 120, "webrtc": True},
    "camera": {"camera_width": 1280, "camera_height": 720, "camera_fps": 30},
    "microphone": {"mic_peak_dbfs": -12.5, "mic_rms_dbfs": -30.1},
    "speakers": {"answer": "yes"},
    "network": {
        "upload_kbps": 4000,
        "download_kbps": 20000,
        "rtt_ms": 35,
        "jitter_ms": 4,
        "loss_up_pct": 0,
        "loss_down_pct": 0,
    },
}
FAIL_VALUES = {
    "browser": {"family": "IE", "major": 11, "webrtc": False},
    "camera": {"camera_width": 640, "camera_height": 480, "camera_fps": 20, "mean_luma": 2.1},
    "microphone": {"mic_peak_dbfs": -90.0, "mic_rms_dbfs": -96.0},
    "speakers": {"answer": "no"},
    "network": {
        "upload_kbps": 300,
        "download_kbps": 900,
        "rtt_ms": 650,
        "jitter_ms": 80,
        "loss_up_pct": 9,
        "loss_down_pct": 7,
    },
}
REASONS = {
    "browser": "browser_unsupported",
    "camera": "camera_black",
    "microphone": "mic_silent",
    "speakers": "speakers_not_heard",
    "network": "udp_blocked",
}
GUIDES = {
    "browser": "browser-problems#unsupported",
    "camera": "camera-problems#black",
    "microphone": "microphone-problems#silent",
    "speakers": "speaker-problems#no-sound",
    "network": "firewall-vpn-proxy#udp-blocked",
}


class SMTPSink:
    """Messages received by a real SMTP server on loopback (aiosmtpd)."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):
        from email import message_from_bytes, policy

        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 OK"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def make_run(app):
    """Factory: ``make_run(participant, overall, checks=None, at=None, values=None, **run_fields) -> CheckRun``.

    ``checks`` maps check -> verdict; by default a "pass" run passes all five checks, "warn" warns on the
    network and "fail" fails the camera. Failing checks get failing values, a reason and a guide.
    """

    def _make(participant, overall="pass", checks=None, at=None, values=None, **fields):
        if checks is None:
            checks = {c: "pass" for c in DEFAULT_VALUES}
            if overall == "warn":
                checks["network"] = "warn"
            elif overall == "fail":
                checks["camera"] = "fail"
            elif overall == "incomplete":
                checks = {}
        at = at or utcnow()
        run_fields = dict(
            browser_family="Chrome",
            browser_version="120",
            os_family="Windows",
            os_version="10",
            device_type="desktop",
            user_agent="Mozilla/5.0 (Windows NT 10.0) Chrome/120.0",
        )
        run_fields.update(fields)
        with app.app_context(), session_scope() as session:
            run = CheckRun(
                participant_id=participant.id,
                run_key=uuid.uuid4().hex,
                overall=overall,
                created_at=at,
                updated_at=at,
                **run_fields,
            )
            session.add(run)
            session.flush()
            for check, verdict in checks.items():
                bad = verdict != "pass"
                vals = (values or {}).get(check) or (FAIL_VALUES if bad else DEFAULT_VALUES)[check]
                session.add(
                    CheckResult(
                        run_id=run.id,
                        check=check,
                        verdict=verdict,
                        reason=REASONS[check] if bad else "",
                        guide=GUIDES[check] if bad else "",
                        values=vals,
                        created_at=at,
                        updated_at=at,
                    )
                )
            session.flush()
            return run

    return _make


@pytest.fixture
def judged(app):
    """``judged(run)``: what the results endpoint does after storing a run — call the alerts hook."""
    from preflight.alerts import on_run_judged

    def _judged(run):
        with app.app_context(), session_scope() as session:
            return on_run_judged(session, session.get(CheckRun, run.id))

    return _judged


class Receiver:
    """A real HTTP server on loopback recording JSON posts; ``status`` is what it answers."""

    def __init__(self, port: int | None = None):
        self.port = port or free_port()
        self.posts: list[dict] = []
        self.headers: list[dict] = []
        self.bodies: list[bytes] = []
        self.status = 200
        self.redirect_to = ""  # when set, every post is answered 302 to this URL
        self.hits = 0
        self._server = None
        self._thread = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.hits += 1
                if receiver.redirect_to:
                    self.send_response(302)
                    self.send_header("Location", receiver.redirect_to)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                if receiver.status < 300:
                    receiver.bodies.append(body)
                    receiver.posts.append(json.loads(body))
                    receiver.headers.append(dict(self.headers))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._thread.join(5)
            self._server = None


@pytest.fixture
def webhook_receiver():
    """A started receiver (stopped afterwards)."""
    receiver = Receiver().start()
    yield receiver
    receiver.stop()


@pytest.fixture
def offline_receiver():
    """A receiver that is not listening yet: ``offline_receiver.start()`` brings it up."""
    receiver = Receiver()
    yield receiver
    receiver.stop()


@pytest.fixture
def worker(app):
    """``worker()`` runs one worker pass (what ``flask worker --once`` does) and returns its report."""
    from preflight.alerts.worker import run_tick

    def _run():
        with app.app_context():
            return run_tick()

    return _run


def ago(**kw):
    """A time in the past."""
    return utcnow() - timedelta(**kw)


def csrf_token(client, path: str) -> str:
    """The CSRF token of the form on ``path``."""
    import re

    page = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def login_with_csrf(client, user, password: str = "correct-horse-42-battery") -> None:
    """Sign in through the real form when CSRF protection is on."""
    token = csrf_token(client, "/staff/login")
    response = client.post("/staff/login", data={"email": user.email, "password": password, "csrf_token": token})
    assert response.status_code == 302
