"""One running network check on the server: its peer connections and what it measures.

Lives on the process's loop (host.py); every method runs there. The session sets up the peer
connections, answers the page's probes, follows the control messages through the phases
(idle, download, upload, end), watches the time limits, and signs what the server measured
itself (probes it received per phase, upload bytes per window, its one-way jitter, the SCTP
round-trip estimate, the address its ICE agent sees) into the summary the page hands back with
its results, so the judge never has to trust the page for them. The download sender
(``download.py``) and the upload meter (``upload.py``) do the bulk phases.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from ..netrules import protocol as P
from ..netrules import stats
from . import dtls, sctp
from .aiortc_internals import confine_ports, enlarge_receive_buffers, nominated_remote, sctp_rtt_ms
from .download import DownloadSender
from .hidden_hosts import reveal_hidden_hosts
from .loop_load import LOOP_LOAD
from .public_address import announce_public
from .spare_uplink import SpareUplink
from .timing import TRACE, now_ms, number, rounded, trace
from .upload import UploadMeter

log = logging.getLogger(__name__)

# Server-side caps per phase (the page has its own, shorter ones): a silent page is dropped.
CONNECT_TIMEOUT_S = 12.0
# At most this many one-way delays of a lossy idle phase's fast half are kept (~1,800 at 600 a second).
MAX_FAST_TRANSITS = 10_000

# The page's cap for the phase (stats.phase_cap_ms) + saturation + drain, with margin.
PHASE_CAP_MARGIN_S = 4.0
IDLE_CAP_S = 6.0


@dataclass
class Offer:
    """One peer connection's offer: ``ctl`` (control + probes), ``down`` or ``up`` (bulk)."""

    kind: str
    sdp: str


@dataclass
class ProbeCounts:
    """What the server counts of the probes and echoes."""

    received: dict[int, int] = field(default_factory=lambda: {p: 0 for p in range(4)})  # phase -> count
    seq_range: dict[int, list[int]] = field(default_factory=dict)  # phase -> [min, max]
    echoes_sent: dict[int, int] = field(default_factory=dict)  # echo tag (phase | SETTLING) -> count
    # phase -> [most sequence numbers skipped between two arrivals, longest silence in ms]. Random
    # loss skips a few probes at a time; hundreds in a row is an outage or a stalled connection,
    # which the record must let an operator tell apart from a lossy line.
    longest_gap: dict[int, list[float]] = field(default_factory=dict)
    fast_transits: list[float] = field(default_factory=list)  # a lossy idle phase's fast half: one-way ms
    last_arrival: dict[int, tuple[int, float]] = field(default_factory=dict)  # phase -> (highest seq, ms)

    def unhurried(self, phase: int) -> bool:
        """Whether a probe of ``phase`` is an unhurried idle one, before any fast half: the zero of
        the uplink's queue and its jitter, as the page reads its idle round trip. A first half
        resumed after a crowded fast half met a standing queue in Firefox (docs/netlab.md, "A thin
        lossy uplink"), which would shift that zero."""
        return phase == P.PHASE_IDLE and not self.received.get(P.PHASE_IDLE | P.FAST)

    def note(self, phase: int, seq: int, received: float) -> None:
        """Count one probe of ``phase`` with sequence number ``seq`` that arrived at ``received`` ms."""
        self.received[phase] = self.received.get(phase, 0) + 1
        lo_hi = self.seq_range.setdefault(phase, [seq, seq])
        lo_hi[0], lo_hi[1] = min(lo_hi[0], seq), max(lo_hi[1], seq)
        last = self.last_arrival.get(phase)
        if last is None:
            self.last_arrival[phase] = (seq, received)
            self.longest_gap[phase] = [0, 0.0]
            return
        gap = self.longest_gap[phase]
        gap[0] = max(gap[0], seq - last[0] - 1)
        gap[1] = max(gap[1], received - last[1])
        self.last_arrival[phase] = (max(seq, last[0]), received)


class CheckSession:
    """The server's side of one network check."""

    def __init__(
        self,
        *,
        participant_id: int,
        run_id: str,
        http_addr: str | None,
        ice: list[RTCIceServer],
        time_limit_s: float,
        sign: Callable[[dict], str],
        on_closed: Callable[["CheckSession"], None],
        public_addresses: list[str] | None = None,
        udp_ports: tuple[int, int] | None = None,
        rate_cap_kbps: float = P.MAX_RATE_KBPS,
    ) -> None:
        self.id = secrets.token_urlsafe(12)
        self.close_key = secrets.token_urlsafe(16)
        self.participant_id = participant_id
        self.run_id = run_id
        self.http_addr = http_addr
        self.created = now_ms()
        self.time_limit_s = time_limit_s
        self._ice = ice
        self._public_addresses = list(public_addresses or [])  # MEDIA_PUBLIC_ADDRESS (public_address.py)
        self._udp_ports = udp_ports  # MEDIA_UDP_PORTS (udp_ports.py)
        self._sign = sign
        self._on_closed = on_closed
        self.phase = P.PHASE_IDLE
        self.phase_started = self.created
        self.probes = ProbeCounts()
        self.idle_rtt_hint_ms: float | None = None  # the page's idle round trip, told at each phase change
        self.download = DownloadSender(
            active=lambda: self.phase == P.PHASE_DOWN, trace=self._trace, rate_cap_kbps=rate_cap_kbps
        )
        self.upload = UploadMeter(active=lambda: self.phase == P.PHASE_UP, heard=self._heard, trace=self._trace)
        self.spare_uplink = SpareUplink(active=lambda: self.phase == P.PHASE_DOWN)
        self.ctl_pc: RTCPeerConnection | None = None
        self.ctl = None
        self.probe = None
        self.connected_at: float | None = None
        self.close_reason: str | None = None
        self.closed = asyncio.Event()
        self._tasks: set[asyncio.Task] = set()
        self._last_heard = self.created
        self._pcs: list[RTCPeerConnection] = []
        self.summary_sent = False
        self.phase_starts: dict[int, float] = {P.PHASE_IDLE: self.created}  # each ends as the next starts
        self._holds_loop_load = False

    # ----- set-up -------------------------------------------------------------------------
    async def accept(self, offers: list[Offer], negotiated: bool = False) -> list[dict]:
        """Answer every offer (creating the peer connections); raises on a bad offer.

        ``negotiated``: the page negotiated the data channels out of band (protocol.py), so the
        server creates its side of them here; otherwise they arrive as the page opens them.
        Raises ``udp_ports.PortsExhausted`` when ``MEDIA_UDP_PORTS`` has no free port left."""
        sctp.install()  # aiortc's repeated fast retransmissions (sctp.py), patched once per process
        dtls.install()  # and its DTLS client's deafness to the peer's retransmissions (dtls.py)
        if not self._holds_loop_load:
            LOOP_LOAD.acquire()
            self._holds_loop_load = True
        answers = []
        for offer in offers:
            pc = RTCPeerConnection(RTCConfiguration(iceServers=list(self._ice)))
            self._pcs.append(pc)  # every connection ever created, closed by close()
            if offer.kind == "ctl":
                self.ctl_pc = pc
                on_channel = self._on_ctl_channel
                pc.on("connectionstatechange", self._on_ctl_state)
            elif offer.kind == "down":
                self.download.pcs.append(pc)
                on_channel = self._bulk_channel(self._add_download_channel)
            else:
                self.upload.pcs.append(pc)
                on_channel = self._bulk_channel(self.upload.add_channel)
            sdp = reveal_hidden_hosts(offer.sdp, self.http_addr)
            await pc.setRemoteDescription(RTCSessionDescription(sdp=sdp, type="offer"))
            if negotiated:
                for channel in _negotiated_channels(pc, offer.kind):
                    # Handed on when it opens (the association is up), as an in-band one would be.
                    channel.on("open", lambda channel=channel, on_channel=on_channel: on_channel(channel))
            else:
                pc.on("datachannel", on_channel)
            if self._udp_ports is not None and not confine_ports(pc, self._udp_ports):
                log.error("MEDIA_UDP_PORTS not applied: aiortc's ICE gatherer is not where aiortc_internals expects it")
            await pc.setLocalDescription(await pc.createAnswer())
            enlarge_receive_buffers(pc)
            answer = announce_public(pc.localDescription.sdp, self._public_addresses)
            answers.append({"kind": offer.kind, "sdp": answer})
        self._spawn(self._watchdog())
        if TRACE:  # the sizes are summed for the benches' trace only
            self._trace(
                "answered",
                offers=len(offers),
                offer_bytes=sum(len(offer.sdp) for offer in offers),
                answer_bytes=sum(len(answer["sdp"]) for answer in answers),
                created_epoch=round(time.time() - (now_ms() - self.created) / 1000, 3),  # to align a capture
            )
        return answers

    def _spawn(self, coro) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)  # strong reference until done
        task.add_done_callback(self._tasks.discard)

    def _trace(self, event: str, **values: Any) -> None:
        trace(self.id, self.created, event, **values)

    def _heard(self) -> None:
        self._last_heard = now_ms()

    # ----- channels -----------------------------------------------------------------------
    def _on_ctl_channel(self, channel) -> None:
        if channel.label == "probe" and self.probe is None:
            self.probe = channel
            channel.on("message", self._on_probe)
            self.upload.add_control(channel)
            self.spare_uplink.watch(channel)
        elif channel.label == "ctl" and self.ctl is None:
            self.ctl = channel
            self.connected_at = now_ms()
            channel.on("message", self._on_ctl_message)
            channel.on("close", lambda: self._spawn(self.close("page_closed")))
        else:
            channel.close()

    def _add_download_channel(self, channel) -> None:
        self.spare_uplink.watch(channel)  # its acknowledgements cross the uplink
        self.download.add_channel(channel)

    @staticmethod
    def _bulk_channel(add: Callable[[Any], None]) -> Callable[[Any], None]:
        """A datachannel handler that hands ``bulk`` channels to ``add`` and closes any other."""

        def on_channel(channel) -> None:
            if channel.label != "bulk":
                channel.close()
            else:
                add(channel)

        return on_channel

    def _on_ctl_state(self) -> None:
        if self.ctl_pc is not None and self.ctl_pc.connectionState in ("failed", "closed"):
            self._spawn(self.close("connection_" + self.ctl_pc.connectionState))

    # ----- probes -------------------------------------------------------------------------
    def _on_probe(self, message) -> None:
        if not isinstance(message, bytes) or len(message) != P.PROBE.size:
            return
        kind, phase, _pad, seq, t_page = P.PROBE.unpack(message)
        if kind != P.PROBE_TYPE or (phase & ~(P.SETTLING | P.FAST)) > P.PHASE_END:
            return
        received = now_ms()
        self._last_heard = received
        counts = self.probes
        counts.note(phase, seq, received)
        self.upload.note_probe(received, received - t_page, counts.unhurried(phase), len(message))
        if phase == P.PHASE_DOWN:  # the page's tag: during the download, no queue settling on purpose
            self.spare_uplink.note_probe(received - t_page)
        elif phase == P.PHASE_IDLE | P.FAST and len(counts.fast_transits) < MAX_FAST_TRANSITS:
            counts.fast_transits.append(received - t_page)
        channel = self.probe
        if channel is not None and channel.readyState == "open":
            tag = self.phase
            if self.phase == P.PHASE_IDLE:
                tag |= phase & P.FAST  # the page's fast half: its echoes are counted apart too
            if self.phase in (P.PHASE_DOWN, P.PHASE_UP) and received - self.phase_started < self._settle_ms():
                tag |= P.SETTLING  # queues still hold the previous phase's data: not for loss counting
            elif self.summary_sent:
                tag |= P.SETTLING  # the signed record has counted the echoes: later ones count for nothing
            echo_seq = sum(counts.echoes_sent.values())
            counts.echoes_sent[tag] = counts.echoes_sent.get(tag, 0) + 1
            channel.send(P.ECHO.pack(P.ECHO_TYPE, tag, 0, seq, echo_seq, 0, t_page, now_ms()))

    def _settle_ms(self) -> float:
        return P.SETTLE_MS + (self.upload.rtt_hint_ms or self.idle_rtt_hint_ms or 0)

    # ----- control ------------------------------------------------------------------------
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
            if self.download.steer(data):
                self._spawn(self.download.close_connections())
        elif kind == "up" and self.phase == P.PHASE_UP and data.get("saturate") is True:
            self.upload.frozen = True  # the page now fills the uplink: the rate stands as measured
        elif kind == "stop":
            self._enter(P.PHASE_END, data)
        elif kind == "done":
            self._enter(P.PHASE_END, data)
            if not self.summary_sent:
                self._send_summary(data.get("sent"))

    def _send_summary(self, page_sent: Any) -> None:
        """The signed record, once: when the upload settles (it is complete then, and it reaches the
        page as the upload ends instead of a round trip after), or on ``done`` without an upload."""
        record = self.summary(page_sent)
        self._send_ctl({"t": "summary", "record": record, "signed": self._sign(record)})
        self.summary_sent = True

    def _enter(self, phase: int, data: dict) -> None:
        if phase <= self.phase and phase != P.PHASE_END:
            return  # phases only move forward
        if self.phase == P.PHASE_DOWN:
            self.spare_uplink.stop()
        self.phase, self.phase_started = phase, now_ms()
        self.phase_starts[phase] = self.phase_started
        rtt = data.get("rtt_ms")
        if isinstance(rtt, (int, float)) and 0 <= rtt < 10_000:
            self.idle_rtt_hint_ms = self.download.rtt_hint_ms = float(rtt)
        if phase != P.PHASE_IDLE:
            self.upload.fix_base()
        if phase == P.PHASE_DOWN:
            self.spare_uplink.start()
            self.download.start(number(data.get("spread_ms")))
        elif phase == P.PHASE_UP:
            self.upload.start(self.phase_started, data.get("rtt_ms"))
            running = lambda: self.phase == P.PHASE_UP and not self.closed.is_set()  # noqa: E731
            # The idle phase is over: what the page sent then is final, and all the record needs.
            page_sent = data.get("sent")
            self._spawn(self.upload.report(running, self._send_ctl, lambda: self._send_summary(page_sent)))

    # ----- results ------------------------------------------------------------------------
    def summary(self, page_sent: Any) -> dict:
        """What the server measured, for the signed record the page returns with its results."""
        counts = self.probes
        sent = _phase_counts(page_sent)
        upload = self.upload.summary()
        # Idle probes, and the download's where the uplink had room to spare then (stats.spare_direction):
        # on a thin uplink the download's acknowledgements queue and drop probes that say nothing
        # about the line.
        pairs = {tag: self._probe_pair(tag, sent) for tag in (P.PHASE_IDLE, P.PHASE_IDLE | P.FAST, P.PHASE_DOWN)}
        spare = self.spare_uplink.judge(
            self.upload.transit_base, upload["upload_kbps"], pairs[P.PHASE_IDLE], pairs[P.PHASE_DOWN]
        )
        fast = self._judge_fast_half(pairs[P.PHASE_IDLE], pairs[P.PHASE_IDLE | P.FAST])
        phases = [P.PHASE_IDLE] + [P.PHASE_IDLE | P.FAST] * fast["counted"] + [P.PHASE_DOWN] * spare["spare"]
        up_sent, up_recv = sum(pairs[tag][0] for tag in phases), sum(pairs[tag][1] for tag in phases)
        return {
            "v": 1,
            "sid": self.id,
            "pid": self.participant_id,
            "run": self.run_id,
            "iat": int(time.time()),
            **upload,
            "probes_up_sent": up_sent,
            "probes_up_recv": up_recv,
            "loss_up_pct": rounded(stats.loss_pct(up_sent, up_recv), 2),
            "loss_up_download": spare,  # whether the download phase's probes counted, and why
            "loss_up_fast": fast,  # whether a lossy idle phase's fast half counted, and why
            "probes_recv": {str(k): v for k, v in counts.received.items()},
            "probes_longest_gap": {str(k): [v[0], rounded(v[1])] for k, v in counts.longest_gap.items()},
            "echoes_sent": {str(k): v for k, v in counts.echoes_sent.items()},
            "jitter_up_ms": rounded(stats.mean_abs_delta(self.upload.idle_transits), 2),
            "sctp_rtt_ms": rounded(sctp_rtt_ms(self.ctl_pc)),
            "down_connections": self.download.connections,
            "up_connections": len(self.upload.channels),
            "ice_remote": nominated_remote(self.ctl_pc),
            "http_addr": self.http_addr,
            "download_payload_sent": self.download.payload_sent,
            "rate_cap_kbps": self.download.rate_cap_kbps,  # the judge's "at least" line (checks/network.py)
            "server_load": self._server_load(),
        }

    def _probe_pair(self, tag: int, sent: dict[int, int]) -> tuple[int, int]:
        """(sent, received) of the probes tagged ``tag``: the page's count of those it sent can only
        make the loss look worse, never below what the server saw (their span of sequence numbers)."""
        counts = self.probes
        lo_hi = counts.seq_range.get(tag)
        span = lo_hi[1] - lo_hi[0] + 1 if lo_hi else 0
        received = counts.received.get(tag, 0)
        return max(sent.get(tag, 0), span, received), received

    def _judge_fast_half(self, base: tuple[int, int], fast: tuple[int, int]) -> dict:
        """Whether a lossy idle phase's fast half counts toward the uplink's loss (stats.fast_half_counts),
        from the (sent, received) probe pairs of the first half and the fast one."""
        fast_transits, idle = self.probes.fast_transits, self.upload.idle_transits
        queue = statistics.median(fast_transits) - statistics.median(idle) if fast_transits and idle else None
        return {"counted": stats.fast_half_counts(base, fast, queue), "queue_ms": rounded(queue)}

    def _server_load(self) -> dict[str, dict]:
        """How busy the WebRTC loop was in each phase so far (loop_load.py), by phase number: the
        judge sets aside what a phase measured while the server could not keep up."""
        load = {}
        starts = sorted(self.phase_starts.items())  # phases only move forward
        for (phase, started), (_, ended) in zip(starts, starts[1:] + [(None, now_ms())]):
            if phase == P.PHASE_END:
                continue
            if phase == P.PHASE_IDLE and self.connected_at is not None:
                started = max(started, self.connected_at)  # the set-up's own work is not the idle phase's
            window = LOOP_LOAD.window(started, ended)
            if window is not None:
                load[str(phase)] = window
        return load

    # ----- lifetime -----------------------------------------------------------------------
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
                self.download.stopped = True  # stop sending; the page may still move on to the upload
            elif self.phase == P.PHASE_UP and now - self.phase_started > self._phase_cap_ms():
                self.upload.frozen = True

    def _phase_cap_ms(self) -> float:
        return stats.phase_cap_ms(self.idle_rtt_hint_ms) + PHASE_CAP_MARGIN_S * 1000

    async def close(self, reason: str = "closed") -> None:
        """Close every peer connection (idempotent) and leave the registry."""
        if self.closed.is_set():
            return
        self.closed.set()
        self.close_reason = reason
        if self._holds_loop_load:
            LOOP_LOAD.release()
            self._holds_loop_load = False
        self.phase = P.PHASE_END
        if TRACE:
            self.upload.trace_channels()
        for pc in list(self._pcs):
            try:
                await asyncio.wait_for(pc.close(), 5)
            except Exception:  # closing must go on for the others
                log.exception("closing a peer connection failed")
        self.download.cancel()
        self.ctl = self.probe = None
        self.upload.channels = []
        self._on_closed(self)
        current = asyncio.current_task()
        for task in list(self._tasks):
            if task is not current:
                task.cancel()


def _negotiated_channels(pc: RTCPeerConnection, kind: str) -> list[Any]:
    """The server's side of the data channels the page negotiated out of band (protocol.py)."""
    labels = ("ctl", "probe") if kind == "ctl" else ("bulk",)
    return [
        pc.createDataChannel(label, negotiated=True, id=P.CHANNEL_SPECS[label][0], **P.CHANNEL_SPECS[label][1])
        for label in labels
    ]


def _phase_counts(value: Any) -> dict[int, int]:
    """{phase: count} from the page's ``sent`` object, ignoring anything malformed."""
    counts: dict[int, int] = {}
    if isinstance(value, dict):
        for key, count in value.items():
            if (
                str(key).isdigit()
                and int(key) & ~P.FAST <= P.PHASE_END
                and isinstance(count, int)
                and 0 <= count < 10**7
            ):
                counts[int(key)] = count
    return counts
