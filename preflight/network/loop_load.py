"""How busy the process's WebRTC loop is, so a check can tell whether the server kept up.

Every check of a process shares one asyncio loop (host.py). When that loop cannot keep up (too
many checks for the core, or a core shared with something else) datagrams wait in the socket's
buffer, echoes leave late and SCTP's window collapses: the server itself then reads as a slow,
bloated line. A ticker on the loop notes, every ``TICK_MS``, how late it woke and the loop
thread's CPU time; ``window()`` sums up a stretch of a check (one phase) as the late wake-ups'
90th percentile and the share of the wall clock the loop thread spent on the CPU. The judge
(checks/network.py) does not blame the participant's line for what a strained phase measured.

The ticker runs only while a check is live (``acquire`` / ``release``), and costs about a
hundred wake-ups a second.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque

from .timing import now_ms, rounded

TICK_MS = 10
# Two minutes of ticks: longer than any check (CHECK_TIME_LIMIT is 40 s by default).
KEEP_TICKS = 12_000
# Fewer ticks than this in a window say nothing (a phase that lasted a few ticks).
MIN_TICKS = 5


class LoopLoad:
    """A ticker on one asyncio loop and the wake-up lateness and CPU time it recorded."""

    def __init__(self) -> None:
        self._ticks: deque[tuple[float, float, float]] = deque(maxlen=KEEP_TICKS)  # (ms, late ms, cpu s)
        self._users = 0
        self._task: asyncio.Task | None = None

    def acquire(self) -> None:
        """A check begins (call on the loop): keep the ticker running."""
        loop = asyncio.get_running_loop()
        if self._task is not None and self._task.get_loop() is not loop:
            # The host's loop was replaced (a worker's shutdown, a fork): its checks and ticker are gone.
            self._task, self._users = None, 0
        self._users += 1
        if self._task is None or self._task.done():
            self._task = loop.create_task(self._tick())

    def release(self) -> None:
        """A check ended: the ticker stops once no check is left."""
        self._users = max(0, self._users - 1)
        if self._users == 0 and self._task is not None:
            self._task.cancel()  # at once: a worker's loop may stop right after its last check closes

    async def _tick(self) -> None:
        loop = asyncio.get_running_loop()
        step = TICK_MS / 1000
        due = loop.time() + step
        while self._users > 0:
            await asyncio.sleep(max(0.0, due - loop.time()))
            woke = loop.time()
            # thread_time: the loop thread's own CPU time, not the web server threads' beside it.
            self._ticks.append((now_ms(), (woke - due) * 1000, time.thread_time()))
            due = woke + step

    def window(self, start_ms: float, end_ms: float) -> dict | None:
        """The loop's load between two ``now_ms()`` stamps: ``late_p90_ms`` (how late the
        ticker woke, 90th percentile) and ``cpu`` (the loop thread's CPU time over the wall
        time, 0 to 1); None when too few ticks fell in the window."""
        ticks = [t for t in self._ticks if start_ms <= t[0] <= end_ms]
        if len(ticks) < MIN_TICKS:
            return None
        late = sorted(t[1] for t in ticks)
        wall_s = (ticks[-1][0] - ticks[0][0]) / 1000
        cpu = (ticks[-1][2] - ticks[0][2]) / wall_s if wall_s > 0 else 0.0
        return {
            "late_p90_ms": rounded(late[int(0.9 * (len(late) - 1))], 1),
            "cpu": rounded(min(1.0, cpu), 2),
            "ticks": len(ticks),
        }


LOOP_LOAD = LoopLoad()
