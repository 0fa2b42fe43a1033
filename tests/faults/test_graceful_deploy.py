"""A deploy does not cut running network checks: gunicorn waits for them (graceful timeout > check limit)."""

from __future__ import annotations

import asyncio
import importlib.util
import os
import runpy
import signal
import threading
import time
from pathlib import Path

import pytest
from gunicorn_server import GunicornServer

from preflight.config import SETTINGS
from preflight.network.reference_client import Plan, run_check

# Calls asyncio.run() in the main thread (tests/conftest.py, SERIAL_MARKERS).
pytestmark = pytest.mark.own_loop

ROOT = Path(__file__).resolve().parents[2]
SECRET = "graceful-secret-key-that-is-long-enough-0123456789abcdef"


def test_graceful_timeout_outlasts_the_check_time_limit(monkeypatch):
    default = next(s.default for s in SETTINGS if s.key == "CHECK_TIME_LIMIT")
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("PREFLIGHT_CHECK_TIME_LIMIT", raising=False)
    conf = runpy.run_path("gunicorn.conf.py")
    assert conf["CHECK_TIME_LIMIT"] == default
    assert conf["graceful_timeout"] > default
    monkeypatch.setenv("PREFLIGHT_CHECK_TIME_LIMIT", "90")
    assert runpy.run_path("gunicorn.conf.py")["graceful_timeout"] > 90


def _http_client(url: str, token: str):
    spec = importlib.util.spec_from_file_location("preflight_check", ROOT / "bench" / "netlab" / "preflight_check.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module._Http(url, token)


def test_a_check_running_when_the_server_is_told_to_stop_finishes(app_config, make_participant, tmp_path):
    """SIGTERM (what systemd and a deploy send) while a check is in its idle phase: the check still completes."""
    _participant, token = make_participant()
    server = GunicornServer(app_config["DATABASE_URL"], SECRET, tmp_path / "gunicorn.log", workers=1, threads=4).start()
    http = _http_client(server.url, token)
    result: dict = {}

    async def post_offer(body):
        return await asyncio.get_running_loop().run_in_executor(None, http.post, f"/c/{token}/network/offer", body)

    def run():
        plan = Plan(down=1, up=1, idle_s=6.0, upload=False, download=False, summary_s=5.0)
        result.update(asyncio.run(run_check(post_offer, "run-graceful-1", plan)))

    worker = threading.Thread(target=run)
    try:
        worker.start()
        time.sleep(3.0)  # connected and probing
        os.kill(server.proc.pid, signal.SIGTERM)
        worker.join(40)
        server.proc.wait(60)
    finally:
        server.stop()
    assert result.get("state") == "connected", result
    assert result.get("server"), "the server's signed record arrived after SIGTERM"
