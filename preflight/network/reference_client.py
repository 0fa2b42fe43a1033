"""The reference client of the network check's protocol (aiortc): the page's side, in Python.

Not test scaffolding: it is the protocol's second implementation. It follows
static/js/network.js phase by phase (connect, idle, download, upload, finish; same rules and
raw result shape), so pytest exercises the server without a browser, the capacity bench runs
many checks at once, and a change to the protocol has to be made readable in both.

This module runs the check (connect, idle, then the bulk phases of ``reference_bulk``, finish)
and shapes the result; ``reference_run`` holds the plan and what the client has seen.
``post_offer(body) -> (status, headers, json)`` is the transport: Flask's test client in
pytest, urllib against a real server in the benches.
"""

from __future__ import annotations

import asyncio
from statistics import median
from typing import Any, Awaitable, Callable

from aiortc import RTCConfiguration, RTCIceServer, RTCPeerConnection, RTCSessionDescription

from ..netrules import protocol as P
from ..netrules import stats
from .aiortc_internals import count_datagrams, enlarge_receive_buffers, local_candidates, selected_pair
from .reference_bulk import download, upload
from .reference_run import ClientRun, Plan, send_ctl
from .timing import now_ms, rounded


async def run_check(
    post_offer: Callable[[dict], Awaitable[tuple[int, dict, Any]]], run_id: str, plan: Plan | None = None
) -> dict[str, Any]:
    """Run one network check against the server behind ``post_offer``; return the raw result."""
    plan = plan or Plan()
    run = ClientRun(plan)
    started = now_ms()
    result: dict[str, Any] = {"v": 1, "state": "error", "timeouts": []}
    config = RTCConfiguration(iceServers=[RTCIceServer(**s) for s in plan.ice_servers])
    ctl_pc = RTCPeerConnection(config)
    down_pcs = [RTCPeerConnection(config) for _ in range(plan.down)]
    up_pcs = [RTCPeerConnection(config) for _ in range(plan.up)]
    pcs = [ctl_pc, *down_pcs, *up_pcs]

    def channel(pc: RTCPeerConnection, label: str) -> Any:
        # Out of band, the stream ids are the protocol's; in band, the DTLS role picks them.
        stream_id, options = P.CHANNEL_SPECS[label]
        if plan.negotiated:
            options = {**options, "negotiated": True, "id": stream_id}
        return pc.createDataChannel(label, **options)

    ctl = channel(ctl_pc, "ctl")
    probe = channel(ctl_pc, "probe")
    down = [channel(pc, "bulk") for pc in down_pcs]
    bulk = [channel(pc, "bulk") for pc in up_pcs]
    opened = asyncio.Event()
    ctl.on("open", opened.set)
    ctl.on("message", run.on_ctl)
    probe.on("message", run.on_echo)
    # Every packet in on the download and control connections (the echoes share the downlink).
    for channel in [probe, *down]:
        count_datagrams(channel, run.on_down_datagram)
    for channel in down:
        channel.on("message", run.on_bulk)
    tasks: list[asyncio.Task] = []
    try:
        offers = []
        for kind, pc in [("ctl", ctl_pc)] + [("down", pc) for pc in down_pcs] + [("up", pc) for pc in up_pcs]:
            await pc.setLocalDescription(await pc.createOffer())
            enlarge_receive_buffers(pc)
            offers.append({"kind": kind, "sdp": pc.localDescription.sdp})
        request = {"run_id": run_id, "offers": offers}
        if plan.negotiated:
            request["channels"] = P.CHANNELS_NEGOTIATED
        status, headers, body = await post_offer(request)
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
        result.update(state="connected", connect_ms=round(now_ms() - started, 1))
        if plan.stall_s is not None:
            await asyncio.sleep(plan.stall_s)
            return result
        tasks.append(asyncio.ensure_future(_send_probes(run, probe)))
        # Idle: round-trip time, jitter and loss on an unloaded link.
        run.phase_started = now_ms()
        await _idle(run)
        idle_rtts = run.idle_rtts()
        rtt = median(idle_rtts) if idle_rtts else None
        if plan.download:
            await download(run, ctl, rtt, result)
        for pc in down_pcs:  # the server closes its side too: no download leftovers during the upload
            await pc.close()
        if plan.upload:
            await upload(run, ctl, bulk, rtt, result)
        run.phase = P.PHASE_END
        send_ctl(ctl, {"t": "done", "sent": {str(k): v for k, v in run.sent.items()}})
        try:
            await asyncio.wait_for(run.summary_event.wait(), plan.summary_s)
        except asyncio.TimeoutError:
            result["timeouts"].append("summary")
        _fill_result(run, result, rtt, ctl_pc)
        return result
    finally:
        for task in tasks:
            task.cancel()
        for pc in pcs:
            await pc.close()
        result["duration_ms"] = round(now_ms() - started, 1)


async def _idle(run: ClientRun) -> None:
    """The idle phase, as network.js runs it: lengthened on a lossy link, whose fast second half
    starts as soon as the loss is certain (stats.idle_lossy_already) and stops where it crowds the
    link until its queue drains, the first half's probing resuming then, gently until its round
    trip is back (stats.fast_half_crowded, fast_half_drained; ``_watch_resume``)."""
    plan = run.plan
    idle_ms = plan.idle_s * 1000
    planned = idle_ms * plan.idle_probe_hz / 1000  # the first half's probes
    started = now_ms()
    end = started + idle_ms
    base: float | None = None
    while True:
        now = now_ms()
        echoes = run.echoes_recv.get(P.PHASE_IDLE, 0)
        if not run.lossy:
            certain = now - started >= stats.FAST_EARLIEST_SHARE * idle_ms and stats.idle_lossy_already(
                echoes, run.idle_seq_seen, planned
            )
            if now >= end and not certain and not stats.idle_is_lossy(echoes, run.idle_seq_seen):
                return
            if now >= end or certain:
                first_half = run.idle_rtts()
                base = median(first_half) if first_half else None
                _start_fast_half(run)
                end = started + 2 * idle_ms
        elif now >= end:
            return
        if run.fast:
            end = _watch_fast_half(run, now, base, end)
        elif run.resuming_gently:
            end = _watch_resume(run, now, base, end, idle_ms)
        await asyncio.sleep(0.02)


def _start_fast_half(run: ClientRun) -> None:
    run.fast = True
    run.base_rtts = len(run.rtts[P.PHASE_IDLE])


def _watch_fast_half(run: ClientRun, now: float, base: float | None, end: float) -> float:
    """network.js's watchFastHalf: stop a fast half that crowds the link until its queue drains, then
    resume the first half's probing until ``end``; returns the idle phase's end (now, where the
    queue did not drain)."""
    if run.drain_started is None:
        crowded = stats.fast_half_crowded(run.recent_idle_rtt(stats.FAST_CROWDED_ECHOES, run.base_rtts or 0), base)
        run.crowded_since = (run.crowded_since or now) if crowded else None
        if run.crowded_since is not None and now - run.crowded_since >= stats.FAST_CROWDED_HOLD_MS:
            run.drain_started = now
        return end
    drained = stats.fast_half_drained(now - max(run.last_echo_at or 0.0, run.drain_started))
    if not drained and now - run.drain_started < stats.FAST_DRAIN_MAX_MS:
        return end
    run.fast = False
    if not drained:
        return min(end, now)
    run.resumed_rtts = len(run.rtts[P.PHASE_IDLE])
    return end


def _watch_resume(run: ClientRun, now: float, base: float | None, end: float, idle_ms: float) -> float:
    """network.js's watchResume: the resumed first half goes back to its own rate once the round
    trip of its last echoes is back to the first half's, and the idle phase gets back the time
    since the fast half was found crowded (at most ``FAST_GIVEN_BACK_SHARE`` of its planned
    length); returns its end."""
    recent = run.recent_idle_rtt(stats.FAST_CROWDED_ECHOES // 2, run.resumed_rtts or 0)
    if recent is None or stats.fast_half_crowded(recent, base):
        return end
    run.resume_cleared = True
    return end + min(now - (run.drain_started or now), idle_ms * stats.FAST_GIVEN_BACK_SHARE)


async def _send_probes(run: ClientRun, channel) -> None:
    """PROBE packets on an absolute schedule (faster while idle, faster still in a lossy idle
    phase's fast half), tagged with the current phase, each tag numbered from 0."""
    next_at = now_ms()
    plan = run.plan
    while True:
        fast = run.fast and run.phase == P.PHASE_IDLE
        now = now_ms()
        if fast and run.drain_started is not None:  # a crowded fast half sends nothing while its queue drains
            next_at = now
            await asyncio.sleep(0.005)
            continue
        if run.phase == P.PHASE_DOWN and run.fast_half_crowded:  # network-flows.js, bulkProbeHz
            hz = plan.crowded_probe_hz
        elif run.phase != P.PHASE_IDLE:
            hz = plan.probe_hz
        elif fast:
            hz = plan.lossy_probe_hz
        else:  # network-flows.js, idleProbeHz
            hz = plan.crowded_probe_hz if run.resuming_gently else plan.idle_probe_hz
        interval = 1000 / hz
        next_at = max(next_at, now - 3 * interval)  # catch up at most 3 after a late wake-up
        while next_at <= now and channel.readyState == "open" and run.phase != P.PHASE_END:
            tag = run.phase | run.settling | (P.FAST if fast else 0)
            seq = run.sent.get(tag, 0)  # each tag numbers its own probes (network-flows.js)
            every = plan.lose_probes_every.get(tag)
            if not (every and seq % every == 0):
                channel.send(P.PROBE.pack(P.PROBE_TYPE, tag, 0, seq, now_ms()))
            run.sent[tag] = seq + 1
            next_at += interval
        await asyncio.sleep(max(0.002, (next_at - now_ms()) / 1000))


def _fill_result(run: ClientRun, result: dict, rtt: float | None, ctl_pc: RTCPeerConnection) -> None:
    idle = run.idle_rtts()
    # The control connection's ICE pair, as the page reads it from getStats (host over UDP where unknown).
    selected = selected_pair(ctl_pc) or {"local_type": "host", "remote_type": "host", "protocol": "udp"}
    result.update(
        rtt_ms=rounded(rtt),
        rtt_p90_ms=rounded(stats.percentile(idle, 0.9)),
        jitter_down_ms=rounded(stats.mean_abs_delta(run.down_transits), 2),
        probes_sent={str(k): v for k, v in run.sent.items()},
        echoes_recv={str(k): v for k, v in run.echoes_recv.items()},
        fast_queue_down_ms=run.fast_queue_down_ms(),
        hidden=False,
        throttled=False,
        candidates=local_candidates(ctl_pc) or {"host": 1, "srflx": 0, "relay": 0, "prflx": 0, "udp": 1, "tcp": 0},
        selected={"relay_protocol": None, **selected},
    )
    if run.summary:
        result["server"] = run.summary.get("signed")
        result["server_record"] = run.summary.get("record")
        result["summary_phase"] = run.summary_phase


# Keys of the result that are for the caller's inspection only, not part of the page's payload.
INSPECTION_KEYS = ("http_status", "server_record", "summary_phase", "retry_after", "error")


def page_payload(result: dict[str, Any]) -> dict[str, Any]:
    """The result as the page posts it to /c/<token>/results (checks.network)."""
    return {k: v for k, v in result.items() if k not in INSPECTION_KEYS}
