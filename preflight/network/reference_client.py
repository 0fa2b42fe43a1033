"""The reference client of the network check's protocol (aiortc): the page's side, in Python.

Not test scaffolding: it is the protocol's second implementation. It follows
static/js/network.js phase by phase (connect, idle, download, upload, finish; same rules and
raw result shape), so pytest exercises the server without a browser, the capacity bench runs
many checks at once, and a change to the protocol has to be made readable in both.
``post_offer(body) -> (status, headers, json)`` is the transport: Flask's test client in
pytest, urllib against a real server in the benches.
"""

from __future__ import annotations

import asyncio
import json
import time
from dataclasses import dataclass, field
from statistics import median
from typing import Any, Awaitable, Callable

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from ..netrules import protocol as P
from ..netrules import stats
from .aiortc_internals import enlarge_receive_buffers


@dataclass
class Plan:
    """Durations and caps of one run (the page uses the same defaults)."""

    down: int = P.DOWN_CONNECTIONS
    up: int = P.UP_CONNECTIONS
    connect_s: float = 10.0
    idle_s: float = 3.0
    phase_cap_s: float | None = None  # None: stats.phase_cap_ms(idle RTT), as the page does
    probe_hz: float = 100.0
    idle_probe_hz: float = 150.0  # more probes while idle: upload loss is counted there only
    summary_s: float = 3.0
    upload: bool = True
    download: bool = True
    ice_servers: list[dict] = field(default_factory=list)
    # Test hook: after connecting, stay connected but silent for this many seconds, then close.
    stall_s: float | None = None


def _now() -> float:
    return time.monotonic() * 1000


def _send(channel, message: dict) -> bool:
    """Send a control message if the channel is still open (the server may have closed it)."""
    if channel.readyState != "open":
        return False
    channel.send(json.dumps(message))
    return True


class _Run:
    def __init__(self, plan: Plan) -> None:
        self.plan = plan
        self.phase = P.PHASE_IDLE
        self.phase_started = 0.0
        self.seq = 0
        self.sent = {p: 0 for p in range(4)}
        self.echoes_recv: dict[int, int] = {}
        self.rtts: dict[int, list[tuple[float, float]]] = {p: [] for p in range(4)}  # (recv time, rtt)
        self.down_transits: list[float] = []
        self.recent_down: list[tuple[float, float]] = []
        self.down_brake = None
        self.settling = 0  # P.SETTLING while a queue is filled on purpose or drains
        self.spread: float | None = None  # p90 - median of the idle RTT
        self.down_bytes = 0
        self.idle_seq_seen = 0  # highest idle probe echoed (stats.idle_is_lossy)
        self.down_samples: list[tuple[float, int]] = []
        self.up_progress: dict[str, Any] = {}
        self.summary: dict | None = None
        self.summary_event = asyncio.Event()
        self.progress_event = asyncio.Event()

    def on_echo(self, message: Any) -> None:
        if not isinstance(message, bytes) or len(message) != P.ECHO.size:
            return
        kind, tag, _pad, seq, _echo_seq, _pad2, t_page, t_server = P.ECHO.unpack(message)
        if kind != P.ECHO_TYPE:
            return
        now = _now()
        self.echoes_recv[tag] = self.echoes_recv.get(tag, 0) + 1
        self.rtts[self.phase].append((now, now - t_page))
        if tag == P.PHASE_IDLE:
            self.idle_seq_seen = max(self.idle_seq_seen, seq)
            self.down_transits.append(now - t_server)
        self.recent_down.append((now, now - t_server))
        if len(self.recent_down) > 256:
            del self.recent_down[:64]
        if self.phase == P.PHASE_DOWN and self.down_brake is not None:
            self.down_brake()
        if self.phase == P.PHASE_DOWN:
            self.down_bytes += P.wire_bytes(len(message))

    def on_ctl(self, message: Any) -> None:
        try:
            data = json.loads(message)
        except (TypeError, ValueError):
            return
        if data.get("t") == "up":
            self.up_progress = data
            self.progress_event.set()
        elif data.get("t") == "summary":
            self.summary = data
            self.summary_event.set()

    def on_bulk(self, message: Any) -> None:
        if self.phase == P.PHASE_DOWN:
            self.down_bytes += P.wire_bytes(len(message))


async def run_check(
    post_offer: Callable[[dict], Awaitable[tuple[int, dict, Any]]], run_id: str, plan: Plan | None = None
) -> dict[str, Any]:
    """Run one network check against the server behind ``post_offer``; return the raw result."""
    plan = plan or Plan()
    run = _Run(plan)
    started = _now()
    result: dict[str, Any] = {"v": 1, "state": "error", "timeouts": []}
    config = RTCConfiguration(iceServers=[RTCIceServer(**s) for s in plan.ice_servers])
    ctl_pc = RTCPeerConnection(config)
    down_pcs = [RTCPeerConnection(config) for _ in range(plan.down)]
    up_pcs = [RTCPeerConnection(config) for _ in range(plan.up)]
    pcs = [ctl_pc, *down_pcs, *up_pcs]
    ctl = ctl_pc.createDataChannel("ctl")
    probe = ctl_pc.createDataChannel("probe", ordered=False, maxRetransmits=0)
    down = [pc.createDataChannel("bulk", ordered=False) for pc in down_pcs]
    bulk = [pc.createDataChannel("bulk", ordered=False) for pc in up_pcs]
    opened = asyncio.Event()
    ctl.on("open", opened.set)
    ctl.on("message", run.on_ctl)
    probe.on("message", run.on_echo)
    for channel in down:
        channel.on("message", run.on_bulk)
    tasks: list[asyncio.Task] = []
    try:
        offers = []
        for kind, pc in [("ctl", ctl_pc)] + [("down", pc) for pc in down_pcs] + [("up", pc) for pc in up_pcs]:
            await pc.setLocalDescription(await pc.createOffer())
            enlarge_receive_buffers(pc)
            offers.append({"kind": kind, "sdp": pc.localDescription.sdp})
        status, headers, body = await post_offer({"run_id": run_id, "offers": offers})
        result["http_status"] = status
        if status == 503:
            result.update(state="busy", retry_after=headers.get("Retry-After"))
            return result
        if status != 200:
            result.update(state="rejected", error=(body or {}).get("error"))
            return result
        result["session"] = body["session"]
        for pc, answer in zip(pcs, body["answers"]):
            await pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        try:
            await asyncio.wait_for(opened.wait(), plan.connect_s)
        except asyncio.TimeoutError:
            result.update(state="failed", connect_ms=None)
            result["timeouts"].append("connect")
            return result
        result.update(state="connected", connect_ms=round(_now() - started, 1))
        if plan.stall_s is not None:
            await asyncio.sleep(plan.stall_s)
            return result
        tasks.append(asyncio.ensure_future(_send_probes(run, probe)))
        # Idle: round-trip time, jitter and loss on an unloaded link.
        run.phase_started = _now()
        await asyncio.sleep(plan.idle_s)
        if stats.idle_is_lossy(run.echoes_recv.get(P.PHASE_IDLE, 0), run.idle_seq_seen):
            await asyncio.sleep(plan.idle_s)
        idle_rtts = [r for _, r in run.rtts[P.PHASE_IDLE]]
        rtt = median(idle_rtts) if idle_rtts else None
        if plan.download:
            await _download(run, ctl, rtt, result)
        for pc in down_pcs:  # the server closes its side too: no download leftovers during the upload
            await pc.close()
        if plan.upload:
            await _upload(run, ctl, bulk, rtt, result)
        run.phase = P.PHASE_END
        _send(ctl, {"t": "done", "sent": {str(k): v for k, v in run.sent.items()}})
        try:
            await asyncio.wait_for(run.summary_event.wait(), plan.summary_s)
        except asyncio.TimeoutError:
            result["timeouts"].append("summary")
        _fill_result(run, result, rtt)
        return result
    finally:
        for task in tasks:
            task.cancel()
        for pc in pcs:
            await pc.close()
        result["duration_ms"] = round(_now() - started, 1)


async def _send_probes(run: _Run, channel) -> None:
    """PROBE packets on an absolute schedule (faster while idle), tagged with the current phase."""
    next_at = _now()
    while True:
        interval = 1000 / (run.plan.idle_probe_hz if run.phase == P.PHASE_IDLE else run.plan.probe_hz)
        now = _now()
        next_at = max(next_at, now - 3 * interval)  # catch up at most 3 after a late wake-up
        while next_at <= now and channel.readyState == "open" and run.phase != P.PHASE_END:
            tag = run.phase | run.settling
            channel.send(P.PROBE.pack(P.PROBE_TYPE, tag, 0, run.seq, _now()))
            run.seq += 1
            run.sent[tag] = run.sent.get(tag, 0) + 1
            next_at += interval
        await asyncio.sleep(max(0.002, (next_at - _now()) / 1000))


async def _saturated(run: _Run, phase: int) -> float | None:
    """Median RTT of the echoes of the last 400 ms while the sender fills the queue."""
    start = _now()
    await asyncio.sleep(stats.SATURATE_MS / 1000)
    cut = start + stats.SATURATE_MS - 400
    values = [r for t, r in run.rtts[phase] if t >= cut]
    return median(values) if values else None


def _queue_ms(recent: list[tuple[float, float]], base: float | None) -> float | None:
    if base is None:
        return None
    cut = _now() - 300
    values = [transit for t, transit in recent if t >= cut]
    return median(values) - base if values else None


def _phase_cap_ms(plan: Plan, rtt: float | None) -> float:
    return plan.phase_cap_s * 1000 if plan.phase_cap_s is not None else stats.phase_cap_ms(rtt)


async def _download(run: _Run, ctl, rtt: float | None, result: dict) -> None:
    base = median(run.down_transits) if run.down_transits else None
    run.phase, run.phase_started = P.PHASE_DOWN, _now()
    run.down_samples = [(run.phase_started, run.down_bytes)]
    idle = [r for _, r in run.rtts[P.PHASE_IDLE]]
    spread = (stats.percentile(idle, 0.9) - rtt) if idle and rtt is not None else None
    run.spread = spread
    target, last_brake = stats.queue_target_ms(rtt, spread), [0.0]

    def brake() -> None:
        now = _now()
        if now - last_brake[0] < 100 or base is None:
            return
        queue = median([transit for _, transit in run.recent_down[-5:]]) - base
        if queue > stats.BRAKE * target:
            last_brake[0] = now
            _send(ctl, {"t": "down", "brake": True, "queue_ms": _r(queue)})

    run.down_brake = brake
    _send(ctl, {"t": "phase", "phase": "down", "rtt_ms": rtt, "spread_ms": _r(spread)})
    windows: list[float] = []
    saturated_at = None
    while True:
        await asyncio.sleep(stats.WINDOW_MS / 1000)
        run.down_samples.append((_now(), run.down_bytes))
        recent = [kbps for _, kbps in stats.window_rates(run.down_samples[-3:])]
        queue = _queue_ms(run.recent_down, base)
        _send(
            ctl,
            {
                "t": "down",
                "last": _r(recent[-1]) if recent else None,
                "best": _r(max(recent)) if recent else None,
                "queue_ms": _r(queue),
            },
        )
        target = stats.queue_target_ms(rtt, spread, max(recent) if recent else None)
        windows = stats.steady(stats.window_rates(run.down_samples), run.phase_started, rtt)
        saturated_at = stats.saturation(saturated_at, queue, target, len(windows))
        if stats.phase_settled(windows, rtt, saturated_at):
            break
        if _now() - run.phase_started >= _phase_cap_ms(run.plan, rtt):
            result["timeouts"].append("download")
            break
    result["download_kbps"] = _r(stats.phase_rate(windows, saturated_at))
    result["download_windows"] = [_r(w) for w in windows][-40:]
    result["download_settled"] = stats.phase_settled(windows, rtt, saturated_at)
    run.down_brake = None
    run.settling = P.SETTLING
    _send(ctl, {"t": "down", "saturate": True, "kbps": result["download_kbps"]})
    result["loaded_rtt_down_ms"] = _r(await _saturated(run, P.PHASE_DOWN))
    _send(ctl, {"t": "down", "stop": True})
    drain_end = _now() + stats.DRAIN_MAX_MS
    while _now() < drain_end:
        await asyncio.sleep(0.05)
        recent_rtts = [r for t, r in run.rtts[P.PHASE_DOWN] if t >= _now() - 200]
        if stats.drained(median(recent_rtts) if recent_rtts else None, rtt):
            break


async def _upload(run: _Run, ctl, bulk, rtt: float | None, result: dict) -> None:
    run.phase, run.phase_started, run.settling = P.PHASE_UP, _now(), 0
    _send(ctl, {"t": "phase", "phase": "up", "rtt_ms": rtt})
    payload = bytes(P.BULK_MESSAGE_BYTES)
    pacing = stats.Pacing(stats.PACE_START_UP_KBPS, P.MAX_RATE_KBPS, rtt, run.spread)
    state = {"pace": pacing.pace, "saturating": False}

    def up_queue_now() -> float | None:
        values = [r for t, r in run.rtts[P.PHASE_UP] if t >= _now() - 60]
        return median(values) - (rtt or 0) if values else None

    async def pump() -> None:
        # Every 5 ms top up each channel within the pace (as network.js does), braking at once
        # when the round trip shows the upload queue shooting up.
        tokens, stamp = 0.0, _now()
        while run.phase == P.PHASE_UP:
            now = _now()
            if not state["saturating"] and pacing.braking(up_queue_now()):
                state["pace"], tokens, stamp = pacing.on_brake(), 0.0, now
                await asyncio.sleep(0.005)
                continue
            pace = state["pace"]
            size = P.message_bytes(pace)
            tokens = min(max(2 * size, pace * 125 * 0.02), tokens + (now - stamp) * pace / 8)
            stamp = now
            limit = max(2 * size, min(64 * 1024, pace * 125 * ((rtt or 0) + 100) / 1000 / len(bulk)))
            for channel in bulk:
                while channel.readyState == "open" and channel.bufferedAmount < limit and tokens >= size:
                    channel.send(payload[:size])
                    tokens -= size
            await asyncio.sleep(0.005)

    pumping = asyncio.ensure_future(pump())
    seen = None
    while True:
        if _now() - run.phase_started >= _phase_cap_ms(run.plan, rtt):
            result["timeouts"].append("upload")
            break
        run.progress_event.clear()
        try:
            await asyncio.wait_for(run.progress_event.wait(), 1.0)
        except asyncio.TimeoutError:
            continue
        progress = run.up_progress
        if progress is not seen and progress.get("last") is not None:
            seen = progress
            delivered = (
                (progress.get("best") or progress["last"])
                * P.CHUNK_PAYLOAD_BYTES
                / (P.CHUNK_PAYLOAD_BYTES + P.PACKET_OVERHEAD_BYTES)
            )
            state["pace"] = pacing.on_window(delivered, progress.get("queue_ms"))
        if progress.get("settled"):
            break
    result["upload_seen_kbps"] = run.up_progress.get("kbps")
    _send(ctl, {"t": "up", "saturate": True})
    seen_kbps = (
        (run.up_progress.get("kbps") or 0) * P.CHUNK_PAYLOAD_BYTES / (P.CHUNK_PAYLOAD_BYTES + P.PACKET_OVERHEAD_BYTES)
    )
    state["saturating"] = True
    run.settling = P.SETTLING
    state["pace"] = min(P.MAX_RATE_KBPS, stats.SATURATE_GAIN * max(pacing.bottleneck(), seen_kbps))
    result["loaded_rtt_up_ms"] = _r(await _saturated(run, P.PHASE_UP))
    run.phase = P.PHASE_END
    await pumping


def _fill_result(run: _Run, result: dict, rtt: float | None) -> None:
    idle = [r for _, r in run.rtts[P.PHASE_IDLE]]
    result.update(
        rtt_ms=_r(rtt),
        rtt_p90_ms=_r(stats.percentile(idle, 0.9)),
        jitter_down_ms=_r(stats.mean_abs_delta(run.down_transits), 2),
        probes_sent={str(k): v for k, v in run.sent.items()},
        echoes_recv={str(k): v for k, v in run.echoes_recv.items()},
        hidden=False,
        throttled=False,
        candidates={"host": 1, "srflx": 0, "relay": 0, "prflx": 0, "udp": 1, "tcp": 0},
        selected={"local_type": "host", "remote_type": "host", "protocol": "udp", "relay_protocol": None},
    )
    if run.summary:
        result["server"] = run.summary.get("signed")
        result["server_record"] = run.summary.get("record")


# Keys of the result that are for the caller's inspection only, not part of the page's payload.
INSPECTION_KEYS = ("http_status", "server_record", "retry_after", "error")


def page_payload(result: dict[str, Any]) -> dict[str, Any]:
    """The result as the page posts it to /c/<token>/results (checks.network)."""
    return {k: v for k, v in result.items() if k not in INSPECTION_KEYS}


def _r(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)
