"""A Python client speaking the network check's protocol (aiortc), for tests and benches.

It follows static/js/network.js step by step (same phases, rules and raw result shape), so
pytest can exercise the server without a browser, and the capacity bench can run many checks.
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

from . import protocol as P
from . import stats
from .session import Pacer


@dataclass
class Plan:
    """Durations and caps of one run (the page uses the same defaults)."""

    bulk: int = P.BULK_CONNECTIONS
    connect_s: float = 10.0
    idle_s: float = 2.5
    phase_cap_s: float = 5.0
    probe_hz: float = 100.0
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
        self.down_bytes = 0
        self.down_samples: list[tuple[float, int]] = []
        self.up_progress: dict[str, Any] = {}
        self.summary: dict | None = None
        self.summary_event = asyncio.Event()
        self.progress_event = asyncio.Event()

    def on_echo(self, message: Any) -> None:
        if not isinstance(message, bytes) or len(message) != P.ECHO.size:
            return
        kind, tag, _pad, _seq, _echo_seq, _pad2, t_page, t_server = P.ECHO.unpack(message)
        if kind != P.ECHO_TYPE:
            return
        now = _now()
        self.echoes_recv[tag] = self.echoes_recv.get(tag, 0) + 1
        self.rtts[self.phase].append((now, now - t_page))
        if tag == P.PHASE_IDLE:
            self.down_transits.append(now - t_server)
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


async def run_check(post_offer: Callable[[dict], Awaitable[tuple[int, dict, Any]]], run_id: str,
                    plan: Plan | None = None) -> dict[str, Any]:
    """Run one network check against the server behind ``post_offer``; return the raw result."""
    plan = plan or Plan()
    run = _Run(plan)
    started = _now()
    result: dict[str, Any] = {"v": 1, "state": "error", "timeouts": []}
    config = RTCConfiguration(iceServers=[RTCIceServer(**s) for s in plan.ice_servers])
    ctl_pc = RTCPeerConnection(config)
    bulk_pcs = [RTCPeerConnection(config) for _ in range(plan.bulk)]
    pcs = [ctl_pc, *bulk_pcs]
    ctl = ctl_pc.createDataChannel("ctl")
    probe = ctl_pc.createDataChannel("probe", ordered=False, maxRetransmits=0)
    bulk = [pc.createDataChannel("bulk") for pc in bulk_pcs]
    opened = asyncio.Event()
    ctl.on("open", opened.set)
    ctl.on("message", run.on_ctl)
    probe.on("message", run.on_echo)
    for channel in bulk:
        channel.on("message", run.on_bulk)
    tasks: list[asyncio.Task] = []
    try:
        offers = []
        for kind, pc in [("ctl", ctl_pc)] + [("bulk", pc) for pc in bulk_pcs]:
            await pc.setLocalDescription(await pc.createOffer())
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
        idle_rtts = [r for _, r in run.rtts[P.PHASE_IDLE]]
        rtt = median(idle_rtts) if idle_rtts else None
        if plan.download:
            await _download(run, ctl, rtt, result)
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
    """PROBE packets at probe_hz on an absolute schedule, tagged with the current phase."""
    interval = 1000 / run.plan.probe_hz
    next_at = _now()
    while True:
        if channel.readyState == "open" and run.phase != P.PHASE_END:
            channel.send(P.PROBE.pack(P.PROBE_TYPE, run.phase, 0, run.seq, _now()))
            run.seq += 1
            run.sent[run.phase] += 1
        next_at += interval
        await asyncio.sleep(max(0, next_at - _now()) / 1000)


async def _download(run: _Run, ctl, rtt: float | None, result: dict) -> None:
    run.phase, run.phase_started = P.PHASE_DOWN, _now()
    run.down_samples = [(run.phase_started, run.down_bytes)]
    _send(ctl, {"t": "phase", "phase": "down", "rtt_ms": rtt})
    windows: list[float] = []
    while _now() - run.phase_started < run.plan.phase_cap_s * 1000:
        await asyncio.sleep(stats.WINDOW_MS / 1000)
        run.down_samples.append((_now(), run.down_bytes))
        windows = stats.steady(stats.window_rates(run.down_samples), run.phase_started, rtt)
        if stats.settled(windows):
            break
    else:
        result["timeouts"].append("download")
    result["download_kbps"] = _r(stats.rate_estimate(windows))
    result["download_windows"] = [_r(w) for w in windows]
    result["download_settled"] = stats.settled(windows)
    result["loaded_rtt_down_ms"] = _r(_loaded_rtt(run, P.PHASE_DOWN, rtt))


async def _upload(run: _Run, ctl, bulk, rtt: float | None, result: dict) -> None:
    run.phase, run.phase_started = P.PHASE_UP, _now()
    _send(ctl, {"t": "phase", "phase": "up", "rtt_ms": rtt})
    limit = 256 * 1024
    payload = bytes(P.BULK_MESSAGE_BYTES)

    pacer = Pacer(P.MAX_RATE_KBPS)

    async def pump() -> None:
        # Every 5 ms top up each channel, within the pace and a bounded send queue.
        while run.phase == P.PHASE_UP:
            for channel in bulk:
                while channel.readyState == "open" and channel.bufferedAmount < limit and pacer.take(len(payload)):
                    channel.send(payload)
            await asyncio.sleep(0.005)

    pumping = asyncio.ensure_future(pump())
    while _now() - run.phase_started < run.plan.phase_cap_s * 1000:
        run.progress_event.clear()
        try:
            await asyncio.wait_for(run.progress_event.wait(), 1.0)
        except asyncio.TimeoutError:
            continue
        if run.up_progress.get("settled"):
            break
    else:
        result["timeouts"].append("upload")
    run.phase = P.PHASE_END
    await pumping
    result["upload_seen_kbps"] = run.up_progress.get("kbps")
    result["loaded_rtt_up_ms"] = _r(_loaded_rtt(run, P.PHASE_UP, rtt))


def _loaded_rtt(run: _Run, phase: int, rtt: float | None) -> float | None:
    """Median RTT of the echoes that came back during a bulk phase, after its warm-up."""
    start = min((t for t, _ in run.rtts[phase]), default=None)
    if start is None:
        return None
    cut = start + stats.warmup_ms(rtt)
    values = [r for t, r in run.rtts[phase] if t >= cut] or [r for _, r in run.rtts[phase]]
    return median(values)


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
