"""Preflight as deploy/ runs it: nginx (deploy/nginx.conf itself, TLS) in front of two gunicorn pools.

The web pool serves pages, results and static files; the media pool only ``/c/<token>/network/*``
(nginx's second upstream). Both run the production settings of ``deploy/preflight.env.example``
(``PREFLIGHT_ENV=production``, ``PREFLIGHT_TRUSTED_PROXIES=1``) on the test database. A real
Chromium runs the participant's check through nginx over HTTPS; plain HTTP clients bound to other
loopback addresses (127.0.0.2, 127.0.0.3) stand for two different participants' machines.

No nginx: skipped, unless ``PREFLIGHT_REQUIRE_BROWSER=1`` (CI), where that is a failure.
"""

from __future__ import annotations

import gzip
import http.client
import os
import re
import ssl
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest
from gunicorn_server import GunicornServer, free_port
from nginx_proxy import DEPLOY_CONF, NginxServer, find_nginx, render_site, self_signed_certificate
from playwright.sync_api import expect
from sqlmodel import select

from preflight.db import session_scope
from preflight.models import CheckResult, CheckRun
from test_network_e2e import start

# A lab of its own (namespaces or the proxy), no database dialect difference: once in CI.
pytestmark = pytest.mark.lab

SLOW = 30_000
PUBLIC_LIMIT = 20  # per minute and per client address, on each public endpoint
METRICS_TOKEN = "behind-nginx-metrics-token"
CHECKS = ("browser", "camera", "microphone", "speakers", "network")


@dataclass
class Stack:
    """The running set-up: nginx's HTTPS address and ports, the pools, the certificate."""

    url: str
    https_port: int
    http_port: int
    cert: Path
    nginx: NginxServer
    web: GunicornServer
    media: GunicornServer

    def tls(self) -> ssl.SSLContext:
        """Verifies nginx's certificate against the test's own self-signed one."""
        return ssl.create_default_context(cafile=str(self.cert))

    def get(self, path: str, source: str = "127.0.0.1", headers: dict | None = None):
        """(status, headers, raw body) of a GET through nginx from the loopback address ``source``."""
        conn = http.client.HTTPSConnection(
            "127.0.0.1", self.https_port, context=self.tls(), source_address=(source, 0), timeout=15
        )
        try:
            conn.request("GET", path, headers=headers or {})
            response = conn.getresponse()
            return response.status, response.headers, response.read()
        finally:
            conn.close()


def pool_metrics(server: GunicornServer) -> str:
    """A pool's own ``/metrics`` (asked directly, with the token: nginx reaches one pool only)."""
    request = urllib.request.Request(server.url + "/metrics", headers={"Authorization": f"Bearer {METRICS_TOKEN}"})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.read().decode()


def metric_sum(text: str, name: str, **labels: str) -> float:
    """Sum of the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        match = re.match(rf"^{re.escape(name)}(?:\{{(.*)\}})? (\S+)$", line)
        if not match:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(1) or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            total += float(match.group(2))
    return total


def access_lines(server: GunicornServer) -> list[str]:
    """gunicorn's access-log lines (``<client> "<request line>" <status> ...``), token already redacted."""
    return [line for line in server.log().splitlines() if re.match(r'^\S+ "(GET|POST|HEAD|PUT|DELETE) ', line)]


def wait_for_access_lines(
    server: GunicornServer, request: str, clients: tuple[str, ...], count: int, timeout: float = 5
) -> dict:
    """{client: [status, ...]} of the logged requests from ``clients`` containing ``request``, once ``count`` are.

    gunicorn writes an access line after the response has gone out: the last one may lag a little.
    """
    deadline = time.monotonic() + timeout
    while True:
        lines = [line for line in access_lines(server) if request in line and line.split(" ", 1)[0] in clients]
        if len(lines) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.05)
    by_client: dict[str, list[str]] = {}
    for line in lines:
        by_client.setdefault(line.split(" ", 1)[0], []).append(line.rsplit('" ', 1)[1].split(" ")[0])
    return by_client


def nginx_log_with(stack: Stack, text: str, timeout: float = 5) -> str:
    """nginx's access log once it holds ``text`` (the line is written as the request ends)."""
    deadline = time.monotonic() + timeout
    while text not in (logged := stack.nginx.access_log()):
        assert time.monotonic() < deadline, f"{text!r} not in nginx's access log:\n{logged[-2000:]}"
        time.sleep(0.05)
    return logged


@pytest.fixture(scope="module")
def nginx_binary() -> str:
    """Skip (or fail under CI) without nginx."""
    binary = find_nginx()
    if binary is None:
        reason = "no nginx found (apt-get install nginx, or set PREFLIGHT_NGINX)"
        if os.environ.get("PREFLIGHT_REQUIRE_BROWSER") == "1":
            pytest.fail(reason + "; PREFLIGHT_REQUIRE_BROWSER=1 makes this an error", pytrace=False)
        pytest.skip(reason)
    return binary


@pytest.fixture(scope="module")
def stack(nginx_binary, migrated_database, live_app, tmp_path_factory):
    """nginx in front of a web pool and a media pool, both on the test database; stopped afterwards."""
    folder = tmp_path_factory.mktemp("behind-nginx")
    cert, key = self_signed_certificate(folder)
    https_port, http_port = free_port(), free_port()
    url = f"https://127.0.0.1:{https_port}"
    settings = {
        # What deploy/preflight.env.example sets, rate limits kept in each pool's memory (one worker).
        "PREFLIGHT_ENV": "production",
        "PREFLIGHT_TRUSTED_PROXIES": "1",
        "PREFLIGHT_BASE_URL": url,
        "PREFLIGHT_RATELIMIT_STORAGE_URL": "memory://",
        "PREFLIGHT_RATELIMIT_PUBLIC": f"{PUBLIC_LIMIT} per minute",
        "PREFLIGHT_METRICS_TOKEN": METRICS_TOKEN,
        "PREFLIGHT_METRICS_ALLOW": "127.0.0.2",
        "PREFLIGHT_NETWORK_RATE_CAP_KBPS": str(live_app.config["NETWORK_RATE_CAP_KBPS"]),
    }
    secret = live_app.config["SECRET_KEY"]  # the key the factories sign links with
    web = GunicornServer(migrated_database, secret, folder / "web.log", workers=1, threads=4, env=settings)
    media = GunicornServer(migrated_database, secret, folder / "media.log", workers=1, threads=4, env=settings)
    for pool in (web, media):
        pool.launch()  # both boot at once
    try:
        for pool in (web, media):
            pool.wait_healthy()
        site = render_site(
            DEPLOY_CONF.read_text(),
            web=f"127.0.0.1:{web.port}",
            media=f"127.0.0.1:{media.port}",
            http_port=http_port,
            https_port=https_port,
            cert=cert,
            key=key,
            access_log=folder / "nginx" / "access.log",
        )
        nginx = NginxServer(nginx_binary, folder / "nginx", site, (https_port, http_port)).start()
    except BaseException:
        web.stop()
        media.stop()
        raise
    yield Stack(url, https_port, http_port, cert, nginx, web, media)
    nginx.stop()
    web.stop()
    media.stop()


def test_the_rendered_deploy_config_is_the_operators_file_with_test_values(stack):
    site = (stack.nginx.prefix / "preflight.conf").read_text()
    deploy = DEPLOY_CONF.read_text()
    # Every directive of deploy/nginx.conf is there, except the few values the test substitutes.
    substituted = ("server 127.0.0.1:500", "listen ", "ssl_certificate", "access_log ")
    kept = [line.strip() for line in deploy.splitlines() if line.strip() and not line.strip().startswith(substituted)]
    assert [line for line in kept if line not in site] == []
    assert f"server 127.0.0.1:{stack.web.port};" in site and f"server 127.0.0.1:{stack.media.port};" in site


def test_http_is_redirected_to_https_and_hsts_is_sent_once(stack):
    conn = http.client.HTTPConnection("127.0.0.1", stack.http_port, timeout=10)
    try:
        conn.request("GET", "/c/some-link?lang=fr")
        response = conn.getresponse()
        assert response.status == 301
        assert response.headers["Location"] == "https://127.0.0.1/c/some-link?lang=fr"
    finally:
        conn.close()
    logged = nginx_log_with(stack, '"GET /c/[token]?lang=fr HTTP/1.1" 301 ')
    assert "some-link" not in logged
    status, headers, _ = stack.get("/healthz")
    assert status == 200
    # One HSTS header (the app's, in production): a second, different one would leave the policy to chance.
    assert headers.get_all("Strict-Transport-Security") == ["max-age=31536000; includeSubDomains"]


def test_static_files_come_compressed_and_cached_for_good(stack, make_participant):
    _, token = make_participant()
    status, headers, body = stack.get(f"/c/{token}", headers={"Accept-Encoding": "gzip"})
    assert status == 200
    # nginx compresses the HTML the app sends plain.
    assert headers["Content-Encoding"] == "gzip"
    html = gzip.decompress(body).decode()
    assets = re.findall(r'(?:src|href)="(/static/[^"]+\.[0-9a-f]{12}\.(?:js|css))"', html)
    assert any(a.endswith(".js") for a in assets) and any(a.endswith(".css") for a in assets), assets
    for asset in assets:
        for encoding in ("br", "gzip"):
            status, headers, body = stack.get(asset, headers={"Accept-Encoding": f"{encoding}"})
            assert status == 200, asset
            assert headers["Content-Encoding"] == encoding, (asset, dict(headers))
            cache = {part.strip() for part in headers["Cache-Control"].split(",")}
            assert {"public", "immutable"} <= cache, (asset, headers["Cache-Control"])
            max_age = next(int(part.split("=")[1]) for part in cache if part.startswith("max-age="))
            assert max_age >= 365 * 24 * 3600, (asset, headers["Cache-Control"])
            assert "Accept-Encoding" in headers.get("Vary", ""), asset
        _, _, plain = stack.get(asset, headers={"Accept-Encoding": "identity"})
        assert len(body) < len(plain)
    # Static files never reached the media pool.
    assert not [line for line in access_lines(stack.media) if "/static/" in line]


def test_rate_limits_and_logs_see_the_real_client_not_nginx(stack, make_participant):
    _, token = make_participant()
    page = f"/c/{token}"
    answered = []
    for n in range(PUBLIC_LIMIT):
        # A forged X-Forwarded-For changes nothing: nginx replaces the header with the real address.
        status, _, _ = stack.get(page, source="127.0.0.2", headers={"X-Forwarded-For": f"203.0.113.{n}"})
        answered.append(status)
    assert answered == [200] * PUBLIC_LIMIT
    status, headers, _ = stack.get(page, source="127.0.0.2", headers={"X-Forwarded-For": "203.0.113.99"})
    assert status == 429 and int(headers["Retry-After"]) > 0
    # Another machine behind the same nginx is still served.
    assert stack.get(page, source="127.0.0.3")[0] == 200
    assert stack.get(page, source="127.0.0.2")[0] == 429

    # The logged client is the participant's address, never nginx's and never the forged one.
    by_client = wait_for_access_lines(stack.web, '"GET /c/[token] ', ("127.0.0.2", "127.0.0.3"), PUBLIC_LIMIT + 3)
    assert by_client.get("127.0.0.2") == ["200"] * PUBLIC_LIMIT + ["429", "429"]
    assert by_client.get("127.0.0.3") == ["200"]
    assert "203.0.113." not in stack.web.log()
    # A decision taken on the address (here: /metrics allowed for 127.0.0.2 only) gets the real one too.
    assert stack.get("/metrics", source="127.0.0.2")[0] == 200
    assert stack.get("/metrics", source="127.0.0.3")[0] == 401
    assert token not in stack.web.log()
    # nginx's own log (deploy/nginx.conf's format): the real client too, and no link.
    logged = nginx_log_with(stack, '"GET /metrics HTTP/1.1" 401 ')
    assert re.search(r'^127\.0\.0\.2 \[.*"GET /c/\[token\] HTTP/1\.1" 429 ', logged, re.M)
    assert token not in logged and "203.0.113." not in logged


def _stored(app, participant_id):
    with app.app_context(), session_scope() as session:
        runs = session.exec(select(CheckRun).where(CheckRun.participant_id == participant_id)).all()
        results = (
            session.exec(select(CheckResult).where(CheckResult.run_id.in_([r.id for r in runs]))).all() if runs else []
        )
        return runs, {r.check: r for r in results}


@pytest.mark.flaky(reruns=2)  # a loopback check on a shared machine: see tests/e2e/conftest.py
@pytest.mark.browser_context_args(ignore_https_errors=True)  # the test's self-signed certificate
def test_participant_flow_in_chromium_through_nginx_with_the_network_step_on_the_media_pool(
    stack, page, make_participant, app
):
    participant, token = make_participant(role="presenter")
    start(page, token, base=stack.url)
    summary = page.locator('[data-role="summary"]')
    expect(summary).to_be_visible(timeout=60_000)
    network = page.locator('[data-check="network"]')
    expect(network).to_have_attribute("data-verdict", "pass")
    expect(summary).to_have_attribute("data-overall", "pass")
    expect(page.locator('[data-role="connection"]')).to_be_empty()  # every post went through at once
    assert not [e for e in page.errors if "Content Security Policy" in e], page.errors

    runs, stored = _stored(app, participant.id)
    assert len(runs) == 1 and {name: r.verdict for name, r in stored.items()} == dict.fromkeys(CHECKS, "pass")
    raw = stored["network"].values["raw"]
    assert raw["state"] == "connected" and stored["network"].values["details"]["server_measured"] is True

    # The network endpoints were served by the media pool, and by it alone; the rest by the web pool.
    # (/healthz: the readiness probe of the test's own start-up, straight to the pool)
    media_paths = [line.split('"')[1] for line in access_lines(stack.media) if "/healthz " not in line]
    assert any(p.startswith("POST /c/[token]/network/offer ") for p in media_paths), media_paths
    assert any(p.startswith("GET /c/[token]/network/config ") for p in media_paths), media_paths
    assert all("/network/" in p for p in media_paths), media_paths
    assert not [line for line in access_lines(stack.web) if "/network/" in line]
    media, web = pool_metrics(stack.media), pool_metrics(stack.web)
    duration = "preflight_request_duration_seconds_count"
    assert metric_sum(media, duration, endpoint="network.offer", status="200") == 1
    assert metric_sum(web, duration, endpoint="network.offer") == 0
    assert metric_sum(web, "preflight_results_stored_total", check="network") >= 1
    assert metric_sum(media, "preflight_results_stored_total") == 0
    logged = nginx_log_with(stack, '"POST /c/[token]/network/offer HTTP/2.0" 200 ')
    assert token not in logged
