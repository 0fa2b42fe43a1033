"""What the uplink carried during the download, to tell whether its probes then count toward its loss.

During the download the uplink carries the download's acknowledgements, the probes and the
control messages. Where that left room on the uplink (stats.spare_direction), the download
phase's probes say as much about the line's loss as the idle ones, and the server counts them
too: more probes, a closer loss figure. Where it crowded the uplink, only the idle probes count.
"""

from __future__ import annotations

import statistics
from typing import Any, Callable

from ..netrules import protocol as P
from ..netrules import stats
from .aiortc_internals import count_datagrams
from .timing import now_ms, rounded

# At most this many probe delays are kept (a download phase at the lossy rate sends ~3,600).
MAX_TRANSITS = 20_000


class SpareUplink:
    """Counts every packet the server receives while ``active()`` says the download is running."""

    def __init__(self, active: Callable[[], bool]) -> None:
        self._active = active
        self.bytes_wire = 0  # IP level, every connection watched
        self.started_ms: float | None = None
        self.ended_ms: float | None = None
        self.transits: list[float] = []  # download phase probes: server receive - page send (ms)

    def watch(self, channel: Any) -> None:
        """Count the packets of ``channel``'s association (the control connection, each download one)."""
        count_datagrams(channel, self._on_datagram)

    def _on_datagram(self, size: int) -> None:
        if self._active():
            self.bytes_wire += size + P.DATAGRAM_OVERHEAD_BYTES

    def start(self) -> None:
        """The download phase began."""
        self.started_ms = now_ms()

    def stop(self) -> None:
        """The download phase ended (the upload began, or the check)."""
        if self.started_ms is not None and self.ended_ms is None:
            self.ended_ms = now_ms()

    def note_probe(self, transit: float) -> None:
        """A probe the page sent during the download (not while a queue settles) took ``transit`` ms."""
        if len(self.transits) < MAX_TRANSITS:
            self.transits.append(transit)

    def use_kbps(self) -> float | None:
        """The uplink's use during the download (kbit/s), None before the download ended."""
        if self.started_ms is None or self.ended_ms is None or self.ended_ms <= self.started_ms:
            return None
        return self.bytes_wire * 8 / (self.ended_ms - self.started_ms)

    def queue_ms(self, base_transit: float | None) -> float | None:
        """The probes' median one-way delay during the download over the idle one."""
        if base_transit is None or not self.transits:
            return None
        return statistics.median(self.transits) - base_transit

    def judge(
        self,
        base_transit: float | None,
        upload_kbps: float | None,
        idle: tuple[int, int] | None = None,
        loaded: tuple[int, int] | None = None,
    ) -> dict:
        """Whether the download phase's probes count toward the uplink's loss, with the figures why;
        ``idle`` and ``loaded`` are (sent, received) of the idle and the download phase's probes."""
        use, queue = self.use_kbps(), self.queue_ms(base_transit)
        return {
            "spare": stats.spare_direction(use, upload_kbps, queue, idle, loaded),
            "use_kbps": rounded(use),
            "queue_ms": rounded(queue),
        }
