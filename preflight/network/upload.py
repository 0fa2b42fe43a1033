"""The upload half of a network check: the server counts what the page's upload delivers.

Every SCTP packet arriving on an upload connection or the control connection is counted at IP
level (retransmissions and acknowledgements included: they crossed the link too), sampled
every window into rates, and timed against the probes' one-way delay, which tells when the
uplink's queue is standing (busy periods). The page paces its upload by the progress messages
this meter sends back.
"""

from __future__ import annotations

import asyncio
import statistics
from collections import deque
from typing import Any, Callable

from aiortc import RTCPeerConnection

from ..netrules import protocol as P
from ..netrules import stats
from .aiortc_internals import count_datagrams, path_of
from .timing import TRACE, now_ms, rounded

# At most this many upload arrivals and probe delays are kept for the busy-period rate (about
# 20 s of packets at 20 Mbit/s; later ones are not timed).
MAX_UP_SAMPLES = 40_000


class UploadMeter:
    """Counts the upload while ``active()`` says the check is in its upload phase."""

    def __init__(self, active: Callable[[], bool], heard: Callable[[], None], trace: Callable[..., None]) -> None:
        self._active = active
        self._heard = heard
        self._trace = trace
        self.pcs: list[RTCPeerConnection] = []
        self.channels: list[Any] = []
        self.control_counted = False  # every control packet is counted (add_control), not only probes
        self.idle_transits: list[float] = []  # idle phase probes: server receive - page send (ms)
        self.recent_transits: deque = deque(maxlen=256)  # (receive time, transit), any phase
        self.transit_base: float | None = None  # median idle transit: zero of the upload queue
        self.frozen = False  # the rate stands as measured (saturation began or the phase ran out)
        self.bytes_wire = 0  # bulk + probe bytes received, IP level
        self.bulk_payload = 0
        self.samples: list[tuple[float, int]] = []
        self.start_ms: float | None = None
        self.rtt_hint_ms: float | None = None
        self.saturated_at: int | None = None  # first window with a standing queue (stats.phase_settled)
        self.arrivals: list[tuple[float, int]] = []  # (time, bytes_wire) until frozen
        self.queue: list[tuple[float, float]] = []  # (time, probe one-way delay over idle)
        self.traced: list[int] = []  # bench trace only: IP-level bytes counted per channel

    # ----- arrivals -----------------------------------------------------------------------
    def add_channel(self, channel: Any) -> None:
        """A bulk channel the page opened on an upload connection: count what it receives."""
        self.channels.append(channel)
        count = self._on_datagram
        if TRACE:
            index = len(self.traced)
            self.traced.append(0)

            def count(size: int) -> None:
                self.traced[index] += size + P.DATAGRAM_OVERHEAD_BYTES
                self._on_datagram(size)

        # Per packet where aiortc's internals are as expected, per message otherwise.
        by_packet = count_datagrams(channel, count)
        channel.on("message", self._on_payload if by_packet else self._on_message)

    def add_control(self, channel: Any) -> None:
        """The control connection (probes, control messages, acknowledgements of the echoes) crosses
        the same uplink: count every packet it receives during the upload, as the page counts the
        control connection in the download's bytes."""
        self.control_counted = count_datagrams(channel, self._on_control_datagram)

    def _on_control_datagram(self, size: int) -> None:
        if self._active():
            self._count(size + P.DATAGRAM_OVERHEAD_BYTES)

    def note_probe(self, received: float, transit: float, idle: bool, size: int) -> None:
        """A probe arrived ``transit`` ms after the page sent it (its clock): time the queue with it."""
        if idle:
            self.idle_transits.append(transit)
        self.recent_transits.append((received, transit))
        if self._active():
            if not self.control_counted:  # per probe where the control connection's packets are not counted
                self._count(P.wire_bytes(size))
            if self.transit_base is not None and not self.frozen and len(self.queue) < MAX_UP_SAMPLES:
                self.queue.append((received, transit - self.transit_base))

    def fix_base(self) -> None:
        """The idle phase is over: its median transit is the zero of the upload queue."""
        if self.transit_base is None and self.idle_transits:
            self.transit_base = statistics.median(self.idle_transits)

    def _on_message(self, message: Any) -> None:
        self._on_payload(message)
        self._count(P.wire_bytes(len(message)))

    def _on_payload(self, message: Any) -> None:
        self._heard()
        self.bulk_payload += len(message)

    def _on_datagram(self, size: int) -> None:
        self._heard()
        self._count(size + P.DATAGRAM_OVERHEAD_BYTES)

    def _count(self, wire: int) -> None:
        """Count ``wire`` bytes received on the uplink (IP level), timed during the upload phase."""
        self.bytes_wire += wire
        if self._active() and not self.frozen and len(self.arrivals) < MAX_UP_SAMPLES:
            self.arrivals.append((now_ms(), self.bytes_wire))

    def trace_channels(self) -> None:
        """Bench trace only: each channel's counted bytes and path, to set beside a capture."""
        for channel, counted in zip(self.channels, self.traced):
            self._trace("up channel", path=path_of(channel), bytes=counted)

    # ----- the phase ----------------------------------------------------------------------
    def start(self, started_ms: float, rtt_ms: Any) -> None:
        """The upload phase begins at ``started_ms``; ``rtt_ms`` is the page's round trip."""
        self.rtt_hint_ms = float(rtt_ms) if isinstance(rtt_ms, (int, float)) and 0 <= rtt_ms < 10_000 else None
        self.start_ms = started_ms
        self.samples = [(started_ms, self.bytes_wire)]

    async def report(
        self, running: Callable[[], bool], send: Callable[[dict], None], settled: Callable[[], None]
    ) -> None:
        """Sample the counter every window and tell the page how it stands, while ``running()``;
        once the rate has settled it stands as measured, and ``settled()`` is called."""
        while running() and not self.frozen:
            await asyncio.sleep(stats.WINDOW_MS / 1000)
            if self.frozen:
                break
            self.samples.append((now_ms(), self.bytes_wire))
            message = self.progress()
            send(message)
            if message["settled"]:
                self.frozen = True
                settled()

    def progress(self) -> dict:
        """The ``{"t": "up", ...}`` message for the window just sampled."""
        windows = self.windows()
        recent = [kbps for _, kbps in stats.window_rates(self.samples[-3:])]
        queue = self.queue_ms()
        target = stats.queue_target_ms(self.rtt_hint_ms, None, max(recent) if recent else None)
        self.saturated_at = stats.saturation(self.saturated_at, queue, target, len(windows))
        # "last": the latest window's rate (warm-up included); "best": the better of the last
        # two; "queue_ms": upload one-way delay growth. The page paces by them.
        message = {
            "t": "up",
            "kbps": rounded(stats.phase_rate(windows, self.saturated_at)),
            "n": len(windows),
            "settled": stats.phase_settled(windows, self.rtt_hint_ms, self.saturated_at),
            "bytes": self.bulk_payload,
            "last": rounded(recent[-1]) if recent else None,
            "best": rounded(max(recent)) if recent else None,
            "queue_ms": rounded(queue),
        }
        self._trace("up", **{k: message[k] for k in ("last", "best", "queue_ms", "kbps", "settled")})
        return message

    def queue_ms(self) -> float | None:
        """How much the upload one-way delay grew over the idle phase's (median of the last 300 ms)."""
        if self.transit_base is None:
            return None
        cut = now_ms() - 300
        recent = [transit for t, transit in self.recent_transits if t >= cut]
        return statistics.median(recent) - self.transit_base if recent else None

    # ----- the figures --------------------------------------------------------------------
    def windows(self) -> list[float]:
        """Upload window rates (kbit/s, IP level) after the warm-up."""
        if self.start_ms is None:
            return []
        return stats.steady(stats.window_rates(self.samples), self.start_ms, self.rtt_hint_ms)

    def busy(self, window_kbps: float | None) -> tuple[float | None, float]:
        """(kbit/s, ms) over the upload's busy periods (stats.busy_rate), (None, 0) without any;
        ``window_kbps`` (the windows' estimate) sets the queue threshold on slow links."""
        threshold = stats.busy_threshold_ms(self.idle_transits, self.transit_base, self.rtt_hint_ms, window_kbps)
        return stats.busy_rate(self.arrivals, stats.busy_runs(self.queue, threshold))

    def summary(self) -> dict:
        """The upload's share of the signed record."""
        windows = self.windows()
        window_kbps = stats.phase_rate(windows, self.saturated_at)
        busy_kbps, busy_ms = self.busy(window_kbps)
        self._trace("up summary", windows=rounded(window_kbps), busy=rounded(busy_kbps), busy_ms=rounded(busy_ms, 0))
        return {
            "upload_kbps": rounded(stats.sustained_rate(windows, self.saturated_at, busy_kbps)),
            "upload_window_kbps": rounded(window_kbps),
            "upload_busy_kbps": rounded(busy_kbps),
            "upload_busy_ms": rounded(busy_ms, 0),
            "upload_windows": [rounded(w) for w in windows],
            "upload_settled": stats.phase_settled(windows, self.rtt_hint_ms, self.saturated_at),
            "upload_payload_bytes": self.bulk_payload,
        }
