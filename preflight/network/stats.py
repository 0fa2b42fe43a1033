"""Pure statistics for the network check (no I/O): rates, settling, jitter, loss, MOS.

The page (static/js/network.js) applies the same rules to what it receives; keep them in step.
"""

from __future__ import annotations

import math
from statistics import median
from typing import Iterable, Sequence

# Receivers sample their byte counters every WINDOW_MS. A rate is the trimmed mean of the last
# ESTIMATE_WINDOWS windows after the warm-up (the fastest and slowest dropped): under loss an
# ordered channel delivers in bursts (a window stalls behind a retransmission, the next one
# catches up), which a median of windows would misread, while the trimming still drops a
# stray window. A phase has settled when the means of the two halves of the last
# SETTLE_WINDOWS agree within SETTLE_TOLERANCE (a plateau, not the start-up ramp).
WINDOW_MS = 250
WARMUP_MS = 1000
SETTLE_WINDOWS = 6
SETTLE_TOLERANCE = 0.10
ESTIMATE_WINDOWS = 6


def window_rates(samples: Sequence[tuple[float, int]]) -> list[tuple[float, float]]:
    """(end time ms, kbit/s) for each interval between consecutive (time ms, cumulative bytes) samples."""
    rates = []
    for (t0, b0), (t1, b1) in zip(samples, samples[1:]):
        if t1 > t0:
            rates.append((t1, (b1 - b0) * 8 / (t1 - t0)))  # bytes per ms * 8 = kbit/s
    return rates


def warmup_ms(rtt_ms: float | None) -> float:
    """How long the start of a bulk phase is discarded: at least WARMUP_MS, and two round trips."""
    return max(WARMUP_MS, 2 * (rtt_ms or 0))


def steady(rates: Sequence[tuple[float, float]], start_ms: float, rtt_ms: float | None) -> list[float]:
    """Window rates after the warm-up of a phase that started at ``start_ms``."""
    cut = start_ms + warmup_ms(rtt_ms)
    return [kbps for t, kbps in rates if t - WINDOW_MS / 2 >= cut]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def settled(windows: Sequence[float]) -> bool:
    """True once the last windows form a plateau: the two halves' means within SETTLE_TOLERANCE."""
    if len(windows) < SETTLE_WINDOWS:
        return False
    half = SETTLE_WINDOWS // 2
    first, last = _mean(windows[-SETTLE_WINDOWS:-half]), _mean(windows[-half:])
    return abs(last - first) <= SETTLE_TOLERANCE * max(last, first, 1e-9)


def rate_estimate(windows: Sequence[float]) -> float | None:
    """The robust rate: trimmed mean of the last ESTIMATE_WINDOWS steady windows (None without any)."""
    if not windows:
        return None
    recent = sorted(windows[-ESTIMATE_WINDOWS:])
    if len(recent) >= 5:
        recent = recent[1:-1]
    return _mean(recent)


def mean_abs_delta(transits: Iterable[float]) -> float | None:
    """Interarrival jitter as RFC 3550 defines its expectation: mean |D| of consecutive one-way transit times.

    ``transits`` are (receive time - send time) in arrival order; the clock offset cancels out.
    """
    values = list(transits)
    if len(values) < 2:
        return None
    deltas = [abs(b - a) for a, b in zip(values, values[1:])]
    return sum(deltas) / len(deltas)


def loss_pct(sent: int, received: int) -> float | None:
    """Percentage of ``sent`` packets that did not arrive (None when nothing was sent)."""
    if sent <= 0:
        return None
    return max(0.0, min(100.0, 100.0 * (sent - received) / sent))


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-quantile (0..1) by linear interpolation, None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def mos(rtt_ms: float, jitter_ms: float, loss_percent: float) -> float:
    """E-model MOS from network figures, 1.0 to about 4.4.

    Simplified ITU-T G.107 E-model as used by Twilio (twilio-video.js ``lib/preflight/mos.ts``,
    ``calculateMOS(rtt, jitter, fractionLost)`` with loss in percent): effective latency
    = RTT + 2 x jitter + 10 ms; R = 94.768 - latency/40 below 160 ms, 94.768 - (latency - 120)/10
    below 1000 ms, else 0; R = max(R - 2.5 x loss, 6.52), or 0 when loss > R/2.5;
    MOS = 1 + 0.035 R + 7e-6 R (R - 60)(100 - R).
    """
    latency = rtt_ms + 2 * jitter_ms + 10
    if latency < 160:
        r = 94.768 - latency / 40
    elif latency < 1000:
        r = 94.768 - (latency - 120) / 10
    else:
        r = 0.0
    r = max(r - 2.5 * loss_percent, 6.52) if loss_percent <= r / 2.5 else 0.0
    return 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r)


# Pacing of the sender during a bulk phase (server for download, page for upload), after
# BBR's idea: estimate the bottleneck rate from the delivery rate of the last few windows, and
# pace around it. Start-up doubles the pace each window until the receiver's one-way delay
# shows a queue; from then on the pace is that estimate times a gain set by the queue (drain above 2x the target, hold near it, probe below it). A brake
# (the loaded direction's delay above BRAKE x target) stops sending at once, well before the
# bottleneck buffer overflows: a sender let loose overshoots, loses a burst of packets, and
# SCTP's retransmission timer then stalls it for seconds. The queue is seen in the one-way
# delay of the probes in the loaded direction (growth over the idle median), so the other
# direction's traffic (acknowledgements on a thin uplink) cannot be mistaken for it.
PACE_START_UP_KBPS = 200.0
PACE_START_DOWN_KBPS = 500.0
PACE_MIN_KBPS = 64.0
QUEUE_MS, QUEUE_SHARE, QUEUE_MAX_MS = 20.0, 0.1, 40.0
BRAKE = 3.0
BTL_WINDOWS = 4
# After the rate has settled, the sender sends at SATURATE_GAIN times it for SATURATE_MS so the
# queue fills: the round-trip time then measured is the latency under load (bufferbloat).
# Between the phases the page waits (at most DRAIN_MAX_MS) until the round trip is back near
# the idle one, so the upload does not start against the download's leftovers.
SATURATE_MS = 700
SATURATE_GAIN = 1.5
DRAIN_MAX_MS = 1500


WIRE_PACKET_BITS = 1268 * 8  # a full data packet as a shaper counts it (IP + Ethernet header)


def queue_target_ms(idle_rtt: float | None, spread_ms: float | None = None, kbps: float | None = None) -> float:
    """The standing queue the pacing aims at.

    QUEUE_MS, up to QUEUE_MAX_MS on long round trips; at least twice the idle delay spread
    (``spread_ms``: p90 - median of the idle RTT), so jitter is not read as a queue; and at least
    three full packets at ``kbps``, so that one packet's serialisation on a slow link is not
    either. Small against the bottleneck buffers seen in practice (tens to hundreds of ms).
    """
    target = min(QUEUE_MAX_MS, max(QUEUE_MS, QUEUE_SHARE * (idle_rtt or 0.0)))
    target = max(target, 2 * (spread_ms or 0.0))
    if kbps:
        target = max(target, 3 * WIRE_PACKET_BITS / kbps)
    return target


class Pacing:
    """The sending rate of one bulk phase (payload kbit/s). network.js has the same rules."""

    def __init__(self, start_kbps: float, cap_kbps: float, idle_rtt: float | None, spread_ms: float | None = None) -> None:
        self.pace = min(start_kbps, cap_kbps)
        self.cap = cap_kbps
        self.idle_rtt, self.spread = idle_rtt, spread_ms
        self.target = queue_target_ms(idle_rtt, spread_ms)
        self.delivered: list[float] = []
        self.startup = True

    def bottleneck(self) -> float:
        """The bottleneck rate: mean delivery of the last BTL_WINDOWS windows (the best one while
        starting up): a window stalled behind a retransmission and the burst after it average out."""
        recent = self.delivered[-BTL_WINDOWS:]
        if not recent:
            return self.pace
        return max(recent) if self.startup else _mean(recent)

    def on_window(self, delivered: float | None, queue_ms: float | None) -> float:
        """Feedback of one window: the payload rate that arrived and the queue the probes saw."""
        if delivered is None:
            return self.pace
        self.delivered.append(delivered)
        btl = self.bottleneck()
        self.target = queue_target_ms(self.idle_rtt, self.spread, btl)
        queue = queue_ms if queue_ms is not None else 0.0
        if self.startup:
            # Doubling past what a window-limited sender delivers costs nothing (the data waits
            # in its buffer), so start-up ends only when a queue shows (or on a brake).
            if queue <= self.target:
                self.pace = min(self.cap, max(self.pace, 2 * btl))
                return self.pace
            self._leave_startup()
            btl = self.bottleneck()
        gain = 0.9 if queue > 2 * self.target else 1.0 if queue > self.target / 2 else 1.25
        self.pace = max(PACE_MIN_KBPS, min(self.cap, btl * gain))
        return self.pace

    def _leave_startup(self) -> None:
        # A queue has formed, so the best window so far ran at the bottleneck rate: start the
        # estimate from it rather than from the ramp's slower windows.
        if self.startup:
            self.startup = False
            self.delivered = self.delivered[-BTL_WINDOWS:] and [max(self.delivered[-BTL_WINDOWS:])]

    def on_brake(self) -> float:
        """The loaded direction's delay shot up: leave startup and fall back to the bottleneck rate."""
        self._leave_startup()
        self.pace = max(PACE_MIN_KBPS, min(self.pace, 0.9 * self.bottleneck()))
        return self.pace

    def braking(self, queue_ms: float | None) -> bool:
        """True when the queue is past the brake point: send nothing until it falls."""
        return queue_ms is not None and queue_ms > BRAKE * self.target


def drained(recent_rtt: float | None, idle_rtt: float | None) -> bool:
    """True when the round trip is back near the idle one: the previous phase's queues are empty."""
    if recent_rtt is None or idle_rtt is None:
        return True
    return recent_rtt <= idle_rtt + queue_target_ms(idle_rtt)
