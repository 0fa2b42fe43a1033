"""No leak after a few hundred checks: no live peer, no growth in threads or file descriptors."""

from __future__ import annotations

import pytest

import gc
import os
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from preflight.network.registry import live_checks

# The network path between a browser (or the reference client) and the peer, no database dialect
# difference: CI runs it in the SQLite pass only.
pytestmark = pytest.mark.lab

CYCLES = 200
PARALLEL = 4
# The shortest complete check: connect, a few probes, the signed summary, close.
SHORT = dict(idle_s=0.05, download=False, upload=False, down=1, up=1, summary_s=3.0)


def _fds() -> int:
    return len(os.listdir("/proc/self/fd"))


def _settle(wait_no_live) -> tuple[int, int]:
    assert wait_no_live(10) == 0
    gc.collect()
    time.sleep(0.3)
    return threading.active_count(), _fds()


def test_hundreds_of_checks_leave_nothing_behind(app, net, wait_no_live, net_for):
    app.config["MAX_CONCURRENT_CHECKS"] = 4 * PARALLEL  # closing is asynchronous: leave room
    for i in range(8):  # warm-up: the loop thread, executors and caches exist from here on
        assert net.run(f"run-warm-{i:04d}", **SHORT)["state"] == "connected"
    threads_before, fds_before = _settle(wait_no_live)

    started = time.monotonic()
    # One participant per parallel lane: a participant's new check replaces their running one.
    lanes = [net_for() for _ in range(PARALLEL)]
    mine = threading.local()
    free = list(lanes)

    def one(i):
        if not hasattr(mine, "client"):
            mine.client = free.pop()
        return mine.client.run(f"run-leak-{i:04d}", **SHORT)

    with ThreadPoolExecutor(PARALLEL) as pool:
        results = list(pool.map(one, range(CYCLES)))
    elapsed = time.monotonic() - started

    assert [r["state"] for r in results].count("connected") == CYCLES
    assert sum(1 for r in results if r.get("server")) == CYCLES  # every check got its signed record
    threads_after, fds_after = _settle(wait_no_live)
    assert live_checks() == 0
    assert threads_after <= threads_before + 1, (threads_before, threads_after)
    assert fds_after <= fds_before + 8, (fds_before, fds_after)
    assert elapsed < 90, f"{CYCLES} checks took {elapsed:.0f}s"
