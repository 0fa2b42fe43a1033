"""Pure statistics for the network check (no I/O): rates, settling, jitter, loss, MOS.

The page applies the same rules to what it receives (static/js/network-stats.js, compared with
these by tests/network/test_pacing.py under Node); keep them in step.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from statistics import median
from typing import Iterable, Sequence

# Receivers sample their byte counters every WINDOW_MS. A rate is a trimmed mean of the last
# ESTIMATE_WINDOWS windows after the warm-up, trimmed more at the bottom (TRIM_LOW of them) than
# at the top (TRIM_HIGH), as Ookla's classic test did: what pulls a window below the link's rate
# (the end of the ramp, a pause to let a queue drain, a retransmission) is common, while a
# bottleneck cannot deliver faster than itself, so only a stray window is dropped at the top.
# A phase has settled on a plateau: over the last settle_windows(rtt) windows (at least
# SETTLE_WINDOWS, and two round trips per half on long links, where the feedback is slow), the
# halves' means agree within SETTLE_TOLERANCE and no window is more than SETTLE_SPREAD off their
# median (a dip or a ramp is not a plateau, even when the halves happen to balance).
WINDOW_MS = 250
WARMUP_MS = 1000
SETTLE_WINDOWS = 6
SETTLE_TOLERANCE = 0.10
SETTLE_SPREAD = 0.15
ESTIMATE_WINDOWS = 8
TRIM_LOW, TRIM_HIGH = 0.3, 0.1


def window_rates(samples: Sequence[tuple[float, int]]) -> list[tuple[float, float]]:
    """(end time ms, kbit/s) for each interval between consecutive (time ms, cumulative bytes) samples."""
    rates = []
    for (t0, b0), (t1, b1) in zip(samples, samples[1:]):
        if t1 > t0:
            rates.append((t1, (b1 - b0) * 8 / (t1 - t0)))  # bytes per ms * 8 = kbit/s
    return rates


# A bulk phase ends when its rate has settled, or at its cap. Start-up doubles the pace once per
# round trip of feedback (the sender hears of a window a round trip later), so long round trips
# need more time to reach the bottleneck: past LONG_RTT_MS the cap grows by CAP_PER_RTT_MS per
# ms of RTT (600 ms satellite: 9 s), up to PHASE_CAP_MAX_MS. Normal links keep 5 s.
PHASE_CAP_MS = 5000
LONG_RTT_MS = 100
CAP_PER_RTT_MS = 8
PHASE_CAP_MAX_MS = 12000


def phase_cap_ms(rtt_ms: float | None) -> float:
    """The longest a bulk phase lasts on a link with this idle round trip."""
    extra = CAP_PER_RTT_MS * max(0.0, (rtt_ms or 0.0) - LONG_RTT_MS)
    return min(PHASE_CAP_MAX_MS, PHASE_CAP_MS + extra)


def warmup_ms(rtt_ms: float | None) -> float:
    """How long the start of a bulk phase is discarded: at least WARMUP_MS, and two round trips."""
    return max(WARMUP_MS, 2 * (rtt_ms or 0))


def steady(rates: Sequence[tuple[float, float]], start_ms: float, rtt_ms: float | None) -> list[float]:
    """Window rates after the warm-up of a phase that started at ``start_ms``."""
    cut = start_ms + warmup_ms(rtt_ms)
    return [kbps for t, kbps in rates if t - WINDOW_MS / 2 >= cut]


def _mean(values: Sequence[float]) -> float:
    return sum(values) / len(values)


def settle_windows(rtt_ms: float | None = None) -> int:
    """How many windows a plateau must last: SETTLE_WINDOWS, or two round trips per half."""
    return max(SETTLE_WINDOWS, 2 * math.ceil(2 * (rtt_ms or 0.0) / WINDOW_MS))


def settled(windows: Sequence[float], rtt_ms: float | None = None) -> bool:
    """True once the last settle_windows(rtt_ms) windows form a plateau (see above)."""
    n = settle_windows(rtt_ms)
    if len(windows) < n:
        return False
    recent, half = windows[-n:], n // 2
    first, last = _mean(recent[:half]), _mean(recent[half:])
    if abs(last - first) > SETTLE_TOLERANCE * max(last, first, 1e-9):
        return False
    middle = median(recent)
    return all(abs(w - middle) <= SETTLE_SPREAD * middle for w in recent)


def _trim_count(n: int, share: float) -> int:
    return math.floor(n * share + 0.5)  # round half up, as network-stats.js does


def rate_estimate(windows: Sequence[float]) -> float | None:
    """The robust rate: the last ESTIMATE_WINDOWS steady windows, TRIM_LOW/TRIM_HIGH trimmed (None without any)."""
    if not windows:
        return None
    recent = sorted(windows[-ESTIMATE_WINDOWS:])
    low, high = _trim_count(len(recent), TRIM_LOW), _trim_count(len(recent), TRIM_HIGH)
    return _mean(recent[low : len(recent) - high])


# A phase also ends soon after the bottleneck shows itself: once the loaded direction's queue
# passes the pacing target, the bottleneck is saturated, and the windows from just before then
# ran at its rate. SATURATED_WINDOWS windows from that one on end the phase, and its rate is
# taken from them. Stopping there matters: pushed on past a full bottleneck buffer (the pace
# overshoots by up to 2x for a round trip of feedback), aiortc's SCTP can stall for seconds
# (retransmission timeouts at 600 ms round trips), and later windows describe the stall, not the
# link (docs/netlab.md).
SATURATED_WINDOWS = 3


def saturation(saturated_at: int | None, queue_ms: float | None, target_ms: float, windows: int) -> int | None:
    """The index of the first window with a standing queue (the queue past the pacing target),
    given ``windows`` steady windows so far; once found it is kept."""
    if saturated_at is None and queue_ms is not None and queue_ms > target_ms:
        return max(0, windows - 1)
    return saturated_at


def phase_settled(windows: Sequence[float], rtt_ms: float | None, saturated_at: int | None) -> bool:
    """True when the phase can stop: a plateau, or SATURATED_WINDOWS windows since saturation."""
    if saturated_at is not None and len(windows) - saturated_at >= SATURATED_WINDOWS:
        return True
    return settled(windows, rtt_ms)


def phase_rate(windows: Sequence[float], saturated_at: int | None) -> float | None:
    """The phase's rate: when the bottleneck showed, the mean of the better half of the windows
    from the one before saturation on (a saturated bottleneck delivers its rate; a window below
    it is the transport stalling); otherwise rate_estimate of the last windows."""
    if saturated_at is not None and len(windows) > saturated_at:
        around = sorted(windows[max(0, saturated_at - 1) :])
        return _mean(around[len(around) // 2 :])
    return rate_estimate(windows)


# The upload's rate is also read off the uplink's busy periods (server side). While every probe
# that crossed the uplink found a queue (its one-way delay over the idle median above the
# threshold, as the median of it and its two neighbours), and each arrived within that queue's
# length of the one before, the bottleneck never idled between them: what arrived between
# the first and the last of them crossed it at its full rate. The phase's windows, by contrast,
# also cover the ramp and the brake that follows saturation (the sender pauses until the queue
# drains, and the link idles), which read 5-10 % low on the lab's 4g uplink (docs/netlab.md).
# Runs shorter than BUSY_MIN_SPAN_MS are left out: over a short span, one packet more or less
# and the jitter of the two probes' arrivals weigh too much.
BUSY_MIN_SPAN_MS = 200.0


def busy_runs(queue: Sequence[tuple[float, float]], threshold_ms: float) -> list[tuple[float, float]]:
    """(first, last) arrival times (ms) of the runs of probes that each found a queue above
    ``threshold_ms``; ``queue`` is (arrival time ms, one-way delay over the idle median ms) in
    arrival order."""
    values = [q for _, q in queue]
    runs: list[tuple[float, float]] = []
    start = last = None
    for i, (t, _) in enumerate(queue):
        seen = median(values[max(0, i - 1) : i + 2])
        busy = seen > threshold_ms
        # The link was busy for ``seen`` ms before this probe left it: the run goes on when
        # that reaches back to the previous probe.
        if busy and start is not None and t - last <= seen:
            last = t
            continue
        if start is not None:
            runs.append((start, last))
        start, last = (t, t) if busy else (None, None)
    if start is not None:
        runs.append((start, last))
    return runs


def busy_rate(
    arrivals: Sequence[tuple[float, int]], runs: Iterable[tuple[float, float]], min_span_ms: float = BUSY_MIN_SPAN_MS
) -> tuple[float | None, float]:
    """(kbit/s, busy ms): the bytes that arrived during the busy runs of at least ``min_span_ms``
    over their total length; ``arrivals`` are (time ms, cumulative bytes) in time order, one per
    packet or samples of a counter (read in between as a straight line: while a queue stands the
    link delivers at a constant rate; a run is cut to the span the samples cover)."""
    if not arrivals:
        return None, 0.0
    times = [t for t, _ in arrivals]

    def received_by(t: float) -> float:
        i = bisect_right(times, t)
        if i == 0 or i == len(arrivals):
            return arrivals[max(0, i - 1)][1]
        (t0, b0), (t1, b1) = arrivals[i - 1], arrivals[i]
        return b0 + (b1 - b0) * (t - t0) / (t1 - t0)

    total_bytes, total_ms = 0.0, 0.0
    for first, last in runs:
        first, last = max(first, times[0]), min(last, times[-1])
        if last - first >= min_span_ms:
            total_bytes += received_by(last) - received_by(first)
            total_ms += last - first
    return (total_bytes * 8 / total_ms, total_ms) if total_ms else (None, 0.0)


# A token-bucket shaper (home routers, ISP policers, cable "PowerBoost") lets a burst through at
# line rate before it holds the sold rate: the windows that carried the burst read high, while the
# busy periods, timed only while a queue stood (the bucket empty), read the sustained rate. On the
# lab's plain links the server's windows exceeded its busy-period rate of the upload by at most
# 9.8 % since the FORWARD TSN correction (sctp.py), at 300 kbit/s in Firefox, and by 6.7 %
# elsewhere; behind 32-256 KB buckets they did by 10-32 % (docs/netlab.md, "Token-bucket bursts").
# The busy-period rate reads at most a few percent under the link, so a margin of 10 % keeps a
# burst under it within the 10 % target, and a plain link over it still reads right. The page
# times the download's busy
# periods by the bytes its connections received at IP level. On the lab's plain links the windows
# exceeded that rate by at most 1.5 %, and by 5.1 % through a TURN relay over TCP in Firefox (whose
# packet headers the browser's figures leave out); behind buckets of 32-256 KB by 5-45 %.
# BURST_RATIO_DOWN sits between: a burst under it reads at most 8 % over the sustained rate.
BURST_RATIO = 1.10
BURST_RATIO_DOWN = 1.08


def sustained_rate(
    windows: Sequence[float], saturated_at: int | None, busy_kbps: float | None, burst_ratio: float = BURST_RATIO
) -> float | None:
    """A bulk phase's rate: the larger of phase_rate and the busy-period rate, since each can only
    fall short of a saturated link for reasons that say nothing about it (a brake in the windows,
    a queue in the sender rather than on the link in the probes), as BBR's max filter reasons;
    but the busy-period rate alone when the windows exceed it by more than ``burst_ratio``, the
    mark of a burst that a token bucket let through (the rate a call can keep is the sustained
    one): BURST_RATIO for the upload, BURST_RATIO_DOWN for the download."""
    window = phase_rate(windows, saturated_at)
    if window is not None and busy_kbps is not None and window > burst_ratio * busy_kbps:
        return busy_kbps
    rates = [r for r in (window, busy_kbps) if r is not None]
    return max(rates) if rates else None


def busy_threshold_ms(
    idle_transits: Sequence[float], base: float | None, rtt_ms: float | None, window_kbps: float | None
) -> float:
    """The queue that marks a busy link for busy_runs: the pacing target (queue_target_ms), with
    the spread of the idle one-way transits (p90 - median, given ten of them or more) and the
    windows' rate (on a slow link one packet's serialisation is not a queue)."""
    spread = None
    if len(idle_transits) >= 10 and base is not None:
        spread = percentile(idle_transits, 0.9) - base
    return queue_target_ms(rtt_ms, spread, window_kbps)


def mean_abs_delta(transits: Iterable[float]) -> float | None:
    """Interarrival jitter as RFC 3550 defines its expectation: mean |D| of consecutive one-way transit times.

    ``transits`` are (receive time - send time) in arrival order; the clock offset cancels out.
    """
    values = list(transits)
    if len(values) < 2:
        return None
    deltas = [abs(b - a) for a, b in zip(values, values[1:])]
    return sum(deltas) / len(deltas)


# The idle phase lasts twice as long when more than LOSSY_SHARE of its probes made no round trip,
# and the page sends its second half at four times the probe rate (network.js, lossyProbeHz): each
# direction's loss is then counted on ~2,150 idle probes instead of ~450, and on the unloaded
# direction's probes in the bulk phases (SPARE_SHARE; the downlink's in the upload). Normal links
# do not pay for it.
LOSSY_SHARE = 0.01


def idle_is_lossy(echoes: int, highest_seq_echoed: int) -> bool:
    """True when the idle probes so far (sequence 0 up to the highest one echoed) lost more than LOSSY_SHARE."""
    return echoes < (1 - LOSSY_SHARE) * (highest_seq_echoed + 1)


# The uplink's loss is counted on the idle probes, and on the download phase's probes as well
# where the uplink plainly had room during the download: what it carried then (the download's
# acknowledgements, the probes, control messages) came to at most SPARE_SHARE of the rate the
# upload measured, and the probes found no standing queue (median one-way delay at most
# SPARE_QUEUE_MS over the idle one). A thin uplink that the acknowledgements crowd (300 kbit/s
# beside a 4 Mbit/s download) drops probes for want of room, which says nothing of the line. At 5 %
# loss in the lab this adds ~230 probes to the ~2,150 of a lossy idle phase.
#
# Between SPARE_SHARE and SPARE_FULL_SHARE of the rate, with no standing queue, they count too
# where their loss agrees with the idle probes' (loss_agrees): a busy uplink drops for want of room
# once its queue stands, or, with a small buffer, more than sampling explains. On thin-lossy
# (300 kbit/s up, 2 % loss) Chromium's acknowledgements of the 2 Mbit/s download used ~80 % of the
# uplink with no queue: ~180 probes more for a loss counted on ~450 (docs/netlab.md).
SPARE_SHARE = 0.5
SPARE_FULL_SHARE = 0.9
SPARE_QUEUE_MS = 20.0


def spare_direction(
    use_kbps: float | None,
    rate_kbps: float | None,
    queue_ms: float | None,
    idle: tuple[int, int] | None = None,
    loaded: tuple[int, int] | None = None,
) -> bool:
    """True when a direction that carried ``use_kbps`` with a median queue of ``queue_ms`` had room to spare,
    measured at ``rate_kbps``: its probes then count toward its loss. ``idle`` and ``loaded`` are
    (sent, received) of the idle probes and of the probes in question, for a busier direction."""
    if use_kbps is None or rate_kbps is None or queue_ms is None or rate_kbps <= 0 or queue_ms > SPARE_QUEUE_MS:
        return False
    if use_kbps <= SPARE_SHARE * rate_kbps:
        return True
    if use_kbps > SPARE_FULL_SHARE * rate_kbps or idle is None or loaded is None:
        return False
    return loss_agrees(idle, loaded)


# Probes counted beside the idle ones (a fast half, a bulk phase's) must lose no more than the
# idle ones, within LOSS_AGREE_Z standard errors: a small buffer overflows before a queue shows.
LOSS_AGREE_Z = 3.0


def loss_agrees(base: tuple[int, int], extra: tuple[int, int]) -> bool:
    """Whether the loss of ``extra`` is no more than LOSS_AGREE_Z standard errors over that of
    ``base``, each (sent, received); False when either sent nothing."""
    (base_sent, base_recv), (extra_sent, extra_recv) = base, extra
    if extra_sent <= 0 or base_sent <= 0:
        return False
    base_recv, extra_recv = min(base_recv, base_sent), min(extra_recv, extra_sent)
    base_loss, extra_loss = 1 - base_recv / base_sent, 1 - extra_recv / extra_sent
    pooled = 1 - (base_recv + extra_recv) / (base_sent + extra_sent)
    error = math.sqrt(max(pooled * (1 - pooled), 1e-9) * (1 / base_sent + 1 / extra_sent))
    return extra_loss - base_loss <= LOSS_AGREE_Z * error


# A lossy idle phase's fast half probes at four times the rate: ~480 kbit/s of probes up and ~560
# of echoes down. Where that crowds a thin link (a 300 kbit/s uplink), its own queue drops probes
# that say nothing of the line: that direction's fast half is then left out, and the loss is
# counted on the first half alone. Crowded means a standing queue (median one-way delay more than
# SPARE_QUEUE_MS over the first half's), or a loss so far above the first half's that sampling
# cannot explain it (loss_agrees: a small buffer overflows before a queue shows).


def fast_half_counts(base: tuple[int, int], fast: tuple[int, int], queue_ms: float | None) -> bool:
    """Whether a lossy idle phase's fast half counts toward a direction's loss: ``base`` and
    ``fast`` are (sent, received) of the first and second half, ``queue_ms`` the second half's median
    one-way delay over the first's (None when unknown)."""
    if queue_ms is None or queue_ms > SPARE_QUEUE_MS:
        return False
    return loss_agrees(base, fast)


# The page watches its fast half as it goes: once the median round trip of its last
# FAST_CROWDED_ECHOES echoes (~35 ms of them at its rate) stands more than FAST_CROWDED_MS over the
# first half's, the fast half is crowding the link and would not count (fast_half_counts), so it
# stops there instead of probing on for nothing; the sooner it stops, the less queue there is to
# drain. Twice SPARE_QUEUE_MS: the round trip holds both directions' queues (a thin uplink's was
# 300-450 ms in the lab; 4g's jitter adds ~5 ms at the fast rate, and a median of 20 holds it).
FAST_CROWDED_MS = 2 * SPARE_QUEUE_MS
FAST_CROWDED_ECHOES = 20
# ... and only once that has held for FAST_CROWDED_HOLD_MS: a stall of the browser or the server
# delays a burst of echoes at once (one lossy-5 fast half stopped on it in the lab), and 20 fresh
# echoes, ~35 ms of them, clear it again; a crowded link's queue only grows.
FAST_CROWDED_HOLD_MS = 100.0


def fast_half_crowded(recent_rtt_ms: float | None, base_rtt_ms: float | None) -> bool:
    """Whether the fast half's recent median round trip (of its last FAST_CROWDED_ECHOES echoes)
    stands FAST_CROWDED_MS over the first half's."""
    if recent_rtt_ms is None or base_rtt_ms is None:
        return False
    return recent_rtt_ms - base_rtt_ms > FAST_CROWDED_MS


# The fast half starts as soon as the first half's losses alone make the idle phase lossy (more
# than LOSSY_SHARE of all the probes the first half will send are lost already: idle_is_lossy at
# its end cannot say otherwise), but no sooner than FAST_EARLIEST_SHARE into the first half, which
# keeps the round trip and the jitter read on enough unhurried probes. The step is as long as
# before; at 5 % loss the fast half runs 4.5 s instead of 3 and counts ~800 more probes each way.
FAST_EARLIEST_SHARE = 0.5


def idle_lossy_already(echoes: int, highest_seq_echoed: int, planned_probes: float) -> bool:
    """True when the idle probes lost so far (below the highest one echoed) exceed LOSSY_SHARE of the
    ``planned_probes`` the whole first half sends: the idle phase will be lengthened whatever follows."""
    return echoes > 0 and highest_seq_echoed + 1 - echoes > LOSSY_SHARE * planned_probes


# A crowded fast half (fast_half_crowded) stops probing until the queue it built has drained: the
# echoes of the probes still queued keep coming at the link's rate, and once none has come for
# FAST_DRAINED_SILENCE_MS the queue is empty. (Probing on at the first half's rate, a thin uplink
# took seconds to drain: the echoes' acknowledgements share it.) The first half's probing then
# resumes, gently until its round trip is back to the first half's (the echoes' silence shows the
# downlink drained, not the uplink), and runs to the idle phase's end, which gets back the time
# since the fast half was found crowded (network.js, watchResume): a thin link's loss is counted
# mostly on the first half's probes. A queue that has not drained within FAST_DRAIN_MAX_MS ends
# the idle phase.
FAST_DRAINED_SILENCE_MS = 100.0
FAST_DRAIN_MAX_MS = 1500.0
# What the idle phase gets back after a crowded fast half: the time since it was found crowded, up
# to this share of the planned length (1 s of 3). Half (1.5 s) took Firefox's thin-lossy step to
# 13.1-13.7 s, too close to 15 s once a lossy link's DTLS set-up costs a second more.
FAST_GIVEN_BACK_SHARE = 1 / 3


def fast_half_drained(silent_ms: float | None) -> bool:
    """Whether a crowded fast half's queue has drained: no echo for FAST_DRAINED_SILENCE_MS since it stopped."""
    return silent_ms is not None and silent_ms >= FAST_DRAINED_SILENCE_MS


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


# Pacing of the sender during a bulk phase (server for download, page for upload), after
# BBR's idea: estimate the bottleneck rate from the delivery rate of the last few windows, and
# pace around it. Start-up doubles the pace each window until the receiver's one-way delay
# shows a queue; from then on the pace is that estimate times a gain set by the queue (drain
# above 2x the target, hold near it, probe below it). A brake (the loaded direction's delay
# above BRAKE x target) stops sending at once, well before the
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
# Between the phases the page waits (at most DRAIN_MAX_MS) until the queues have drained, so
# the upload does not start against the download's leftovers: after the saturation both
# directions (the acknowledgements of a full downlink queue crowd a thin uplink for hundreds of
# ms); without it the uplink alone, and the upload's brake leaves the downlink's delay out.
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
    """The sending rate of one bulk phase (payload kbit/s). network-stats.js has the same rules."""

    def __init__(
        self, start_kbps: float, cap_kbps: float, idle_rtt: float | None, spread_ms: float | None = None
    ) -> None:
        self.pace = min(start_kbps, cap_kbps)
        self.cap = cap_kbps
        self.idle_rtt, self.spread = idle_rtt, spread_ms
        self.target = queue_target_ms(idle_rtt, spread_ms)
        self.delivered: list[float] = []
        self.startup = True

    def bottleneck(self) -> float:
        """The bottleneck rate: the best delivery of the last BTL_WINDOWS windows (BBR's max filter).

        A bottleneck cannot deliver faster than itself, while a window can fall short of it for
        reasons that say nothing about the link (a retransmission timeout of the transport, a
        pause to drain a queue): following those down would collapse the pace for good."""
        recent = self.delivered[-BTL_WINDOWS:]
        return max(recent) if recent else self.pace

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


def drained(queue_ms: float | None, idle_rtt: float | None) -> bool:
    """True when a queue between the phases (the round trip's growth over the idle one, or the
    uplink's part of it) is back near zero: the upload may start."""
    if queue_ms is None:
        return False
    return queue_ms <= queue_target_ms(idle_rtt)
