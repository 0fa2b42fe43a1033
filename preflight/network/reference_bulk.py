"""The reference client's bulk phases: download and upload, as the page runs them."""

from __future__ import annotations

import asyncio
from statistics import median

from ..netrules import protocol as P
from ..netrules import stats
from .reference_run import ClientRun, Plan, send_ctl
from .timing import now_ms, rounded


async def _saturated(run: ClientRun, phase: int) -> float | None:
    """Median RTT of the echoes of the last 400 ms while the sender fills the queue."""
    start = now_ms()
    await asyncio.sleep(stats.SATURATE_MS / 1000)
    cut = start + stats.SATURATE_MS - 400
    values = [r for t, r in run.rtts[phase] if t >= cut]
    return median(values) if values else None


def _queue_ms(recent: list[tuple[float, float]], base: float | None) -> float | None:
    if base is None:
        return None
    cut = now_ms() - 300
    values = [transit for t, transit in recent if t >= cut]
    return median(values) - base if values else None


def _phase_cap_ms(plan: Plan, rtt: float | None) -> float:
    return plan.phase_cap_s * 1000 if plan.phase_cap_s is not None else stats.phase_cap_ms(rtt)


async def download(run: ClientRun, ctl, rtt: float | None, result: dict) -> None:
    """The download phase: report each window to the server (which paces by it) until the rate
    settles, then saturate (loaded round trip), stop, and wait for the uplink's queue to drain."""
    base = run.down_base = median(run.down_transits) if run.down_transits else None
    run.down_busy = {"queue": [], "arrivals": [], "wire": []} if base is not None else None
    run.phase, run.phase_started = P.PHASE_DOWN, now_ms()
    run.down_samples = [(run.phase_started, run.down_bytes)]
    idle = [r for _, r in run.rtts[P.PHASE_IDLE]]
    spread = (stats.percentile(idle, 0.9) - rtt) if idle and rtt is not None else None
    run.spread = spread
    target, last_brake = stats.queue_target_ms(rtt, spread), [0.0]

    def brake() -> None:
        now = now_ms()
        if now - last_brake[0] < 100 or base is None:
            return
        queue = median([transit for _, transit in run.recent_down[-5:]]) - base
        if queue > stats.BRAKE * target:
            last_brake[0] = now
            send_ctl(ctl, {"t": "down", "brake": True, "queue_ms": rounded(queue)})

    run.down_brake = brake
    send_ctl(ctl, {"t": "phase", "phase": "down", "rtt_ms": rtt, "spread_ms": rounded(spread)})
    windows: list[float] = []
    saturated_at = None
    while True:
        await asyncio.sleep(stats.WINDOW_MS / 1000)
        run.down_samples.append((now_ms(), run.down_bytes))
        recent = [kbps for _, kbps in stats.window_rates(run.down_samples[-3:])]
        queue = _queue_ms(run.recent_down, base)
        send_ctl(
            ctl,
            {
                "t": "down",
                "last": rounded(recent[-1]) if recent else None,
                "best": rounded(max(recent)) if recent else None,
                "queue_ms": rounded(queue),
            },
        )
        target = stats.queue_target_ms(rtt, spread, max(recent) if recent else None)
        windows = stats.steady(stats.window_rates(run.down_samples), run.phase_started, rtt)
        saturated_at = stats.saturation(saturated_at, queue, target, len(windows))
        if stats.phase_settled(windows, rtt, saturated_at):
            break
        if now_ms() - run.phase_started >= _phase_cap_ms(run.plan, rtt):
            result["timeouts"].append("download")
            break
    # The sustained rate (stats.sustained_rate), the busy periods counted at IP level, as network.js.
    window_kbps, busy = stats.phase_rate(windows, saturated_at), (None, 0.0)
    if run.down_busy is not None:
        timed = run.down_busy
        arrivals = timed["wire"] if len(timed["wire"]) >= 2 else timed["arrivals"]
        threshold = stats.busy_threshold_ms(run.down_transits, base, rtt, window_kbps)
        busy = stats.busy_rate(arrivals, stats.busy_runs(timed["queue"], threshold))
        run.down_busy = None
    result["download_kbps"] = rounded(stats.sustained_rate(windows, saturated_at, busy[0], stats.BURST_RATIO_DOWN))
    result["download_window_kbps"] = rounded(window_kbps)
    result["download_busy_kbps"] = rounded(busy[0])
    result["download_busy_ms"] = rounded(busy[1], 0)
    result["download_windows"] = [rounded(w) for w in windows][-40:]
    result["download_settled"] = stats.phase_settled(windows, rtt, saturated_at)
    run.down_brake = None
    run.settling = P.SETTLING
    send_ctl(ctl, {"t": "down", "saturate": True, "kbps": result["download_kbps"]})
    result["loaded_rtt_down_ms"] = rounded(await _saturated(run, P.PHASE_DOWN))
    send_ctl(ctl, {"t": "down", "stop": True})
    # After the saturation the downlink's queue is full, and the acknowledgements of what is
    # still in it would crowd a thin uplink: both directions drain (network.js skips the
    # saturation where the idle round trip already fails, and then waits for the uplink alone).
    drain_end = now_ms() + stats.DRAIN_MAX_MS
    while now_ms() < drain_end:
        await asyncio.sleep(0.05)
        recent_rtts = [r for t, r in run.rtts[P.PHASE_DOWN] if t >= now_ms() - 200]
        if stats.drained(median(recent_rtts) - (rtt or 0.0) if recent_rtts else None, rtt):
            break


async def upload(run: ClientRun, ctl, bulk, rtt: float | None, result: dict) -> None:
    """The upload phase: fill the bulk channels at a pace steered by the server's progress
    messages until it says the rate has settled, then saturate (loaded round trip)."""
    run.phase, run.phase_started, run.settling = P.PHASE_UP, now_ms(), 0
    send_ctl(ctl, {"t": "phase", "phase": "up", "rtt_ms": rtt, "sent": {str(k): v for k, v in run.sent.items()}})
    payload = bytes(P.BULK_MESSAGE_BYTES)
    pacing = stats.Pacing(stats.PACE_START_UP_KBPS, run.plan.rate_cap_kbps, rtt, run.spread)
    state = {"pace": pacing.pace, "saturating": False}

    def up_queue_now() -> float | None:
        return run.up_queue(P.PHASE_UP, 60, rtt)

    async def pump() -> None:
        # Every 5 ms top up each channel within the pace (as network.js does), braking at once
        # when the round trip shows the upload queue shooting up.
        tokens, stamp = 0.0, now_ms()
        while run.phase == P.PHASE_UP:
            now = now_ms()
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
        if now_ms() - run.phase_started >= _phase_cap_ms(run.plan, rtt):
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
    send_ctl(ctl, {"t": "up", "saturate": True})
    seen_kbps = (
        (run.up_progress.get("kbps") or 0) * P.CHUNK_PAYLOAD_BYTES / (P.CHUNK_PAYLOAD_BYTES + P.PACKET_OVERHEAD_BYTES)
    )
    state["saturating"] = True
    run.settling = P.SETTLING
    state["pace"] = min(run.plan.rate_cap_kbps, stats.SATURATE_GAIN * max(pacing.bottleneck(), seen_kbps))
    result["loaded_rtt_up_ms"] = rounded(await _saturated(run, P.PHASE_UP))
    run.phase = P.PHASE_END
    await pumping
