"""The WebRTC loop's load meter: late wake-ups and CPU share, on a real loop."""

from __future__ import annotations

import asyncio
import time

from preflight.network.loop_load import LoopLoad
from preflight.network.timing import now_ms
from preflight.profiles import SERVER_LOAD_THRESHOLDS as LIMITS


async def _measure(load: LoopLoad, work, seconds: float) -> dict | None:
    """``work()`` runs as a callback every 10 ms (or nothing, when None) for ``seconds``."""
    loop = asyncio.get_running_loop()
    start = now_ms()
    end = loop.time() + seconds
    while loop.time() < end:
        if work:
            work()
        await asyncio.sleep(0.01)
    return load.window(start, now_ms())


def _spin(ms: float) -> None:
    stop = time.thread_time() + ms / 1000
    while time.thread_time() < stop:
        pass


def test_a_blocked_or_busy_loop_reads_as_strained_and_a_quiet_one_does_not():
    load = LoopLoad()

    async def scenario():
        load.acquire()
        quiet = await _measure(load, None, 0.4)
        # Blocked without using the CPU (as a loop waits on the GIL or a starved core): late ticks.
        blocked = await _measure(load, lambda: time.sleep(0.05), 0.6)
        # On the CPU 150 ms in every 160: the CPU share.
        busy = await _measure(load, lambda: _spin(150), 1.2)
        load.release()
        await asyncio.sleep(0.05)
        return quiet, blocked, busy, load._task.done()

    quiet, blocked, busy, stopped = asyncio.run(scenario())
    assert blocked["late_p90_ms"] > LIMITS.late_p90_ms.value and blocked["cpu"] < 0.5
    # Busy reads as strained either way: on a core of its own by its CPU share; on a shared one
    # (the thread then gets less of the wall clock) by its late wake-ups.
    assert busy["cpu"] > LIMITS.cpu.value or busy["late_p90_ms"] > LIMITS.late_p90_ms.value
    assert busy["cpu"] > blocked["cpu"]
    assert quiet["ticks"] > 20 and quiet["cpu"] < busy["cpu"] and quiet["late_p90_ms"] < blocked["late_p90_ms"]
    assert stopped  # no check left: the ticker ends


def test_a_window_with_too_few_ticks_says_nothing():
    load = LoopLoad()
    assert load.window(0, now_ms()) is None

    async def brief():
        load.acquire()
        start = now_ms()
        await asyncio.sleep(0.02)
        window = load.window(start, now_ms())
        load.release()
        await asyncio.sleep(0.03)
        return window

    assert asyncio.run(brief()) is None


def test_a_new_loop_gets_a_ticker_of_its_own():
    # A check on a loop that has since gone (a worker's host loop replaced) left the old ticker
    # unfinished and its count held: a check on the new loop must still be measured.
    load = LoopLoad()

    async def check(release: bool):
        load.acquire()
        start = now_ms()
        await asyncio.sleep(0.15)
        window = load.window(start, now_ms())
        if release:
            load.release()
            await asyncio.sleep(0.03)
        return window

    old_loop = asyncio.new_event_loop()
    try:
        assert old_loop.run_until_complete(check(release=False))["ticks"] >= 5
        assert asyncio.run(check(release=True))["ticks"] >= 5
    finally:
        for task in asyncio.all_tasks(old_loop):
            task.cancel()
        old_loop.run_until_complete(asyncio.sleep(0))
        old_loop.close()
