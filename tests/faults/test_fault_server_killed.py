"""Fault: the server is killed (SIGKILL, master and workers) while participants are posting results.

Real gunicorn on the test database. Participants post their first checks, then the rest are posted
concurrently and the whole process group is killed in the middle; some posts never get an answer.
Two workers can answer every post in a few milliseconds, so a kill timed by the clock may land after
the last answer: two participants' network posts are therefore held back by its last byte (a slow
uplink) until the kill, which cuts those off for certain while the others race it.
After a restart every participant's browser posts its run again (as check.js does for anything it
has no answer for; here even the answered ones): each run is stored once, every check once, and the
database is consistent.
"""

from __future__ import annotations

import http.client
import http.cookiejar
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor

from gunicorn_server import GunicornServer
from result_payloads import PAYLOADS
from sqlalchemy import create_engine, text

SECRET = "test-secret-key-that-is-long-enough-for-production-0123456789"
PARTICIPANTS = 8

FIRST, REST = ("browser", "camera"), ("microphone", "speakers", "network")
HELD = "network"  # the post the kill cuts off for certain...
HOLDERS = 2  # ...for two participants only: a held post keeps one of the server's 8 threads waiting


class Browser:
    """One participant's browser: cookies, the page's CSRF token, its run id."""

    def __init__(self, base: str, token: str, n: int):
        self.base, self.token, self.run_id = base, token, f"killtest-run-{n:04d}"
        self.cookies = http.cookiejar.CookieJar(http.cookiejar.DefaultCookiePolicy())
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies))
        self.csrf = ""
        self.answered: set[str] = set()

    def open_page(self) -> None:
        with self.opener.open(f"{self.base}/c/{self.token}", timeout=10) as page:
            self.csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', page.read().decode()).group(1)

    def body(self, check: str) -> bytes:
        """The JSON the page posts for one check."""
        return json.dumps(
            {"run_id": self.run_id, "checks": {check: PAYLOADS[check]}, "context": {"attempts": {check: 1}}}
        ).encode()

    def post(self, check: str) -> int | None:
        """Post one check's result; the status, or None when the connection died."""
        body = self.body(check)
        request = urllib.request.Request(
            f"{self.base}/c/{self.token}/results",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": self.csrf},
        )
        try:
            with self.opener.open(request, timeout=10) as response:
                json.loads(response.read())
                status = response.status
        except urllib.error.HTTPError as exc:
            status = exc.code
        except (OSError, http.client.HTTPException):  # refused, reset, or cut off half-way through the answer
            return None
        if status == 200:
            self.answered.add(check)
        return status

    def post_held(self, check: str, sent: threading.Event, release: threading.Event) -> int | None:
        """Post one check's result with its last byte held back until `release`; as `post` returns."""
        body = self.body(check)
        address = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(address.hostname, address.port, timeout=10)
        try:
            connection.putrequest("POST", f"/c/{self.token}/results")
            connection.putheader("Content-Type", "application/json")
            connection.putheader("Content-Length", str(len(body)))
            connection.putheader("X-CSRFToken", self.csrf)
            connection.putheader("Cookie", "; ".join(f"{c.name}={c.value}" for c in self.cookies))
            connection.endheaders(body[:-1])
            sent.set()
            release.wait(10)
            connection.send(body[-1:])
            response = connection.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            return None
        finally:
            connection.close()
        if status == 200:
            self.answered.add(check)
        return status


def _integrity(url: str) -> None:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "sqlite":
                assert conn.execute(text("PRAGMA integrity_check")).scalar_one() == "ok"
                assert conn.execute(text("PRAGMA foreign_key_check")).all() == []
            orphans = conn.execute(
                text("SELECT count(*) FROM check_result c LEFT JOIN check_run r ON r.id = c.run_id WHERE r.id IS NULL")
            )
            assert orphans.scalar_one() == 0
            rows = conn.execute(
                text(
                    'SELECT r.participant_id, r.run_key, c."check", c.attempts FROM check_run r JOIN check_result c ON '
                    "c.run_id = r.id"
                )
            ).all()
            runs = conn.execute(text("SELECT participant_id, count(*) FROM check_run GROUP BY participant_id")).all()
    finally:
        engine.dispose()
    return rows, runs


# Two workers need shared rate-limit counters (gunicorn.conf.py refuses per-process ones in production).
REDIS_LIMITS = {"PREFLIGHT_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/15"}


def test_killed_server_restarts_clean_and_retried_runs_are_stored_once(
    app_config, make_event, make_participant, tmp_path
):
    import redis

    # The counters live in Redis across runs: an earlier run of this test (CI runs the suite twice)
    # must not use up this run's budget, so the test's own Redis database starts empty.
    redis.Redis.from_url(REDIS_LIMITS["PREFLIGHT_RATELIMIT_STORAGE_URL"]).flushdb()
    event = make_event()
    tokens = [make_participant(event=event)[1] for _ in range(PARTICIPANTS)]
    url = app_config["DATABASE_URL"]
    server = GunicornServer(url, SECRET, tmp_path / "gunicorn.log", workers=2, threads=4, env=REDIS_LIMITS).start()
    try:
        browsers = [Browser(server.url, token, n) for n, token in enumerate(tokens)]
        for browser in browsers:
            browser.open_page()
            for check in FIRST:
                assert browser.post(check) == 200

        # The rest of every run, all at once; the server dies while they are in flight. The network
        # posts wait on their last byte, so at least those are cut off whatever the other posts do.
        statuses: list[int | None] = []
        held_statuses: list[int | None] = []
        started, killed = threading.Event(), threading.Event()
        held_sent = [threading.Event() for _ in range(HOLDERS)]

        def post(job):
            started.set()
            statuses.append(job[0].post(job[1]))

        def post_held(n):
            held_statuses.append(browsers[n].post_held(HELD, held_sent[n], killed))

        jobs = [(b, check) for check in REST for n, b in enumerate(browsers) if check != HELD or n >= HOLDERS]
        with ThreadPoolExecutor(len(jobs) + HOLDERS) as pool:
            futures = [pool.submit(post_held, n) for n in range(HOLDERS)]
            assert all(sent.wait(5) for sent in held_sent)
            futures += [pool.submit(post, job) for job in jobs]
            started.wait(5)
            time.sleep(0.05)
            server.kill()
            killed.set()
            for future in futures:
                future.result()
        assert held_statuses == [None] * HOLDERS, "the kill should have cut the held posts off"
    finally:
        server.kill() if server.proc and server.proc.poll() is None else None

    _integrity(url)  # consistent straight after the crash, before anything repairs it

    restarted = GunicornServer(url, SECRET, tmp_path / "gunicorn-2.log", workers=2, threads=4, env=REDIS_LIMITS)
    restarted.port, restarted.url = server.port, server.url  # same address: the pages' fetches go to the same origin
    restarted.env.update(PREFLIGHT_BIND=f"127.0.0.1:{server.port}")
    restarted.start()
    try:
        for browser in browsers:
            browser.base = restarted.url
            # The browser retries what it has no answer for; send everything again to prove idempotency.
            for check in (*FIRST, *REST):
                assert browser.post(check) == 200, check
    finally:
        restarted.stop()

    rows, runs = _integrity(url)
    assert sorted(count for _pid, count in runs) == [1] * PARTICIPANTS
    per_run: dict[str, list[str]] = {}
    for _pid, run_key, check, attempts in rows:
        per_run.setdefault(run_key, []).append(check)
        assert attempts == 1, (run_key, check, attempts)  # identical reposts change nothing
    assert {key: sorted(checks) for key, checks in per_run.items()} == {b.run_id: sorted(PAYLOADS) for b in browsers}
