"""The reference client's plan and running state (see ``reference_client``)."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from statistics import median
from typing import Any

from ..netrules import protocol as P
from .timing import now_ms, rounded


@dataclass
class Plan:
    """Durations and caps of one run (the page uses the same defaults)."""

    down: int = P.DOWN_CONNECTIONS
    up: int = P.UP_CONNECTIONS
    connect_s: float = 10.0
    idle_s: float = 3.0
    phase_cap_s: float | None = None  # None: stats.phase_cap_ms(idle RTT), as the page does
    probe_hz: float = 100.0
    idle_probe_hz: float = 150.0  # more probes while idle: upload loss is counted there mostly
    lossy_probe_hz: float = 600.0  # a lossy idle phase's fast half (stats.idle_is_lossy)
    crowded_probe_hz: float = 50.0  # the download phase after a fast half that crowded the link
    summary_s: float = 3.0
    upload: bool = True
    download: bool = True
    rate_cap_kbps: float = P.MAX_RATE_KBPS  # the upload's pace cap (the page learns it from /network/config)
    ice_servers: list[dict] = field(default_factory=list)
    negotiated: bool = True  # data channels negotiated out of band, as the page does (protocol.py)
    # Test hook: after connecting, stay connected but silent for this many seconds, then close.
    stall_s: float | None = None
    # Test hook: {tag: n}, every nth probe of that tag (phase | SETTLING | FAST) is never sent, its
    # sequence number (within the tag) used as a lost one's is (the uplink's loss as the server counts it).
    lose_probes_every: dict[int, int] = field(default_factory=dict)


def send_ctl(channel, message: dict) -> bool:
    """Send a control message if the channel is still open (the server may have closed it)."""
    if channel.readyState != "open":
        return False
    channel.send(json.dumps(message))
    return True


class ClientRun:
    """What the client has sent and received so far in one check."""

    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.phase = P.PHASE_IDLE
        self.phase_started = 0.0
        self.sent = {p: 0 for p in range(4)}  # per tag; also the tag's next sequence number
        self.echoes_recv: dict[int, int] = {}
        self.rtts: dict[int, list[tuple[float, float]]] = {p: [] for p in range(4)}  # (recv time, rtt)
        self.down_transits: list[float] = []
        self.fast_down_transits: list[float] = []  # the same in a lossy idle phase's fast half
        self.recent_down: list[tuple[float, float]] = []
        self.down_brake = None
        self.settling = 0  # P.SETTLING while a queue is filled on purpose or drains
        self.spread: float | None = None  # p90 - median of the idle RTT
        self.down_bytes = 0
        self.idle_seq_seen = 0  # highest idle probe echoed (stats.idle_is_lossy)
        self.fast = False  # a lossy idle phase's fast half is running: probes at lossy_probe_hz, tagged FAST
        self.base_rtts: int | None = None  # how many idle round trips came before that fast half
        self.crowded_since: float | None = None  # since when its round trips stand over the first half's
        self.drain_started: float | None = None  # when it was found crowded: no probes until its queue drains
        self.resumed_rtts: int | None = None  # idle round trips before the first half resumed after that drain
        self.resume_cleared = False  # the resumed first half's round trip is back to the first half's
        self.last_echo_at: float | None = None
        self.down_samples: list[tuple[float, int]] = []
        # While the download's rate is unknown: "queue", (time, queue) per echo; "arrivals",
        # (time, bytes) by then; "wire", (time, bytes at IP level) per packet (network.js).
        self.down_busy: dict[str, list] | None = None
        self.down_wire = 0
        self.down_base: float | None = None  # median idle transit server -> client
        self.up_progress: dict[str, Any] = {}
        self.summary: dict | None = None
        self.summary_event = asyncio.Event()
        self.summary_phase: int | None = None
        self.progress_event = asyncio.Event()

    @property
    def lossy(self) -> bool:
        """The idle phase was lengthened for loss: it has a fast half."""
        return self.base_rtts is not None

    @property
    def fast_half_crowded(self) -> bool:
        """That fast half crowded the link (network.js, watchFastHalf)."""
        return self.drain_started is not None

    @property
    def resuming_gently(self) -> bool:
        """The first half resumed after a crowded fast half and still finds a queue (network.js,
        watchResume): it probes at ``crowded_probe_hz``."""
        return self.resumed_rtts is not None and not self.resume_cleared

    def recent_idle_rtt(self, count: int, since: int) -> float | None:
        """The median of the last ``count`` idle round trips, or None where fewer than ``count`` came
        after the first ``since`` (network.js, recentIdleRtt)."""
        rtts = self.rtts[P.PHASE_IDLE]
        if len(rtts) - since < count:
            return None
        return median([r for _, r in rtts[-count:]])

    def idle_rtts(self) -> list[float]:
        """The idle round trips at the idle phase's own rate, as the page reads them (network.js): a
        lossy second half probes four times as often, and on a jittery link packets sent closer
        together wait behind each other."""
        return [r for _, r in self.rtts[P.PHASE_IDLE][: self.base_rtts]]

    def fast_queue_down_ms(self) -> float | None:
        """The fast half's echoes' median one-way delay over the first half's, as network.js reports it."""
        if not self.fast_down_transits or not self.down_transits:
            return None
        return rounded(median(self.fast_down_transits) - median(self.down_transits))

    def up_queue(self, phase: int, ms: float, idle_rtt: float | None) -> float | None:
        """The uplink's queue over the last ``ms``: the echoes' round trip over the idle one, less
        what the downlink adds (its one-way delay over the idle one), as network.js's upQueue."""
        since = now_ms() - ms
        recent = [r for t, r in self.rtts[phase] if t >= since]
        if not recent:
            return None
        down = [transit for t, transit in self.recent_down if t >= since]
        excess = median(down) - median(self.down_transits) if down and self.down_transits else 0.0
        return median(recent) - (idle_rtt or 0.0) - max(0.0, excess)

    def on_echo(self, message: Any) -> None:
        if not isinstance(message, bytes) or len(message) != P.ECHO.size:
            return
        kind, tag, _pad, seq, _echo_seq, _pad2, t_page, t_server = P.ECHO.unpack(message)
        if kind != P.ECHO_TYPE:
            return
        now = now_ms()
        self.echoes_recv[tag] = self.echoes_recv.get(tag, 0) + 1
        self.last_echo_at = now
        self.rtts[self.phase].append((now, now - t_page))
        if tag == P.PHASE_IDLE:
            self.idle_seq_seen = max(self.idle_seq_seen, seq)
            if not self.lossy:  # the unhurried echoes only, as the idle round trip (network-flows.js)
                self.down_transits.append(now - t_server)
        elif tag == P.PHASE_IDLE | P.FAST:
            self.fast_down_transits.append(now - t_server)
        self.recent_down.append((now, now - t_server))
        if len(self.recent_down) > 256:
            del self.recent_down[:64]
        if self.phase == P.PHASE_DOWN and self.down_brake is not None:
            self.down_brake()
        if self.phase == P.PHASE_DOWN:
            self.down_bytes += P.wire_bytes(len(message))
            if self.down_busy is not None:  # set only with a base (reference_bulk.download)
                self.down_busy["queue"].append((now, now - t_server - self.down_base))
                self.down_busy["arrivals"].append((now, self.down_bytes))

    def on_ctl(self, message: Any) -> None:
        try:
            data = json.loads(message)
        except (TypeError, ValueError):
            return
        if data.get("t") == "up":
            self.up_progress = data
            self.progress_event.set()
        elif data.get("t") == "summary" and self.summary is None:
            self.summary = data
            self.summary_phase = self.phase  # the server sends it as the upload settles, before "done"
            self.summary_event.set()

    def on_down_datagram(self, size: int) -> None:
        """A packet arrived on a download or the control connection (``size``: its decrypted SCTP
        bytes); counted only while the download's busy periods are timed (the rest of the check
        has no use for it)."""
        if self.down_busy is not None:
            self.down_wire += size + P.DATAGRAM_OVERHEAD_BYTES
            self.down_busy["wire"].append((now_ms(), self.down_wire))

    def on_bulk(self, message: Any) -> None:
        if self.phase == P.PHASE_DOWN:
            self.down_bytes += P.wire_bytes(len(message))
