"""Fault: PostgreSQL becomes unreachable in the middle of a participant's run, then comes back.

The app reaches the database through a TCP relay the test can cut: open connections are dropped and
new ones refused, as when the database host goes away. While it is down the participant gets the
friendly 503 page (JSON for the results post) with Retry-After, ``/healthz`` says 503; once it is
back the pool recovers by itself and the retried results are stored once.

PostgreSQL only (``PREFLIGHT_TEST_DATABASE_URL``); with SQLite there is no server to lose.
"""

from __future__ import annotations

import socket
import threading

import pytest
from result_payloads import PAYLOADS
from sqlalchemy.engine import make_url
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import CheckResult, CheckRun


class Relay:
    """A TCP relay on 127.0.0.1 to ``(host, port)`` that can be cut and restored."""

    def __init__(self, host: str, port: int):
        self.upstream = (host, port)
        self.port = 0
        self.conns: list[socket.socket] = []
        self.listener: socket.socket | None = None
        self.lock = threading.Lock()

    def start(self) -> "Relay":
        self.listener = socket.socket()
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", self.port))
        self.port = self.listener.getsockname()[1]
        self.listener.listen(16)
        threading.Thread(target=self._accept, args=(self.listener,), daemon=True).start()
        return self

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            with self.lock:
                self.conns += [client, server]
            for a, b in ((client, server), (server, client)):
                threading.Thread(target=self._pump, args=(a, b), daemon=True).start()

    @staticmethod
    def _pump(source: socket.socket, sink: socket.socket) -> None:
        try:
            while data := source.recv(65536):
                sink.sendall(data)
        except OSError:
            pass
        finally:
            for s in (source, sink):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """Refuse new connections and drop the open ones."""
        if self.listener is None:
            return
        try:
            self.listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
        except OSError:
            pass
        self.listener.close()
        self.listener = None
        with self.lock:
            for conn in self.conns:
                try:
                    conn.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                conn.close()
            self.conns.clear()

    def restore(self) -> None:
        """Accept connections again, on the same port."""
        if self.listener is None:
            self.start()


@pytest.fixture
def relay(app_config):
    url = make_url(app_config["DATABASE_URL"])
    if not url.drivername.startswith("postgresql"):
        pytest.skip("needs PostgreSQL (PREFLIGHT_TEST_DATABASE_URL)")
    relay = Relay(url.host or "127.0.0.1", url.port or 5432).start()
    app_config["DATABASE_URL"] = url.set(host="127.0.0.1", port=relay.port).render_as_string(hide_password=False)
    yield relay
    relay.cut()


def _post(client, token, check):
    return client.post(
        f"/c/{token}/results",
        json={"run_id": "outage-run-0001", "checks": {check: PAYLOADS[check]}, "context": {"attempts": {check: 1}}},
    )


def test_participant_survives_a_database_outage(relay, app, client, make_participant):
    participant, token = make_participant()
    assert client.get(f"/c/{token}").status_code == 200
    assert _post(client, token, "browser").status_code == 200

    relay.cut()
    try:
        _while_down(client, token)
    finally:
        relay.restore()
    assert client.get("/healthz").status_code == 200
    # The browser's retries: the refused post, and the earlier one again for good measure.
    assert _post(client, token, "camera").status_code == 200
    assert _post(client, token, "browser").get_json()["results"]["browser"]["stored"] == "unchanged"
    with app.app_context(), session_scope() as session:
        runs = session.exec(select(CheckRun).where(CheckRun.participant_id == participant.id)).all()
        results = session.exec(select(CheckResult).where(CheckResult.run_id == runs[0].id)).all()
    assert len(runs) == 1 and sorted(r.check for r in results) == ["browser", "camera"]


def _while_down(client, token) -> None:
    page = client.get(f"/c/{token}")
    assert page.status_code == 503 and page.headers["Retry-After"]
    assert b"database" in page.data and b"Traceback" not in page.data
    posted = _post(client, token, "camera")
    assert (
        posted.status_code == 503 and posted.is_json and posted.headers["Retry-After"]
    )  # check.js keeps it and retries
    assert client.get("/healthz").status_code == 503
