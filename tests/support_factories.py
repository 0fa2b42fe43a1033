"""Fixtures shared by the support-side tests (dashboard, alerts, help, API): check runs, help requests and
survey answers built through the participant's real endpoints, a webhook receiver and an SMTP server that can
be down, then come up.

Imported by tests/dashboard/conftest.py, tests/alerts/conftest.py and tests/api/conftest.py.
"""

from __future__ import annotations

import json
import re
import socket
import threading
import uuid
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sqlmodel import select

from preflight.db import session_scope
from preflight.models import CheckResult, CheckRun, HelpRequest, SurveyResponse, utcnow


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
def run_check(app):
    """Factory: ``run_check(participant, overall="pass", checks=None, at=None, ua=CHROME) -> CheckRun``.

    Posts real payloads to ``/c/<token>/results`` (the page's path: the same validation, judging,
    store and alert hook), then returns the stored run. ``checks`` maps check -> wanted verdict and
    defaults to all five passing; unless ``checks`` already holds the overall verdict, "warn" warns on
    the network (high latency) and "fail" fails it (40 kbit/s up, 80 down); "incomplete" sends the
    browser check alone. Camera and microphone failures need a presenter (attendees only get
    warnings there). ``at`` back-dates the run. The stored verdicts are checked against the wanted
    ones, so a payload that stops producing its verdict fails loudly.
    """
    from participant_runs import CHROME, verdict_payload

    from preflight.links import current_token
    from preflight.models import Participant

    client = app.test_client()

    def _run(participant, overall="pass", checks=None, at=None, ua=CHROME):
        wanted = {name: "pass" for name in ("browser", "camera", "microphone", "speakers", "network")}
        if overall == "incomplete":
            wanted = {"browser": "pass"}
        elif overall in ("warn", "fail") and overall not in (checks or {}).values():
            wanted["network"] = overall  # nothing asked for explains the overall verdict: the network does
        wanted.update(checks or {})
        with app.app_context(), session_scope() as session:
            token = current_token(session.get(Participant, participant.id))
        run_key = "run-" + uuid.uuid4().hex[:16]
        body = {
            "run_id": run_key,
            "checks": {
                name: verdict_payload(app, participant.id, run_key, name, verdict) for name, verdict in wanted.items()
            },
        }
        headers = {"User-Agent": ua}
        if app.config.get("WTF_CSRF_ENABLED"):  # as the page does: its token from the page's meta tag
            page = client.get(f"/c/{token}", headers=headers).get_data(as_text=True)
            headers["X-CSRFToken"] = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
        response = client.post(f"/c/{token}/results", json=body, headers=headers)
        assert response.status_code == 200, response.get_data(as_text=True)
        with app.app_context(), session_scope() as session:
            run = session.exec(
                select(CheckRun).where(CheckRun.participant_id == participant.id, CheckRun.run_key == run_key)
            ).one()
            results = session.exec(select(CheckResult).where(CheckResult.run_id == run.id)).all()
            got = {r.check: r.verdict for r in results}
            assert got == wanted, f"asked for {wanted}, the judge gave {got}"
            if at is not None:
                run.created_at = run.updated_at = at
                for result in results:
                    result.created_at = result.updated_at = at
            session.flush()
            session.expunge(run)
            return run

    return _run


def _participant_post(app, client, participant, page: str, data: dict) -> None:
    """Post ``data`` to the participant's ``/c/<token>/<page>`` form as their browser does; expect the redirect."""
    from preflight.links import current_token
    from preflight.models import Participant

    with app.app_context(), session_scope() as session:
        token = current_token(session.get(Participant, participant.id))
    path = f"/c/{token}/{page}"
    if app.config.get("WTF_CSRF_ENABLED"):  # the form's own hidden token, as the page sends it
        data = {**data, "csrf_token": csrf_token(client, path)}
    response = client.post(path, data=data)
    assert response.status_code == 302, response.get_data(as_text=True)


@pytest.fixture
def ask_for_help(app):
    """Factory: ``ask_for_help(participant, message="...", **form) -> HelpRequest``.

    Posts the participant's "I need help" form to ``/c/<token>/help`` (the same validation, store with
    their latest run, and team alert); ``form`` adds or overrides fields (``channel="phone"``,
    ``phone=...``). Returns the stored request; states beyond "open" are reached through the staff
    views, as support does.
    """
    client = app.test_client()

    def _ask(participant, message="My sound does not work", **form):
        _participant_post(app, client, participant, "help", {"message": message, "channel": "email", **form})
        with app.app_context(), session_scope() as session:
            request = session.exec(
                select(HelpRequest).where(HelpRequest.participant_id == participant.id).order_by(HelpRequest.id.desc())
            ).first()
            session.expunge(request)
            return request

    return _ask


@pytest.fixture
def answer_survey(app):
    """Factory: ``answer_survey(participant, rating, comment="") -> SurveyResponse``.

    Posts the participant's survey form to ``/c/<token>/survey``; the event must have ended (the page
    takes no answer before). Returns the stored answer.
    """
    client = app.test_client()

    def _answer(participant, rating, comment=""):
        _participant_post(app, client, participant, "survey", {"rating": str(rating), "comment": comment})
        with app.app_context(), session_scope() as session:
            answer = session.exec(select(SurveyResponse).where(SurveyResponse.participant_id == participant.id)).one()
            session.expunge(answer)
            return answer

    return _answer


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
