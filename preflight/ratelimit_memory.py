"""Thread-safe in-memory rate-limit counters: the ``memory://`` storage of flask-limiter.

``limits`` 5.8's ``MemoryStorage`` restarts its expiry timer without a lock: when two threads of one
gunicorn ``gthread`` worker count a hit at the same moment, both may start the same timer and one
request fails with "RuntimeError: threads can only be started once" (a 500). The load test found it
(bench/load, 16 participants arriving per second); it is fixed upstream (alisaifee/limits#352) but
not in a release yet. This subclass serialises the restart and takes over the ``memory://`` scheme,
so nothing else changes. Remove it once a ``limits`` release carries the fix.
"""

from __future__ import annotations

import threading

from limits.storage.memory import MemoryStorage


class ThreadSafeMemoryStorage(MemoryStorage):
    """``MemoryStorage`` whose expiry timer is (re)started by one thread at a time."""

    STORAGE_SCHEME = ["memory"]  # registered in place of limits' own class

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, **options: str):
        self._timer_lock = threading.Lock()
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)

    def __setstate__(self, state: dict) -> None:
        self._timer_lock = threading.Lock()
        super().__setstate__(state)

    # Overrides MemoryStorage.__schedule_expiry (a name-mangled private method called by incr/acquire).
    def _MemoryStorage__schedule_expiry(self) -> None:
        with self._timer_lock:
            if not self.timer.is_alive():
                self.timer = threading.Timer(0.01, self._MemoryStorage__expire_events)
                self.timer.start()
