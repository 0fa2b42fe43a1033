"""Locust scenario: participants arriving on their personal links, plus staff dashboards.

Driven by ``bench/load/run.py`` (which seeds the database and starts gunicorn); the settings come
from environment variables set there:

- ``LOAD_SEED``: the JSON written by ``seed.py`` (tokens, event id, agent accounts);
- ``LOAD_TOKEN_OFFSET``: first token to hand out (the breaking-point runs use fresh ones per step);
- ``LOAD_PARTICIPANTS``: how many participants this run expects; when all of them have finished,
  the run ends early;
- ``LOAD_ACKS``: file where the acknowledged results are written at the end (``run.py`` checks each
  one is in the database);
- ``LOAD_THINK``: multiplier on the think times (1 = realistic pacing of a person doing the check).

A participant does what the page does (``static/js/check.js``): open the link (page, then its
CSS/JS), run the steps in order and post each step's raw measurements to ``POST /c/<token>/results``
as soon as it has them, with the same ``run_id`` for the whole run and the CSRF token of the page.
The network step fetches its configuration first; its WebRTC media path is not simulated here (one
UDP peer connection per participant, measured separately in ``docs/capacity.md`` "Network checks"),
and its result is posted with the figures a browser would send. Then the page stays open a while;
``LOAD_HELP_SHARE`` of the participants (default 10 %) ask for help and the page polls the request's
status at the interval the fragment itself sets (``data-help-poll-every="30"``, followed by
``static/js/help-status.js``).

A staff user signs in once, opens the event dashboard, loads its charts once (fragment and SVG
images, as the browser does when they scroll into view) and then refreshes every live fragment the
page declares at its own interval (summary every 10 s, participant table every 30 s).
"""

from __future__ import annotations

import json
import os
import random
import re
import secrets
import sys
import threading
import time
from pathlib import Path

from http.cookiejar import DefaultCookiePolicy

import gevent
from geventhttpclient.response import HTTPConnectionClosed
from locust import FastHttpUser, between, events, task

sys.path.insert(0, str(Path(__file__).resolve().parent))
from payloads import STEPS  # noqa: E402

SEED = (
    json.loads(Path(os.environ["LOAD_SEED"]).read_text())
    if os.environ.get("LOAD_SEED")
    else {"tokens": [], "agents": [], "event_id": 0}
)
OFFSET = int(os.environ.get("LOAD_TOKEN_OFFSET", "0"))
EXPECTED = int(os.environ.get("LOAD_PARTICIPANTS", "0"))
ACKS_FILE = os.environ.get("LOAD_ACKS")
THINK = float(os.environ.get("LOAD_THINK", "1"))
STAY_SECONDS = float(os.environ.get("LOAD_STAY", "60"))
HELP_SHARE = float(os.environ.get("LOAD_HELP_SHARE", "0.1"))

_lock = threading.Lock()
_next_token = iter(range(OFFSET, len(SEED["tokens"])))
_next_agent = iter(range(10**6))
# (run_id, check) acknowledged by the server with a 200; finished participants.
ACKS: list[tuple[str, str]] = []
FINISHED = {"count": 0}
# Requests sent again because the server closed the kept-alive connection just as they went out.
RESENT = {"count": 0}
RACE_ERRORS = (HTTPConnectionClosed, ConnectionResetError, BrokenPipeError)

CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
ASSETS = re.compile(r'(?:src|href)="(/static/[^"]+\.(?:js|css))"')
HX_POLL = re.compile(r'hx-get="([^"]+)"[^>]*hx-trigger="every (\d+)s"')
HELP_POLL = re.compile(r'data-help-poll="([^"]+)"[^>]*data-help-poll-every="(\d+)"')
HX_REVEALED = re.compile(r'hx-get="([^"]+)"[^>]*hx-trigger="revealed"')
IMAGES = re.compile(r'<img[^>]+src="(/[^"]+)"')
UA = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.5 "
    "Safari/605.1.15",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:142.0) Gecko/20100101 Firefox/142.0",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36 "
    "Edg/140.0.0.0",
)


class LoopbackPolicy(DefaultCookiePolicy):
    """Send ``Secure`` cookies over plain HTTP: in production TLS ends at the proxy in front of gunicorn,
    which is absent on loopback, and browsers would send these cookies over HTTPS."""

    def return_ok_secure(self, cookie, request):
        return True


def send(client, method: str, url: str, name: str, check=None, **kwargs):
    """One request as a browser sends it: resent once when the kept-alive connection it went out on
    was closed by the server at that moment (gunicorn closes idle connections after ``keepalive``
    seconds; browsers resend on a reused connection that fails before any answer). Such resends are
    listed as ``[resent after keep-alive close]`` and counted, not hidden. ``check(response)`` may
    return a failure message."""
    for attempt in (1, 2):
        with client.request(method, url, name=name, catch_response=True, **kwargs) as response:
            error = response.request_meta.get("exception")
            if attempt == 1 and isinstance(error, RACE_ERRORS):
                response.request_meta["name"] = "[resent after keep-alive close]"
                response.success()
                with _lock:
                    RESENT["count"] += 1
                continue
            if error is None and check is not None and response.status_code < 400:
                problem = check(response)
                if problem:
                    response.failure(problem)
            return response
    return response


def think(seconds: float) -> None:
    """A person's pause, jittered ±30 %."""
    gevent.sleep(seconds * THINK * random.uniform(0.7, 1.3))


class Participant(FastHttpUser):
    """One person: opens the link once, runs the check, keeps the page open, then idles."""

    weight = 1
    wait_time = between(3600, 3600)  # a participant does the check once per run

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(LoopbackPolicy())
        with _lock:
            self.index = next(_next_token, None)
        self.user_agent = random.choice(UA)

    @task
    def do_the_check(self) -> None:
        if self.index is None:
            return
        token = SEED["tokens"][self.index]
        headers = {
            "User-Agent": self.user_agent,
            "Accept-Language": random.choice(["en", "fr-FR,fr;q=0.9", "de", "es"]),
        }
        page = send(self.client, "GET", f"/c/{token}", "/c/[token]", headers=headers)
        if page.status_code != 200:
            return self._finish()
        html = page.text
        csrf = CSRF_META.search(html) or CSRF_INPUT.search(html)
        for asset in sorted(set(ASSETS.findall(html))):
            send(self.client, "GET", asset, "/static/[asset]", headers=headers)
        polls = HELP_POLL.findall(html)
        run_id = secrets.token_urlsafe(12)
        post_headers = {**headers, "Content-Type": "application/json", "Accept": "application/json"}
        if csrf:
            post_headers["X-CSRFToken"] = csrf.group(1)
        think(5)  # reads the introduction, clicks Start
        for check, payload, seconds in STEPS:
            think(seconds)
            if check == "network":
                send(self.client, "GET", f"/c/{token}/network/config", "/c/[token]/network/config", headers=headers)
            body = json.dumps({"run_id": run_id, "checks": {check: payload()}, "context": {"attempts": {check: 1}}})
            response = send(
                self.client,
                "POST",
                f"/c/{token}/results",
                "/c/[token]/results",
                data=body,
                headers=post_headers,
                check=lambda r, c=check: None if self._stored(r, c) else f"{c}: 200 without a stored result",
            )
            if response.status_code == 200 and self._stored(response, check):
                with _lock:
                    ACKS.append((run_id, check))
        if random.random() < HELP_SHARE:
            polls += self._ask_for_help(token, headers)
        # The page stays open a while, polling what it declares (help status while a request is open).
        deadline = time.monotonic() + STAY_SECONDS * THINK
        interval = min((int(s) for _, s in polls), default=30)
        while polls and time.monotonic() + interval < deadline:
            gevent.sleep(interval)
            for url, _ in polls:
                send(self.client, "GET", url.replace("&amp;", "&"), _name(url, token), headers=headers)
        if not polls:
            gevent.sleep(max(0.0, deadline - time.monotonic()))
        self._finish()

    def _ask_for_help(self, token: str, headers: dict) -> list[tuple[str, str]]:
        """Open the help form and send it; return the polls the answer declares."""
        think(10)
        form = send(self.client, "GET", f"/c/{token}/help", "/c/[token]/help", headers=headers)
        csrf = CSRF_INPUT.search(form.text) or CSRF_META.search(form.text)
        data = {
            "message": "The camera check says my picture is black.",
            "channel": "email",
            "phone": "",
            "csrf_token": csrf.group(1) if csrf else "",
        }
        think(20)
        # Sent as a fragment request (HX-Request): the answer is only the status fragment, which declares
        # the same poll as the help page a browser is redirected to.
        answer = send(
            self.client,
            "POST",
            f"/c/{token}/help",
            "/c/[token]/help [POST]",
            data=data,
            headers={**headers, "HX-Request": "true"},
        )
        return HELP_POLL.findall(answer.text)

    @staticmethod
    def _stored(response, check: str) -> bool:
        try:
            data = response.json()
            return data["results"][check]["stored"] in ("created", "replaced", "unchanged")
        except (ValueError, KeyError, TypeError):
            return False

    def _finish(self) -> None:
        with _lock:
            FINISHED["count"] += 1
            done = EXPECTED and FINISHED["count"] >= EXPECTED
        if done:
            # Everyone has finished: end the run now rather than wait for --run-time.
            gevent.spawn_later(2, self.environment.runner.quit)
        self.index = None


def _name(url: str, token: str) -> str:
    return url.replace(token, "[token]").split("?")[0]


class Staff(FastHttpUser):
    """A support agent with the event dashboard open all along."""

    fixed_count = int(os.environ.get("LOAD_STAFF", "5"))
    # locust reads fixed_count 0 as "not fixed" and would share users with Participant: none at all then.
    abstract = fixed_count == 0
    wait_time = between(3600, 3600)  # the task below loops by itself

    def on_start(self) -> None:
        self.client.cookiejar.set_policy(LoopbackPolicy())
        with _lock:
            account = SEED["agents"][next(_next_agent) % max(1, len(SEED["agents"]))]
        form = self.client.get("/staff/login", name="/staff/login")
        csrf = CSRF_INPUT.search(form.text) or CSRF_META.search(form.text)
        data = {"email": account["email"], "password": account["password"], "csrf_token": csrf.group(1) if csrf else ""}
        with self.client.post(
            "/staff/login", data=data, name="/staff/login [POST]", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"sign-in answered {response.status_code}")

    @task
    def watch_dashboard(self) -> None:
        url = f"/staff/events/{SEED['event_id']}/dashboard"
        page = send(self.client, "GET", url, _staff_name(url))
        polls = [(link.replace("&amp;", "&"), int(seconds)) for link, seconds in HX_POLL.findall(page.text)]
        for link in HX_REVEALED.findall(page.text):
            fragment = send(
                self.client, "GET", link.replace("&amp;", "&"), _staff_name(link), headers={"HX-Request": "true"}
            )
            for image in sorted(set(IMAGES.findall(fragment.text))):
                send(self.client, "GET", image.replace("&amp;", "&"), _staff_name(image))
        due = {link: time.monotonic() + seconds * random.uniform(0, 1) for link, seconds in polls}
        while True:
            gevent.sleep(1)
            for link, seconds in polls:
                if time.monotonic() >= due[link]:
                    due[link] = time.monotonic() + seconds
                    send(self.client, "GET", link, _staff_name(link) + " [poll]", headers={"HX-Request": "true"})


def _staff_name(url: str) -> str:
    return re.sub(r"/\d+", "/[id]", url.split("?")[0])


@events.quitting.add_listener
def _write_acks(environment, **_kw) -> None:
    if ACKS_FILE:
        Path(ACKS_FILE).write_text(json.dumps({"acks": ACKS, "finished": FINISHED["count"], "resent": RESENT["count"]}))
