"""The download half of a network check: the server fills the page's bulk channels at a pace.

The page measures what arrives and, every window, sends back the rate and how much its
one-way delay grew (``{"t": "down", ...}``); ``stats.Pacing`` turns that into the next pace,
and a token bucket (``Pacer``) holds the channels to it. Once the page knows the rate it asks
for saturation (bufferbloat), then stops the download, which closes its connections.
"""

from __future__ import annotations

import asyncio
import logging
import os
from typing import Any, Callable

from aiortc import RTCPeerConnection

from ..netrules import protocol as P
from ..netrules import stats
from .aiortc_internals import instrument, open_window
from .timing import TRACE, now_ms, number

log = logging.getLogger(__name__)

# Bulk payload: random bytes once per process (DTLS encrypts them anyway; no compression).
_PAYLOAD = os.urandom(P.BULK_MESSAGE_BYTES)


class Pacer:
    """A token bucket: at most ``kbps`` of payload on average, bursts of 20 ms (two messages at least)."""

    def __init__(self, kbps: float) -> None:
        self.stamp = now_ms()
        self.set_kbps(kbps)
        self.tokens = float(self.burst)

    def set_kbps(self, kbps: float) -> None:
        """Change the rate (kbit/s of payload)."""
        self.kbps = kbps
        self.bytes_per_ms = kbps / 8
        self.burst = max(2 * P.message_bytes(kbps), self.bytes_per_ms * 20)

    def take(self, size: int) -> bool:
        """Spend ``size`` bytes if the bucket holds them."""
        now = now_ms()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.bytes_per_ms)
        self.stamp = now
        if self.tokens < size:
            return False
        self.tokens -= size
        return True

    def wait_ms(self, size: int) -> float:
        """Milliseconds until ``size`` bytes are available."""
        return max(1.0, (size - self.tokens) / self.bytes_per_ms)


class DownloadSender:
    """Fills the download channels while ``active()`` says the check is in its download phase."""

    def __init__(
        self, active: Callable[[], bool], trace: Callable[..., None], rate_cap_kbps: float = P.MAX_RATE_KBPS
    ) -> None:
        self._active = active
        self.rate_cap_kbps = rate_cap_kbps
        self._trace = trace
        self.pcs: list[RTCPeerConnection] = []
        self.channels: list[Any] = []
        self.connections = 0  # bulk channels ever opened (the signed record reports it)
        self.payload_sent = 0
        self.rtt_hint_ms: float | None = None  # the page's idle round trip
        self.stopped = False
        self._pacer = Pacer(rate_cap_kbps)
        self._pacing = stats.Pacing(stats.PACE_START_DOWN_KBPS, rate_cap_kbps, None)
        self._refill: asyncio.TimerHandle | None = None
        self._saturating = False
        self._pause_until = 0.0
        self._tx: dict[str, int] = {}  # bench trace only: bytes sent / retransmitted, T3 expiries

    def add_channel(self, channel: Any) -> None:
        """A bulk channel the page opened on a download connection: keep it topped up."""
        self.channels.append(channel)
        self.connections += 1
        if TRACE:
            instrument(channel, self._tx)
        channel.bufferedAmountLowThreshold = P.CHUNK_PAYLOAD_BYTES
        channel.on("bufferedamountlow", lambda ch=channel: self._fill(ch))
        if self._active():
            self._fill(channel)

    def start(self, spread_ms: float | None) -> None:
        """The download phase begins: pace from the start rate, given the idle path's delay spread."""
        self._pacing = stats.Pacing(
            stats.PACE_START_DOWN_KBPS,
            self.rate_cap_kbps,
            self.rtt_hint_ms,
            spread_ms if spread_ms is not None and 0 <= spread_ms < 1000 else None,
        )
        self._pacer = Pacer(self._pacing.pace)
        self.fill_all()

    def steer(self, data: dict) -> bool:
        """Apply the page's feedback (``{"t": "down", ...}``); True when the page asked to stop."""
        if data.get("stop") is True:
            # The connections are closed at once (by the caller): the upload must not start
            # against a recovering download flow.
            self.stopped = True
            self._trace("down stop")
            return True
        pacing = self._pacing
        if data.get("saturate") is True:
            # The rate is known: send at SATURATE_GAIN times it, under aiortc's own congestion
            # control, so the bottleneck queue fills (bufferbloat).
            measured = number(data.get("kbps")) or pacing.pace
            self._saturating = True
            self._pacer.set_kbps(min(self.rate_cap_kbps, stats.SATURATE_GAIN * max(measured, pacing.bottleneck())))
            self._trace("down saturate", pace=round(self._pacer.kbps))
            return False
        if data.get("brake") is True:
            pace = pacing.on_brake()
            self._pacer.set_kbps(pace)
            self._pacer.tokens = 0.0
            self._pause_until = now_ms() + pacing.target  # let the queue shrink before sending again
            self._trace("down brake", queue_ms=data.get("queue_ms"), pace=round(pace))
            return False
        best, queue = number(data.get("best")) or number(data.get("last")), number(data.get("queue_ms"))
        if best is None:
            return False
        delivered = best * P.CHUNK_PAYLOAD_BYTES / (P.CHUNK_PAYLOAD_BYTES + P.PACKET_OVERHEAD_BYTES)
        pace = pacing.on_window(delivered, queue)
        self._pacer.set_kbps(pace)
        last = number(data.get("last"))
        self._trace("down", last=last, best=best, queue_ms=queue, startup=pacing.startup, pace=round(pace), **self._tx)
        self.fill_all()
        return False

    def fill_all(self) -> None:
        """Top up every channel (and forget the pending refill timer)."""
        self._refill = None
        for channel in self.channels:
            self._fill(channel)

    def _fill(self, channel: Any) -> None:
        """Keep a bulk channel's queue topped up while the download phase lasts, within the pace."""
        if self._active() and not self._saturating:
            # Room for the pace's bandwidth-delay product (plus the queue it aims at), split over
            # the connections: enough for the pace to rule, too little for a retransmission storm.
            rtt = self.rtt_hint_ms or 50.0
            window = self._pacer.bytes_per_ms * (rtt + 4 * self._pacing.target + 50) * 1.5
            open_window(channel, int(window / max(1, len(self.channels))))
        if now_ms() < self._pause_until:
            if self._refill is None:
                self._refill = asyncio.get_running_loop().call_later(
                    (self._pause_until - now_ms()) / 1000, self.fill_all
                )
            return
        payload = _PAYLOAD[: P.message_bytes(self._pacer.kbps)]
        while (
            self._active()
            and not self.stopped
            and channel.readyState == "open"
            and channel.bufferedAmount < 2 * len(payload)
        ):
            if not self._pacer.take(len(payload)):
                if self._refill is None:
                    delay = self._pacer.wait_ms(len(payload)) / 1000
                    self._refill = asyncio.get_running_loop().call_later(delay, self.fill_all)
                return
            channel.send(payload)
            self.payload_sent += len(payload)

    async def close_connections(self) -> None:
        """Close the download connections (their retransmissions end with them)."""
        pcs, self.pcs, self.channels = self.pcs, [], []
        for pc in pcs:
            try:
                await asyncio.wait_for(pc.close(), 5)
            except Exception:
                log.exception("closing a download connection failed")

    def cancel(self) -> None:
        """The check is over: no more refills, no channels."""
        if self._refill is not None:
            self._refill.cancel()
        self.channels = []
