"""Thread-safe in-memory rate-limit counters: the ``memory://`` storage of flask-limiter.

``limits`` 5.8's ``MemoryStorage`` restarts its expiry timer without a lock: when two threads of one
gunicorn ``gthread`` worker count a hit at the same moment, both may start the same timer and one
request fails with "RuntimeError: threads can only be started once" (a 500). The load test found it
(bench/load, 16 participants arriving per second); it is fixed upstream (alisaifee/limits#352) but
not in a release yet. This subclass serialises the restart and takes over the ``memory://`` scheme,
so nothing else changes. Remove it once a ``limits`` release carries the fix.

Counting has a second race: the expiry timer drops a counter's per-key lock every 10 ms while
another thread may hold it, so two threads can increment under two different locks and a hit is
lost (1,199 of 1,200 seen in tests). One lock for all counter updates closes it; a hit is a
few microseconds, so the lock is never contended for long.
"""

from __future__ import annotations

import threading

from limits.storage.memory import MemoryStorage


class ThreadSafeMemoryStorage(MemoryStorage):
    """``MemoryStorage`` whose expiry timer is (re)started by one thread at a time."""

    STORAGE_SCHEME = ["memory"]  # registered in place of limits' own class

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        self._timer_lock = threading.Lock()
        self._counter_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def __setstate__(self, state: dict) -> None:
        self._timer_lock = threading.Lock()
        self._counter_lock = threading.Lock()
        super().__setstate__(state)

    def incr(self, key: str, expiry: float, amount: int = 1) -> int:
        """Count ``amount`` hits on ``key`` (never lost to a concurrent hit)."""
        with self._counter_lock:
            return super().incr(key, expiry, amount)

    def decr(self, key: str, amount: int = 1) -> int:
        """Take back ``amount`` hits on ``key``."""
        with self._counter_lock:
            return super().decr(key, amount)

    # Overrides MemoryStorage.__schedule_expiry (a name-mangled private method called by incr/acquire).
    def _MemoryStorage__schedule_expiry(self) -> None:
        with self._timer_lock:
            if not self.timer.is_alive():
                self.timer = threading.Timer(0.01, self._MemoryStorage__expire_events)
                self.timer.start()
