"""Rate limits: every public endpoint answers 429 with Retry-After once a client address exceeds its
budget; addresses are counted separately (behind trusted proxies, from X-Forwarded-For); counters
can live in Redis so several workers share them.

The public endpoints are found in ``app.url_map``, so a new public route without a limit fails here.
"""

from __future__ import annotations

import uuid

import pytest

from preflight import create_app

# Routes reachable without a staff session: participant links, guides, the JSON API, staff sign-in.
PUBLIC_PREFIXES = ("/c/", "/guides", "/api/")
# Deliberately unlimited: monitoring, the icon and static files (no data, no lookup).
EXEMPT = {"health.healthz", "participant.favicon", "static"}
LIMIT = 3


def _public_rules(app):
    for rule in app.url_map.iter_rules():
        if rule.endpoint in EXEMPT:
            continue
        if rule.rule.startswith(PUBLIC_PREFIXES) or rule.endpoint == "auth.login":
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                if rule.endpoint == "auth.login" and method == "GET":
                    continue  # the form itself is harmless; attempts (POST) are what is limited
                yield rule, method


def _url(rule, token: str) -> str:
    values = {"token": token, "slug": "privacy", "session_id": "abcdef0123456789", "event_id": 1, "participant_id": 1}
    path = rule.rule
    for name in rule.arguments:
        path = path.replace(f"<{name}>", str(values.get(name, "x"))).replace(f"<int:{name}>", str(values.get(name, 1)))
    return path


@pytest.fixture
def limited_app(app_config):
    app_config.update(
        RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC=f"{LIMIT} per minute", RATELIMIT_LOGIN=f"{LIMIT} per minute"
    )
    app = create_app(app_config)
    yield app
    app.extensions["preflight_engine"].dispose()


def test_every_public_endpoint_is_limited_with_retry_after(limited_app, make_participant):
    _participant, token = make_participant()
    client = limited_app.test_client()
    checked = []
    for n, (rule, method) in enumerate(_public_rules(limited_app)):
        url = _url(rule, token)
        # A fresh address per route and method: GET and POST of one endpoint share a counter.
        address = {"REMOTE_ADDR": f"192.0.2.{n + 1}"}
        statuses = []
        for _ in range(LIMIT + 1):
            response = client.open(url, method=method, json={} if method == "POST" else None, environ_base=address)
            statuses.append(response.status_code)
            response.close()
        assert statuses[-1] == 429, (rule.endpoint, method, statuses)
        assert 429 not in statuses[:-1], (rule.endpoint, method, statuses)
        assert int(response.headers["Retry-After"]) > 0, rule.endpoint
        checked.append(rule.endpoint)
    # The families are all there (the list grows with the app; these must never disappear).
    for endpoint in ("participant.check_page", "participant.post_results", "guides.guide", "api.events", "auth.login"):
        assert endpoint in checked


def test_limit_answers_in_the_callers_format(limited_app, make_participant):
    _participant, token = make_participant()
    client = limited_app.test_client()
    for _ in range(LIMIT):
        client.post(f"/c/{token}/results", json={})
    response = client.post(f"/c/{token}/results", json={})
    assert response.status_code == 429 and response.is_json  # check.js reads Retry-After and retries
    for _ in range(LIMIT):
        client.get(f"/c/{token}")
    page = client.get(f"/c/{token}")
    assert page.status_code == 429 and b"Too many requests" in page.data


def test_addresses_are_counted_separately(limited_app, make_participant):
    _participant, token = make_participant()
    client = limited_app.test_client()
    for _ in range(LIMIT):
        client.get(f"/c/{token}", environ_base={"REMOTE_ADDR": "192.0.2.1"})
    assert client.get(f"/c/{token}", environ_base={"REMOTE_ADDR": "192.0.2.1"}).status_code == 429
    assert client.get(f"/c/{token}", environ_base={"REMOTE_ADDR": "192.0.2.2"}).status_code == 200


def test_forwarded_for_is_ignored_without_trusted_proxies(limited_app):
    client = limited_app.test_client()
    for n in range(LIMIT):
        client.get(f"/c/guess{n}", headers={"X-Forwarded-For": f"198.51.100.{n}"})
    # A client cannot buy a fresh budget by inventing addresses.
    assert client.get("/c/guess-again", headers={"X-Forwarded-For": "198.51.100.99"}).status_code == 429


def test_trusted_proxy_gives_each_participant_their_own_budget(app_config):
    app_config.update(RATELIMIT_ENABLED=True, RATELIMIT_PUBLIC=f"{LIMIT} per minute", TRUSTED_PROXIES=1)
    app = create_app(app_config)
    try:
        client = app.test_client()
        for n in range(LIMIT):
            client.get(f"/c/guess{n}", headers={"X-Forwarded-For": "203.0.113.7"})
        assert client.get("/c/guess", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
        # Another participant behind the same proxy is not throttled by the first one.
        assert client.get("/c/guess", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 404
        # Only the last hop (the one our proxy added) counts: a forged first hop changes nothing.
        assert client.get("/c/guess", headers={"X-Forwarded-For": "10.9.9.9, 203.0.113.7"}).status_code == 429
    finally:
        app.extensions["preflight_engine"].dispose()


def _redis_available(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


def test_redis_storage_is_shared_between_workers(app_config):
    url = "redis://127.0.0.1:6379/0"
    if not _redis_available(url):
        pytest.skip("no Redis on 127.0.0.1:6379")
    # Two apps stand for two gunicorn workers; a unique prefix keeps parallel runs apart.
    app_config.update(
        RATELIMIT_ENABLED=True,
        RATELIMIT_PUBLIC=f"{LIMIT} per minute",
        RATELIMIT_STORAGE_URL=url,
        RATELIMIT_KEY_PREFIX=f"preflight-test-{uuid.uuid4().hex}",
    )
    first, second = create_app(app_config), create_app(app_config)
    try:
        for n in range(LIMIT):
            (first if n % 2 else second).test_client().get(f"/c/guess{n}")
        assert first.test_client().get("/c/guess").status_code == 429
        assert second.test_client().get("/c/guess").status_code == 429
    finally:
        first.extensions["preflight_engine"].dispose()
        second.extensions["preflight_engine"].dispose()


def test_memory_counters_are_safe_with_threaded_workers():
    """gunicorn gthread workers count hits from several threads at once: the memory:// storage must
    not start its expiry timer twice (limits 5.8 did: RuntimeError, a 500 under load)."""
    import sys
    import threading
    import time

    from limits.storage import storage_from_string

    from preflight.ratelimit_memory import ThreadSafeMemoryStorage

    storage = storage_from_string("memory://")
    assert isinstance(storage, ThreadSafeMemoryStorage)
    errors, threads = [], 12
    barrier = threading.Barrier(threads)

    def hit(first: bool):
        for _ in range(100):
            barrier.wait()  # all together, right after the expiry timer has stopped
            try:
                storage.incr("k", 60)
            except RuntimeError as exc:
                errors.append(exc)
            if first:
                time.sleep(0.012)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, to open the race window
    try:
        workers = [threading.Thread(target=hit, args=(n == 0,)) for n in range(threads)]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    assert storage.get("k") == 100 * threads


def test_several_workers_with_memory_counters_refuse_to_start_in_production(tmp_path):
    """Per-process counters multiply a limit by the number of workers: production refuses,
    development runs one worker."""
    import os
    import subprocess
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    base = dict(
        os.environ,
        PREFLIGHT_WORKERS="3",
        PREFLIGHT_RATELIMIT_STORAGE_URL="memory://",
        PREFLIGHT_SECRET_KEY="x" * 64,
        PREFLIGHT_DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
    )
    check = [
        str(root / ".venv" / "bin" / "python"),
        "-c",
        "import runpy; ns = runpy.run_path('gunicorn.conf.py'); print('workers', ns['workers'])",
    ]
    production = subprocess.run(
        check, cwd=root, env={**base, "PREFLIGHT_ENV": "production"}, capture_output=True, text=True
    )
    assert production.returncode != 0 and "refusing to start 3 workers" in production.stderr
    development = subprocess.run(check, cwd=root, env=base, capture_output=True, text=True)
    assert development.returncode == 0 and "workers 1" in development.stdout
    shared = subprocess.run(
        check,
        cwd=root,
        env={**base, "PREFLIGHT_ENV": "production", "PREFLIGHT_RATELIMIT_STORAGE_URL": "redis://127.0.0.1:6379/0"},
        capture_output=True,
        text=True,
    )
    assert shared.returncode == 0 and "workers 3" in shared.stdout
