"""Pure statistics for the network check (no I/O): rates, settling, jitter, loss, MOS.

The page (static/js/network.js) applies the same rules to what it receives; keep them in step.
"""

from __future__ import annotations

import math
from statistics import median
from typing import Iterable, Sequence

# Receivers sample their byte counters every WINDOW_MS; a rate is the median of the windows
# after the warm-up, over the last SETTLE_WINDOWS (a plateau, not the slow-start ramp).
WINDOW_MS = 250
WARMUP_MS = 750
SETTLE_WINDOWS = 6
SETTLE_TOLERANCE = 0.10


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


def settled(windows: Sequence[float]) -> bool:
    """True once the last windows form a plateau: two halves' medians within SETTLE_TOLERANCE."""
    if len(windows) < SETTLE_WINDOWS:
        return False
    half = SETTLE_WINDOWS // 2
    first, last = median(windows[-SETTLE_WINDOWS:-half]), median(windows[-half:])
    return abs(last - first) <= SETTLE_TOLERANCE * max(last, first, 1e-9)


def rate_estimate(windows: Sequence[float]) -> float | None:
    """The robust rate: median of the last SETTLE_WINDOWS steady windows (None without any)."""
    if not windows:
        return None
    return median(windows[-SETTLE_WINDOWS:])


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
