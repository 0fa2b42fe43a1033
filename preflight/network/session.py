"""One running network check on the server: its peer connections and what it measures.

Lives on the process's loop (host.py); every method runs there. What the server measures
itself (probes it received per phase, upload bytes per window, its one-way jitter, the
SCTP round-trip estimate, the address its ICE agent sees) goes into the signed summary the
page hands back with its results, so the judge never has to trust the page for them.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import secrets
import statistics
import sys
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any, Callable

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from . import protocol as P
from . import sctp, stats

log = logging.getLogger(__name__)

# Bulk payload: random bytes once per process (DTLS encrypts them anyway; no compression).
_PAYLOAD = os.urandom(P.BULK_MESSAGE_BYTES)

# Bench diagnostics: PREFLIGHT_NETWORK_TRACE=1 prints every pacing decision to stderr.
TRACE = os.environ.get("PREFLIGHT_NETWORK_TRACE") == "1"


def trace(session: "CheckSession", event: str, **values: Any) -> None:
    """One line of pacing diagnostics (benches only)."""
    if TRACE:
        stamp = now_ms() - session.created
        print(f"[{session.id[:6]} {stamp:8.0f}ms] {event} " + " ".join(f"{k}={v}" for k, v in values.items()),
              file=sys.stderr, flush=True)


# Largest SCTP window forced on a download association (see _open_window).
OPEN_WINDOW_BYTES = 4 * 1024 * 1024

# Server-side caps per phase (the page has its own, shorter ones): a silent page is dropped.
CONNECT_TIMEOUT_S = 12.0
# The page's cap for the phase (stats.phase_cap_ms) + saturation + drain, with margin.
PHASE_CAP_MARGIN_S = 4.0
IDLE_CAP_S = 6.0
# At most this many upload arrivals and probe delays are kept for the busy-period rate (about
# 20 s of packets at 20 Mbit/s; later ones are not timed).
MAX_UP_SAMPLES = 40_000


@dataclass
class Offer:
    """One peer connection's offer: ``ctl`` (control + probes), ``down`` or ``up`` (bulk)."""

    kind: str
    sdp: str


@dataclass
class Counters:
    """What the server counts while a check runs."""

    probes_recv: dict[int, int] = field(default_factory=lambda: {p: 0 for p in range(4)})
    probe_seq_range: dict[int, list[int]] = field(default_factory=dict)  # phase -> [min, max]
    echoes_sent: dict[int, int] = field(default_factory=dict)  # echo tag (phase | SETTLING) -> count
    up_transits: list[float] = field(default_factory=list)  # idle phase: server recv - page send (ms)
    recent_transits: deque = field(default_factory=lambda: deque(maxlen=256))  # (recv time, transit), any phase
    up_transit_base: float | None = None  # median idle transit: zero of the upload queue
    up_frozen: bool = False
    up_bytes_wire: int = 0  # bulk + probe bytes received, IP level
    up_bulk_payload: int = 0
    up_samples: list[tuple[float, int]] = field(default_factory=list)
    up_start_ms: float | None = None
    up_rtt_hint_ms: float | None = None
    up_saturated_at: int | None = None  # first upload window with a standing queue (stats.phase_settled)
    up_arrivals: list[tuple[float, int]] = field(default_factory=list)  # (time, up_bytes_wire) until frozen
    up_queue: list[tuple[float, float]] = field(default_factory=list)  # (time, probe one-way delay over idle)
    idle_rtt_hint_ms: float | None = None
    down_payload_sent: int = 0


# Receive buffer for the peers' UDP sockets. A data-channel burst at 20 Mbit/s outruns the
# default 208 KiB (about 90 full packets once kernel overhead is counted) whenever the loop is
# busy for a few tens of ms; the drops then look like a slow link. The kernel caps the size
# at net.core.rmem_max (docs/capacity.md).
RCVBUF_BYTES = 4 * 1024 * 1024


def enlarge_receive_buffers(pc: RTCPeerConnection, size: int = RCVBUF_BYTES) -> int:
    """Raise SO_RCVBUF on the UDP sockets aioice gathered for ``pc``; returns how many were set."""
    import socket

    done = 0
    try:
        protocols = pc.sctp.transport.transport.iceGatherer._connection._protocols  # private: guarded
    except AttributeError:
        return 0
    for protocol in protocols:
        sock = getattr(getattr(protocol, "transport", None), "get_extra_info", lambda _name: None)("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, size)
                done += 1
            except OSError:
                pass
    return done


def now_ms() -> float:
    """Monotonic milliseconds on the server."""
    return time.monotonic() * 1000


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


class CheckSession:
    """The server's side of one network check."""

    def __init__(self, *, participant_id: int, run_id: str, http_addr: str | None, ice: list[RTCIceServer],
                 time_limit_s: float, sign: Callable[[dict], str], on_closed: Callable[["CheckSession"], None]) -> None:
        self.id = secrets.token_urlsafe(12)
        self.close_key = secrets.token_urlsafe(16)
        self.participant_id = participant_id
        self.run_id = run_id
        self.http_addr = http_addr
        self.created = now_ms()
        self.time_limit_s = time_limit_s
        self._ice = ice
        self._sign = sign
        self._on_closed = on_closed
        self.phase = P.PHASE_IDLE
        self.phase_started = self.created
        self.counters = Counters()
        self.ctl_pc: RTCPeerConnection | None = None
        self.down_pcs: list[RTCPeerConnection] = []
        self.up_pcs: list[RTCPeerConnection] = []
        self.ctl = None
        self.probe = None
        self.down_channels: list[Any] = []
        self.up_channels: list[Any] = []
        self.connected_at: float | None = None
        self.close_reason: str | None = None
        self.closed = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._last_heard = self.created
        self._pacer = Pacer(P.MAX_RATE_KBPS)
        self._refill: asyncio.TimerHandle | None = None
        self._saturating = False
        self._pause_until = 0.0
        self._pacing = stats.Pacing(stats.PACE_START_DOWN_KBPS, P.MAX_RATE_KBPS, None)
        self._stopped = False
        self._down_count = 0
        self._pcs: list[RTCPeerConnection] = []
        self._tx: dict[str, int] = {}  # TRACE only: download bytes sent / retransmitted, T3 expiries

    # ----- set-up -------------------------------------------------------------------------
    async def accept(self, offers: list[Offer]) -> list[dict]:
        """Answer every offer (creating the peer connections); raises on a bad offer."""
        sctp.install()  # aiortc's repeated fast retransmissions (sctp.py), patched once per process
        answers = []
        for offer in offers:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=list(self._ice)))
            self._pcs.append(pc)  # every connection ever created, closed by close()
            if offer.kind == "ctl":
                self.ctl_pc = pc
                pc.on("datachannel", self._on_ctl_channel)
                pc.on("connectionstatechange", self._on_ctl_state)
            elif offer.kind == "down":
                self.down_pcs.append(pc)
                pc.on("datachannel", self._on_down_channel)
            else:
                self.up_pcs.append(pc)
                pc.on("datachannel", self._on_up_channel)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
            enlarge_receive_buffers(pc)
            answers.append({"kind": offer.kind, "sdp": pc.localDescription.sdp})
        self._spawn(self._watchdog())
        return answers

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)  # strong reference until done
        task.add_done_callback(self._tasks.discard)

    # ----- channels ---------------------------------------------------------------------
    def _on_ctl_channel(self, channel) -> None:
        if channel.label == "probe" and self.probe is None:
            self.probe = channel
            channel.on("message", self._on_probe)
        elif channel.label == "ctl" and self.ctl is None:
            self.ctl = channel
            self.connected_at = now_ms()
            channel.on("message", self._on_ctl_message)
            channel.on("close", lambda: self._spawn(self.close("page_closed")))
        else:
            channel.close()

    def _on_down_channel(self, channel) -> None:
        if channel.label != "bulk":
            channel.close()
            return
        self.down_channels.append(channel)
        self._down_count += 1
        if TRACE:
            _instrument(channel, self._tx)
        channel.bufferedAmountLowThreshold = P.CHUNK_PAYLOAD_BYTES
        channel.on("bufferedamountlow", lambda ch=channel: self._fill(ch))
        if self.phase == P.PHASE_DOWN:
            self._fill(channel)

    def _on_up_channel(self, channel) -> None:
        if channel.label != "bulk":
            channel.close()
            return
        self.up_channels.append(channel)
        # Upload bytes are counted per packet as they arrive (retransmissions included: they
        # crossed the link too); per message only where aiortc's internals are not as expected.
        by_packet = _count_datagrams(channel, self._on_up_datagram)
        channel.on("message", self._on_bulk_payload if by_packet else self._on_bulk_message)

    def _on_ctl_state(self) -> None:
        if self.ctl_pc is not None and self.ctl_pc.connectionState in ("failed", "closed"):
            self._spawn(self.close("connection_" + self.ctl_pc.connectionState))

    # ----- probes -----------------------------------------------------------------------
    def _on_probe(self, message) -> None:
        if not isinstance(message, bytes) or len(message) != P.PROBE.size:
            return
        kind, phase, _pad, seq, t_page = P.PROBE.unpack(message)
        if kind != P.PROBE_TYPE or (phase & ~P.SETTLING) > P.PHASE_END:
            return
        received = now_ms()
        self._last_heard = received
        c = self.counters
        c.probes_recv[phase] = c.probes_recv.get(phase, 0) + 1
        lo_hi = c.probe_seq_range.setdefault(phase, [seq, seq])
        lo_hi[0], lo_hi[1] = min(lo_hi[0], seq), max(lo_hi[1], seq)
        if phase == P.PHASE_IDLE:
            c.up_transits.append(received - t_page)
        c.recent_transits.append((received, received - t_page))
        if self.phase == P.PHASE_UP:
            self._count_up(P.wire_bytes(len(message)))
            if c.up_transit_base is not None and not c.up_frozen and len(c.up_queue) < MAX_UP_SAMPLES:
                c.up_queue.append((received, received - t_page - c.up_transit_base))
        channel = self.probe
        if channel is not None and channel.readyState == "open":
            tag = self.phase
            if self.phase in (P.PHASE_DOWN, P.PHASE_UP) and received - self.phase_started < self._settle_ms():
                tag |= P.SETTLING  # queues still hold the previous phase's data: not for loss counting
            echo_seq = sum(c.echoes_sent.values())
            c.echoes_sent[tag] = c.echoes_sent.get(tag, 0) + 1
            channel.send(P.ECHO.pack(P.ECHO_TYPE, tag, 0, seq, echo_seq, 0, t_page, now_ms()))

    # ----- bulk -------------------------------------------------------------------------
    def _on_bulk_message(self, message) -> None:
        self._on_bulk_payload(message)
        self._count_up(P.wire_bytes(len(message)))

    def _on_bulk_payload(self, message) -> None:
        self._last_heard = now_ms()
        self.counters.up_bulk_payload += len(message)

    def _on_up_datagram(self, size: int) -> None:
        self._last_heard = now_ms()
        self._count_up(size + P.DATAGRAM_OVERHEAD_BYTES)

    def _count_up(self, wire: int) -> None:
        """Count ``wire`` bytes received on the uplink (IP level), timed during the upload phase."""
        c = self.counters
        c.up_bytes_wire += wire
        if self.phase == P.PHASE_UP and not c.up_frozen and len(c.up_arrivals) < MAX_UP_SAMPLES:
            c.up_arrivals.append((now_ms(), c.up_bytes_wire))

    def _fill(self, channel) -> None:
        """Keep a bulk channel's queue topped up while the download phase lasts, within the pace."""
        if self.phase == P.PHASE_DOWN and not self._saturating:
            # Room for the pace's bandwidth-delay product (plus the queue it aims at), split over
            # the connections: enough for the pace to rule, too little for a retransmission storm.
            rtt = self.counters.idle_rtt_hint_ms or 50.0
            window = self._pacer.bytes_per_ms * (rtt + 4 * self._pacing.target + 50) * 1.5
            _open_window(channel, int(window / max(1, len(self.down_channels))))
        if now_ms() < self._pause_until:
            if self._refill is None:
                self._refill = asyncio.get_running_loop().call_later((self._pause_until - now_ms()) / 1000, self._fill_all)
            return
        payload = _PAYLOAD[: P.message_bytes(self._pacer.kbps)]
        while (self.phase == P.PHASE_DOWN and not self._stopped and channel.readyState == "open"
               and channel.bufferedAmount < 2 * len(payload)):
            if not self._pacer.take(len(payload)):
                if self._refill is None:
                    delay = self._pacer.wait_ms(len(payload)) / 1000
                    self._refill = asyncio.get_running_loop().call_later(delay, self._fill_all)
                return
            channel.send(payload)
            self.counters.down_payload_sent += len(payload)

    def _fill_all(self) -> None:
        self._refill = None
        for channel in self.down_channels:
            self._fill(channel)

    # ----- control ----------------------------------------------------------------------
    def _send_ctl(self, message: dict) -> None:
        if self.ctl is not None and self.ctl.readyState == "open":
            self.ctl.send(json.dumps(message, separators=(",", ":")))

    def _on_ctl_message(self, message) -> None:
        self._last_heard = now_ms()
        if not isinstance(message, str) or len(message) > 4096:
            return
        try:
            data = json.loads(message)
        except ValueError:
            return
        if not isinstance(data, dict):
            return
        kind = data.get("t")
        if kind == "phase" and data.get("phase") in ("down", "up"):
            self._enter(P.PHASE_NAMES[data["phase"]], data)
        elif kind == "down" and self.phase == P.PHASE_DOWN:
            self._steer_download(data)
        elif kind == "up" and self.phase == P.PHASE_UP and data.get("saturate") is True:
            self.counters.up_frozen = True  # the page now fills the uplink: the rate stands as measured
        elif kind == "stop":
            self._enter(P.PHASE_END, data)
        elif kind == "done":
            self._enter(P.PHASE_END, data)
            record = self.summary(data.get("sent"))
            self._send_ctl({"t": "summary", "record": record, "signed": self._sign(record)})

    def _enter(self, phase: int, data: dict) -> None:
        if phase <= self.phase and phase != P.PHASE_END:
            return  # phases only move forward
        self.phase, self.phase_started = phase, now_ms()
        rtt = data.get("rtt_ms")
        if isinstance(rtt, (int, float)) and 0 <= rtt < 10_000:
            self.counters.idle_rtt_hint_ms = float(rtt)
        if phase != P.PHASE_IDLE and self.counters.up_transit_base is None and self.counters.up_transits:
            self.counters.up_transit_base = statistics.median(self.counters.up_transits)
        if phase == P.PHASE_DOWN:
            spread = _number(data.get("spread_ms"))
            self._pacing = stats.Pacing(stats.PACE_START_DOWN_KBPS, P.MAX_RATE_KBPS, self.counters.idle_rtt_hint_ms,
                                        spread if spread is not None and 0 <= spread < 1000 else None)
            self._pacer = Pacer(self._pacing.pace)
            self._fill_all()
        elif phase == P.PHASE_UP:
            rtt = data.get("rtt_ms")
            self.counters.up_rtt_hint_ms = float(rtt) if isinstance(rtt, (int, float)) and 0 <= rtt < 10_000 else None
            self.counters.up_start_ms = self.phase_started
            self.counters.up_samples = [(self.phase_started, self.counters.up_bytes_wire)]
            self._spawn(self._sample_upload())

    def _steer_download(self, data: dict) -> None:
        """Set the download pace from the page's feedback (stats.Pacing)."""
        if data.get("stop") is True:
            # Closing the download connections ends their retransmissions at once: the upload
            # must not start against a recovering download flow.
            self._stopped = True
            trace(self, "down stop")
            self._spawn(self._close_down())
            return
        pacing = self._pacing
        if data.get("saturate") is True:
            # The rate is known: send at SATURATE_GAIN times it, under aiortc's own congestion
            # control, so the bottleneck queue fills (bufferbloat).
            measured = _number(data.get("kbps")) or pacing.pace
            self._saturating = True
            self._pacer.set_kbps(min(P.MAX_RATE_KBPS, stats.SATURATE_GAIN * max(measured, pacing.bottleneck())))
            trace(self, "down saturate", pace=round(self._pacer.kbps))
            return
        if data.get("brake") is True:
            pace = pacing.on_brake()
            self._pacer.set_kbps(pace)
            self._pacer.tokens = 0.0
            self._pause_until = now_ms() + pacing.target  # let the queue shrink before sending again
            trace(self, "down brake", queue_ms=data.get("queue_ms"), pace=round(pace))
            return
        best, queue = _number(data.get("best")) or _number(data.get("last")), _number(data.get("queue_ms"))
        if best is None:
            return
        delivered = best * P.CHUNK_PAYLOAD_BYTES / (P.CHUNK_PAYLOAD_BYTES + P.PACKET_OVERHEAD_BYTES)
        pace = pacing.on_window(delivered, queue)
        self._pacer.set_kbps(pace)
        trace(self, "down", best=best, queue_ms=queue, startup=pacing.startup, pace=round(pace), **self._tx)
        self._fill_all()

    async def _close_down(self) -> None:
        pcs, self.down_pcs, self.down_channels = self.down_pcs, [], []
        for pc in pcs:
            try:
                await asyncio.wait_for(pc.close(), 5)
            except Exception:
                log.exception("closing a download connection failed")

    def up_queue_ms(self) -> float | None:
        """How much the upload one-way delay grew over the idle phase's (median of the last 300 ms)."""
        c = self.counters
        if c.up_transit_base is None:
            return None
        cut = now_ms() - 300
        recent = [transit for t, transit in c.recent_transits if t >= cut]
        return statistics.median(recent) - c.up_transit_base if recent else None

    async def _sample_upload(self) -> None:
        """Sample the upload counter every window and tell the page how it stands."""
        c = self.counters
        while self.phase == P.PHASE_UP and not self.closed.is_set() and not c.up_frozen:
            await asyncio.sleep(stats.WINDOW_MS / 1000)
            if c.up_frozen:
                break
            c.up_samples.append((now_ms(), c.up_bytes_wire))
            windows = self.upload_windows()
            recent = [kbps for _, kbps in stats.window_rates(c.up_samples[-3:])]
            queue = self.up_queue_ms()
            target = stats.queue_target_ms(c.up_rtt_hint_ms, None, max(recent) if recent else None)
            c.up_saturated_at = stats.saturation(c.up_saturated_at, queue, target, len(windows))
            # "last": the latest window's rate (warm-up included); "best": the better of the last
            # two; "queue_ms": upload one-way delay growth. The page paces by them.
            progress = {"t": "up", "kbps": _round(stats.phase_rate(windows, c.up_saturated_at)), "n": len(windows),
                        "settled": stats.phase_settled(windows, c.up_rtt_hint_ms, c.up_saturated_at), "bytes": c.up_bulk_payload,
                        "last": _round(recent[-1]) if recent else None, "best": _round(max(recent)) if recent else None,
                        "queue_ms": _round(queue)}
            trace(self, "up", **{k: progress[k] for k in ("last", "best", "queue_ms", "kbps", "settled")})
            self._send_ctl(progress)

    def _settle_ms(self) -> float:
        return P.SETTLE_MS + (self.counters.up_rtt_hint_ms or self.counters.idle_rtt_hint_ms or 0)

    def upload_windows(self) -> list[float]:
        """Upload window rates (kbit/s, IP level) after the warm-up."""
        c = self.counters
        if c.up_start_ms is None:
            return []
        return stats.steady(stats.window_rates(c.up_samples), c.up_start_ms, c.up_rtt_hint_ms)

    def upload_busy(self, window_kbps: float | None) -> tuple[float | None, float]:
        """(kbit/s, ms) over the upload's busy periods (stats.busy_rate), (None, 0) without any;
        ``window_kbps`` (the windows' estimate) sets the queue threshold on slow links."""
        c = self.counters
        spread = None
        if len(c.up_transits) >= 10 and c.up_transit_base is not None:
            spread = stats.percentile(c.up_transits, 0.9) - c.up_transit_base
        threshold = stats.queue_target_ms(c.up_rtt_hint_ms, spread, window_kbps)
        return stats.busy_rate(c.up_arrivals, stats.busy_runs(c.up_queue, threshold))

    # ----- results ----------------------------------------------------------------------
    def summary(self, page_sent: Any) -> dict:
        """What the server measured, for the signed record the page returns with its results."""
        c = self.counters
        sent = _phase_counts(page_sent)
        up_sent, up_recv = 0, 0
        # Idle probes only: during the download the uplink carries its acknowledgements, which
        # on a thin uplink (300 kbit/s) queue and drop probes that say nothing about the line.
        for phase in (P.PHASE_IDLE,):
            lo_hi = c.probe_seq_range.get(phase)
            span = lo_hi[1] - lo_hi[0] + 1 if lo_hi else 0
            # The page's count can only make its loss look worse: never below what the server saw.
            up_sent += max(sent.get(phase, 0), span, c.probes_recv[phase])
            up_recv += c.probes_recv[phase]
        windows = self.upload_windows()
        window_kbps = stats.phase_rate(windows, c.up_saturated_at)
        busy_kbps, busy_ms = self.upload_busy(window_kbps)
        trace(self, "up summary", windows=_round(window_kbps), busy=_round(busy_kbps), busy_ms=_round(busy_ms, 0))
        return {
            "v": 1,
            "sid": self.id,
            "pid": self.participant_id,
            "run": self.run_id,
            "iat": int(time.time()),
            "upload_kbps": _round(stats.upload_rate(windows, c.up_saturated_at, busy_kbps)),
            "upload_window_kbps": _round(window_kbps),
            "upload_busy_kbps": _round(busy_kbps),
            "upload_busy_ms": _round(busy_ms, 0),
            "upload_windows": [_round(w) for w in windows],
            "upload_settled": stats.phase_settled(windows, c.up_rtt_hint_ms, c.up_saturated_at),
            "upload_payload_bytes": c.up_bulk_payload,
            "probes_up_sent": up_sent,
            "probes_up_recv": up_recv,
            "loss_up_pct": _round(stats.loss_pct(up_sent, up_recv), 2),
            "probes_recv": {str(k): v for k, v in c.probes_recv.items()},
            "echoes_sent": {str(k): v for k, v in c.echoes_sent.items()},
            "jitter_up_ms": _round(stats.mean_abs_delta(c.up_transits), 2),
            "sctp_rtt_ms": _round(self._sctp_rtt_ms()),
            "down_connections": self._down_count,
            "up_connections": len(self.up_channels),
            "ice_remote": self._remote_candidate(),
            "http_addr": self.http_addr,
            "download_payload_sent": c.down_payload_sent,
        }

    def _sctp_rtt_ms(self) -> float | None:
        try:
            srtt = self.ctl_pc.sctp._srtt  # aiortc's smoothed RTT (s); private, hence the guard
        except AttributeError:
            return None
        return srtt * 1000 if srtt is not None else None

    def _remote_candidate(self) -> dict | None:
        """The page's address and candidate type as the server's ICE agent sees the selected pair."""
        try:
            connection = self.ctl_pc.sctp.transport.transport._connection
            pair = next(iter(connection._nominated.values()))
            return {"addr": pair.remote_addr[0], "type": pair.remote_candidate.type}
        except (AttributeError, StopIteration, TypeError, IndexError):
            return None

    # ----- lifetime ---------------------------------------------------------------------
    async def _watchdog(self) -> None:
        """Close on the hard time limit, a connect timeout, or a page that went silent."""
        while not self.closed.is_set():
            await asyncio.sleep(0.25)
            now = now_ms()
            if now - self.created > self.time_limit_s * 1000:
                await self.close("time_limit")
            elif self.connected_at is None and now - self.created > CONNECT_TIMEOUT_S * 1000:
                await self.close("connect_timeout")
            elif self.connected_at is not None and now - self._last_heard > IDLE_CAP_S * 1000:
                await self.close("page_silent")
            elif self.phase == P.PHASE_DOWN and now - self.phase_started > self._phase_cap_ms():
                self._stopped = True  # stop sending; the page may still move on to the upload
            elif self.phase == P.PHASE_UP and now - self.phase_started > self._phase_cap_ms():
                self.counters.up_frozen = True

    def _phase_cap_ms(self) -> float:
        return stats.phase_cap_ms(self.counters.idle_rtt_hint_ms) + PHASE_CAP_MARGIN_S * 1000

    async def close(self, reason: str = "closed") -> None:
        """Close every peer connection (idempotent) and leave the registry."""
        if self.closed.is_set():
            return
        self.closed.set()
        self.close_reason = reason
        self.phase = P.PHASE_END
        pcs = list(self._pcs)
        for pc in pcs:
            try:
                await asyncio.wait_for(pc.close(), 5)
            except Exception:  # closing must go on for the others
                log.exception("closing a peer connection failed")
        if self._refill is not None:
            self._refill.cancel()
        self.ctl = self.probe = None
        self.down_channels, self.up_channels = [], []
        self._on_closed(self)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()


def _open_window(channel, size: int) -> None:
    """Let the pace, not aiortc's congestion window, set the download rate.

    aiortc's SCTP grows its window slowly and collapses it to one packet on every timeout:
    seconds to fill a 10 Mbit/s satellite link. The pace (stats.Pacing) is driven by the page's
    one-way queue measurement instead, so the window only has to hold the pace's
    bandwidth-delay product. Private attributes, hence the guard.
    """
    transport = getattr(channel, "transport", None)
    size = max(4 * P.CHUNK_PAYLOAD_BYTES, min(size, OPEN_WINDOW_BYTES))
    if transport is not None and hasattr(transport, "_cwnd"):
        transport._cwnd = max(transport._cwnd, size)
        transport._ssthresh = max(getattr(transport, "_ssthresh", 0) or 0, size)


def _instrument(channel, counts: dict[str, int]) -> None:
    """TRACE only: count data bytes sent, retransmitted and T3 expiries on a download transport."""
    transport = getattr(channel, "transport", None)
    if transport is None or getattr(transport, "_pf_instrumented", False):
        return
    transport._pf_instrumented = True
    for key in ("tx", "rtx", "t3"):
        counts.setdefault(key, 0)
    send_chunk, t3 = transport._send_chunk, transport._t3_expired

    async def counted(chunk):
        data = getattr(chunk, "user_data", None)
        if data is not None:
            counts["tx"] += len(data)
            if getattr(chunk, "_sent_count", 1) > 1:
                counts["rtx"] += len(data)
        await send_chunk(chunk)

    def expired():
        counts["t3"] += 1
        t3()

    transport._send_chunk, transport._t3_expired = counted, expired


def _count_datagrams(channel, count: Callable[[int], None]) -> bool:
    """Call ``count(size)`` for every SCTP packet the channel's association receives.

    Wraps the private ``RTCSctpTransport._handle_data`` of this one transport (each bulk
    channel has its own peer connection); False, and nothing changed, where it is missing."""
    transport = getattr(channel, "transport", None)
    handle = getattr(transport, "_handle_data", None)
    if handle is None:
        return False

    async def counted(data: bytes) -> None:
        count(len(data))
        await handle(data)

    transport._handle_data = counted
    return True


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and abs(value) < 1e7 else None


def _phase_counts(value: Any) -> dict[int, int]:
    """{phase: count} from the page's ``sent`` object, ignoring anything malformed."""
    counts: dict[int, int] = {}
    if isinstance(value, dict):
        for key, count in value.items():
            if str(key).isdigit() and int(key) <= P.PHASE_END and isinstance(count, int) and 0 <= count < 10**7:
                counts[int(key)] = count
    return counts


def _round(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
