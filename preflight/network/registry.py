"""The live network checks of this process: admission (limits), lookup, close-all.

Admission keeps one link or one address from taking every slot: a participant has at most one
live check (a new offer closes their previous one, as a reloaded page would want), and one client
address at most ``per_address`` (several participants behind one office NAT share an address, so
this is a share of the slots, not one). Only touched from the loop thread, so admission is atomic
without locks.
"""

from __future__ import annotations

import math
import time
from typing import Callable

from .. import metrics
from .host import LoopHost, get_host
from .session import CheckSession
from .timing import now_ms

# A check normally ends within this many seconds; used to tell a waiting page when to retry.
TYPICAL_CHECK_S = 15


class Busy(Exception):
    """Every slot is taken; ``retry_after`` is a sensible number of seconds to wait.

    ``reason`` is the metrics label: ``busy`` (the limits) or ``udp_ports`` (MEDIA_UDP_PORTS full)."""

    def __init__(self, retry_after: int, reason: str = "busy") -> None:
        super().__init__(f"all network-check slots are busy; retry after {retry_after}s")
        self.retry_after = retry_after
        self.reason = reason


class Registry:
    """Strong references to every live CheckSession of this process."""

    def __init__(self) -> None:
        self.sessions: dict[str, CheckSession] = {}

    async def admit(
        self,
        limit: int,
        make: Callable[[Callable[[CheckSession], None]], CheckSession],
        *,
        participant_id: int | None = None,
        address: str | None = None,
        per_address: int | None = None,
    ) -> CheckSession:
        """Create a session with ``make(on_closed)`` within the limits, else raise Busy.

        The participant's own live check, if any, is closed first ("replaced"); then the process
        limit (``limit``) and the per-address limit (``per_address``) apply.
        """
        if participant_id is not None:
            for previous in [s for s in self.sessions.values() if s.participant_id == participant_id]:
                await previous.close("replaced")
        if len(self.sessions) >= max(0, limit):
            raise Busy(self.retry_after())
        if address and per_address is not None:
            if sum(1 for s in self.sessions.values() if s.http_addr == address) >= max(0, per_address):
                raise Busy(self.retry_after())
        session = make(self._forget)
        self.sessions[session.id] = session
        metrics.check_started()
        return session

    def retry_after(self) -> int:
        """Seconds until a slot is likely free: the soonest expected end of a running check."""
        now = now_ms()
        ends = [
            max(s.created + TYPICAL_CHECK_S * 1000, now)
            if now - s.created < TYPICAL_CHECK_S * 1000
            else s.created + s.time_limit_s * 1000
            for s in self.sessions.values()
        ]
        if not ends:
            return 1
        return max(1, min(30, math.ceil((min(ends) - now) / 1000)))

    def _forget(self, session: CheckSession) -> None:
        if self.sessions.pop(session.id, None) is not None:
            metrics.check_finished(session.close_reason, (now_ms() - session.created) / 1000)

    def get(self, session_id: str) -> CheckSession | None:
        """A live session by id (None when unknown, finished, or in another worker)."""
        return self.sessions.get(session_id)

    async def close_all(self, reason: str = "shutdown") -> None:
        """Close every live session (worker exit, tests)."""
        for session in list(self.sessions.values()):
            await session.close(reason)

    def __len__(self) -> int:
        return len(self.sessions)


REGISTRY = Registry()


def registry(host: LoopHost | None = None) -> Registry:
    """The process's registry, whose sessions are closed when ``host`` shuts down."""
    (host or get_host()).on_shutdown(REGISTRY.close_all)
    return REGISTRY


async def count_live() -> int:
    """How many checks are live (runs on the loop)."""
    return len(REGISTRY)


def wait_until_idle(timeout: float, host: LoopHost | None = None, poll: float = 0.2) -> int:
    """Wait until no check is live (a worker exiting gracefully), at most ``timeout`` s; returns how many remain."""
    deadline = time.monotonic() + timeout
    while (remaining := live_checks(host)) and time.monotonic() < deadline:
        time.sleep(poll)
    return remaining


def live_checks(host: LoopHost | None = None) -> int:
    """Number of live checks in this process, from any thread (0 when the loop never started)."""
    host = host or get_host()
    if not host.running:
        return 0
    return host.run(count_live(), timeout=5)
