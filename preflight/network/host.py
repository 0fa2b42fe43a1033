"""The process's asyncio loop for WebRTC peers, in a daemon thread.

One loop per worker process, created lazily on first use and again when the process id
changes (a fork: a gunicorn worker forked from a ``--preload`` master has no loop thread).
Never started at import time. Views hand coroutines to it with ``run()``; gunicorn's
``worker_exit`` hook calls ``shutdown()`` so every peer is closed when a worker exits.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import threading
from typing import Any, Awaitable, Callable

log = logging.getLogger(__name__)


class LoopHost:
    """A lazily started event loop running in its own daemon thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pid: int | None = None
        # Coroutine factories run on the loop before it stops (the session registry's close-all).
        self._on_shutdown: list[Callable[[], Awaitable[Any]]] = []

    def loop(self) -> asyncio.AbstractEventLoop:
        """The running loop of this process, started if needed."""
        with self._lock:
            alive = self._thread is not None and self._thread.is_alive()
            if self._loop is None or self._pid != os.getpid() or not alive:
                self._start()
            return self._loop  # type: ignore[return-value]

    def _start(self) -> None:
        loop = asyncio.new_event_loop()
        ready = threading.Event()

        def serve() -> None:
            asyncio.set_event_loop(loop)
            loop.call_soon(ready.set)
            try:
                loop.run_forever()
            finally:
                loop.close()

        thread = threading.Thread(target=serve, name="preflight-webrtc", daemon=True)
        thread.start()
        ready.wait(5)
        self._loop, self._thread, self._pid = loop, thread, os.getpid()

    @property
    def running(self) -> bool:
        """True when this process's loop thread is alive."""
        return self._thread is not None and self._thread.is_alive() and self._pid == os.getpid()

    def submit(self, coro: Awaitable[Any]) -> concurrent.futures.Future:
        """Schedule ``coro`` on the loop from any thread."""
        return asyncio.run_coroutine_threadsafe(coro, self.loop())  # type: ignore[arg-type]

    def run(self, coro: Awaitable[Any], timeout: float) -> Any:
        """Run ``coro`` on the loop and wait for its result (cancelled after ``timeout`` s)."""
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"peer operation took longer than {timeout}s") from None

    def on_shutdown(self, factory: Callable[[], Awaitable[Any]]) -> None:
        """Run ``factory()`` on the loop when the host shuts down (once per registration)."""
        if factory not in self._on_shutdown:
            self._on_shutdown.append(factory)

    def shutdown(self, timeout: float = 5.0) -> None:
        """Close every peer, stop the loop and join its thread (no-op when not running)."""
        with self._lock:
            if not self.running:
                self._loop = self._thread = None
                return
            loop, thread = self._loop, self._thread
            for factory in list(self._on_shutdown):
                try:
                    asyncio.run_coroutine_threadsafe(factory(), loop).result(timeout)  # type: ignore[arg-type]
                except Exception:  # a failing close must not keep the worker from exiting
                    log.exception("closing peers at shutdown failed")
            loop.call_soon_threadsafe(loop.stop)  # type: ignore[union-attr]
            thread.join(timeout)  # type: ignore[union-attr]
            self._loop = self._thread = None


HOST = LoopHost()


def get_host() -> LoopHost:
    """The process-wide loop host."""
    return HOST


def shutdown() -> None:
    """Close all peers and stop the loop (gunicorn ``worker_exit``, tests)."""
    HOST.shutdown()
