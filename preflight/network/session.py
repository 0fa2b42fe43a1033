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
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from . import protocol as P
from . import stats

log = logging.getLogger(__name__)

# Bulk payload: random bytes once per process (DTLS encrypts them anyway; no compression).
_PAYLOAD = os.urandom(P.BULK_MESSAGE_BYTES)

# Server-side caps per phase (the page has its own, shorter ones): a silent page is dropped.
CONNECT_TIMEOUT_S = 12.0
DOWN_PHASE_CAP_S = 7.0
UP_PHASE_CAP_S = 7.0
IDLE_CAP_S = 6.0


@dataclass
class Offer:
    """One peer connection's offer: ``ctl`` (control + probes) or ``bulk``."""

    kind: str
    sdp: str


@dataclass
class Counters:
    """What the server counts while a check runs."""

    probes_recv: dict[int, int] = field(default_factory=lambda: {p: 0 for p in range(4)})
    probe_seq_range: dict[int, list[int]] = field(default_factory=dict)  # phase -> [min, max]
    echoes_sent: dict[int, int] = field(default_factory=dict)  # echo tag (phase | SETTLING) -> count
    up_transits: list[float] = field(default_factory=list)  # idle phase: server recv - page send (ms)
    up_bytes_wire: int = 0  # bulk + probe bytes received, IP level
    up_bulk_payload: int = 0
    up_samples: list[tuple[float, int]] = field(default_factory=list)
    up_start_ms: float | None = None
    up_rtt_hint_ms: float | None = None
    idle_rtt_hint_ms: float | None = None
    down_payload_sent: int = 0


def now_ms() -> float:
    """Monotonic milliseconds on the server."""
    return time.monotonic() * 1000


class Pacer:
    """A token bucket: at most ``kbps`` of payload on average, bursts of ``burst`` bytes."""

    def __init__(self, kbps: float, burst: int = 64 * 1024) -> None:
        self.bytes_per_ms = kbps / 8
        self.burst = burst
        self.tokens = float(burst)
        self.stamp = now_ms()

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
        self.bulk_pcs: list[RTCPeerConnection] = []
        self.ctl = None
        self.probe = None
        self.bulk_channels: list[Any] = []
        self.connected_at: float | None = None
        self.close_reason: str | None = None
        self.closed = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._last_heard = self.created
        self._pacer = Pacer(P.MAX_RATE_KBPS)
        self._refill: asyncio.TimerHandle | None = None

    # ----- set-up -------------------------------------------------------------------------
    async def accept(self, offers: list[Offer]) -> list[dict]:
        """Answer every offer (creating the peer connections); raises on a bad offer."""
        answers = []
        for offer in offers:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=list(self._ice)))
            if offer.kind == "ctl":
                self.ctl_pc = pc
                pc.on("datachannel", self._on_ctl_channel)
                pc.on("connectionstatechange", self._on_ctl_state)
            else:
                self.bulk_pcs.append(pc)
                pc.on("datachannel", self._on_bulk_channel)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=offer.sdp, type="offer"))
            await pc.setLocalDescription(await pc.createAnswer())
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

    def _on_bulk_channel(self, channel) -> None:
        if channel.label != "bulk":
            channel.close()
            return
        self.bulk_channels.append(channel)
        channel.bufferedAmountLowThreshold = P.BULK_MESSAGE_BYTES
        channel.on("message", self._on_bulk_message)
        channel.on("bufferedamountlow", lambda ch=channel: self._fill(ch))

    def _on_ctl_state(self) -> None:
        if self.ctl_pc is not None and self.ctl_pc.connectionState in ("failed", "closed"):
            self._spawn(self.close("connection_" + self.ctl_pc.connectionState))

    # ----- probes -----------------------------------------------------------------------
    def _on_probe(self, message) -> None:
        if not isinstance(message, bytes) or len(message) != P.PROBE.size:
            return
        kind, phase, _pad, seq, t_page = P.PROBE.unpack(message)
        if kind != P.PROBE_TYPE or phase > P.PHASE_END:
            return
        received = now_ms()
        self._last_heard = received
        c = self.counters
        c.probes_recv[phase] += 1
        lo_hi = c.probe_seq_range.setdefault(phase, [seq, seq])
        lo_hi[0], lo_hi[1] = min(lo_hi[0], seq), max(lo_hi[1], seq)
        if phase == P.PHASE_IDLE:
            c.up_transits.append(received - t_page)
        if self.phase == P.PHASE_UP:
            c.up_bytes_wire += P.wire_bytes(len(message))
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
        size = len(message)
        self._last_heard = now_ms()
        self.counters.up_bytes_wire += P.wire_bytes(size)
        self.counters.up_bulk_payload += size

    def _fill(self, channel) -> None:
        """Keep a bulk channel's queue topped up while the download phase lasts, within the pace."""
        while self.phase == P.PHASE_DOWN and channel.readyState == "open" and channel.bufferedAmount < P.BULK_QUEUE_BYTES:
            if not self._pacer.take(len(_PAYLOAD)):
                if self._refill is None:
                    delay = self._pacer.wait_ms(len(_PAYLOAD)) / 1000
                    self._refill = asyncio.get_running_loop().call_later(delay, self._fill_all)
                return
            channel.send(_PAYLOAD)
            self.counters.down_payload_sent += len(_PAYLOAD)

    def _fill_all(self) -> None:
        self._refill = None
        for channel in self.bulk_channels:
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
        if phase == P.PHASE_DOWN:
            self._pacer = Pacer(P.MAX_RATE_KBPS)
            self._fill_all()
        elif phase == P.PHASE_UP:
            rtt = data.get("rtt_ms")
            self.counters.up_rtt_hint_ms = float(rtt) if isinstance(rtt, (int, float)) and 0 <= rtt < 10_000 else None
            self.counters.up_start_ms = self.phase_started
            self.counters.up_samples = [(self.phase_started, self.counters.up_bytes_wire)]
            self._spawn(self._sample_upload())

    async def _sample_upload(self) -> None:
        """Sample the upload counter every window and tell the page how it stands."""
        c = self.counters
        while self.phase == P.PHASE_UP and not self.closed.is_set():
            await asyncio.sleep(stats.WINDOW_MS / 1000)
            c.up_samples.append((now_ms(), c.up_bytes_wire))
            windows = self.upload_windows()
            self._send_ctl({"t": "up", "kbps": _round(stats.rate_estimate(windows)), "n": len(windows),
                            "settled": stats.settled(windows), "bytes": c.up_bulk_payload})

    def _settle_ms(self) -> float:
        return P.SETTLE_MS + (self.counters.up_rtt_hint_ms or self.counters.idle_rtt_hint_ms or 0)

    def upload_windows(self) -> list[float]:
        """Upload window rates (kbit/s, IP level) after the warm-up."""
        c = self.counters
        if c.up_start_ms is None:
            return []
        return stats.steady(stats.window_rates(c.up_samples), c.up_start_ms, c.up_rtt_hint_ms)

    # ----- results ----------------------------------------------------------------------
    def summary(self, page_sent: Any) -> dict:
        """What the server measured, for the signed record the page returns with its results."""
        c = self.counters
        sent = _phase_counts(page_sent)
        up_sent, up_recv = 0, 0
        for phase in (P.PHASE_IDLE, P.PHASE_DOWN):  # directions not loaded by bulk data
            lo_hi = c.probe_seq_range.get(phase)
            span = lo_hi[1] - lo_hi[0] + 1 if lo_hi else 0
            # The page's count can only make its loss look worse: never below what the server saw.
            up_sent += max(sent.get(phase, 0), span, c.probes_recv[phase])
            up_recv += c.probes_recv[phase]
        windows = self.upload_windows()
        return {
            "v": 1,
            "sid": self.id,
            "pid": self.participant_id,
            "run": self.run_id,
            "iat": int(time.time()),
            "upload_kbps": _round(stats.rate_estimate(windows)),
            "upload_windows": [_round(w) for w in windows],
            "upload_settled": stats.settled(windows),
            "upload_payload_bytes": c.up_bulk_payload,
            "probes_up_sent": up_sent,
            "probes_up_recv": up_recv,
            "loss_up_pct": _round(stats.loss_pct(up_sent, up_recv), 2),
            "probes_recv": {str(k): v for k, v in c.probes_recv.items()},
            "echoes_sent": {str(k): v for k, v in c.echoes_sent.items()},
            "jitter_up_ms": _round(stats.mean_abs_delta(c.up_transits), 2),
            "sctp_rtt_ms": _round(self._sctp_rtt_ms()),
            "bulk_connections": len(self.bulk_channels),
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
            elif self.phase == P.PHASE_DOWN and now - self.phase_started > DOWN_PHASE_CAP_S * 1000:
                self._enter(P.PHASE_END, {})
            elif self.phase == P.PHASE_UP and now - self.phase_started > UP_PHASE_CAP_S * 1000:
                self._enter(P.PHASE_END, {})

    async def close(self, reason: str = "closed") -> None:
        """Close every peer connection (idempotent) and leave the registry."""
        if self.closed.is_set():
            return
        self.closed.set()
        self.close_reason = reason
        self.phase = P.PHASE_END
        pcs = [pc for pc in [self.ctl_pc, *self.bulk_pcs] if pc is not None]
        for pc in pcs:
            try:
                await asyncio.wait_for(pc.close(), 5)
            except Exception:  # closing must go on for the others
                log.exception("closing a peer connection failed")
        if self._refill is not None:
            self._refill.cancel()
        self.ctl = self.probe = None
        self.bulk_channels = []
        self._on_closed(self)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()


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
