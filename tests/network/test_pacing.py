"""The bulk phases' pacing and statistics (stats.py), and the page's copy of them (network-stats.js).

The pacer is exercised on a simulated bottleneck (a fluid model: a rate, a drop-tail buffer,
feedback that arrives a round trip late, queue readings with jitter), which is what it has to
get right independently of SCTP; the shaped-link lab (bench/netlab, docs/netlab.md) covers
the real transports. The parity tests run network-stats.js under Node and compare it with
the Python rules on the same inputs, so the two cannot drift apart silently.
"""

from __future__ import annotations

import json
import random
import shutil
import subprocess
from pathlib import Path

import pytest

from preflight.netrules import protocol as P
from preflight.netrules import stats

NETWORK_STATS_JS = Path(__file__).resolve().parents[2] / "static" / "js" / "network-stats.js"


def simulate(
    capacity: float,
    rtt: float,
    jitter: float = 0.0,
    *,
    start: float = stats.PACE_START_UP_KBPS,
    buffer_ms: float = 200.0,
    seed: int = 1,
) -> tuple[float | None, float, bool]:
    """Run one paced phase over a simulated bottleneck; return (estimate, seconds, settled).

    Each WINDOW_MS the sender sends at the pace; the bottleneck forwards ``capacity`` and queues
    the rest (dropping past ``buffer_ms``); the sender hears of a window's delivery and queue
    about a round trip later. The phase ends when the receiver's windows settle or at the cap.
    """
    rnd = random.Random(seed)
    step = stats.WINDOW_MS / 1000
    spread = 1.8 * jitter if jitter else 0.5  # p90 - median of an RTT with that one-way sigma
    pacing = stats.Pacing(start, P.MAX_RATE_KBPS, rtt, spread)
    # A round trip plus about a window (the receiver's window, the sender's tick): what the lab's
    # traces show (bench/netlab, PREFLIGHT_NETWORK_TRACE=1).
    lag = max(1, round(rtt / stats.WINDOW_MS + 1))
    queued, history, samples, total, t = 0.0, [], [(0.0, 0)], 0.0, 0.0
    cap_ms = stats.phase_cap_ms(rtt)
    while t < cap_ms:
        offered = pacing.pace * step
        sent = min(capacity * step, queued + offered)
        queued = min(queued + offered - sent, capacity * buffer_ms / 1000)
        history.append((sent / step, queued / capacity * 1000 + jitter * rnd.gauss(0.3, 0.3)))
        t += stats.WINDOW_MS
        total += sent * 125
        samples.append((t, total))
        if len(history) > lag:
            pacing.on_window(*history[-1 - lag])
        if stats.settled(stats.steady(stats.window_rates(samples), 0, rtt), rtt):
            break
    windows = stats.steady(stats.window_rates(samples), 0, rtt)
    return stats.rate_estimate(windows), t / 1000, stats.settled(windows, rtt)


LINKS = [  # (kbit/s, RTT ms, one-way jitter sigma ms): the lab's links and the targets' range
    (500, 40, 0),
    (1000, 30, 0),
    (4000, 77, 8),
    (8000, 30, 0),
    (12000, 77, 8),
    (20000, 10, 0),
    (2000, 600, 0),
    (10000, 600, 0),
    (3000, 250, 2),
]


@pytest.mark.parametrize("capacity,rtt,jitter", LINKS)
@pytest.mark.parametrize("start", [stats.PACE_START_UP_KBPS, stats.PACE_START_DOWN_KBPS])
def test_pacing_finds_the_bottleneck_within_the_phase(capacity, rtt, jitter, start):
    estimate, seconds, settled = simulate(capacity, rtt, jitter, start=start)
    assert estimate is not None
    assert abs(estimate / capacity - 1) <= 0.05, (estimate, seconds)
    assert seconds * 1000 <= stats.phase_cap_ms(rtt)


def test_normal_links_keep_the_short_phase_cap():
    assert (
        stats.phase_cap_ms(None)
        == stats.phase_cap_ms(10)
        == stats.phase_cap_ms(stats.LONG_RTT_MS)
        == stats.PHASE_CAP_MS
    )
    assert stats.phase_cap_ms(600) > stats.PHASE_CAP_MS
    assert stats.phase_cap_ms(10_000) == stats.PHASE_CAP_MAX_MS


def test_the_pace_never_exceeds_the_cap_nor_falls_below_the_floor():
    pacing = stats.Pacing(1000, 2000, 20)
    for _ in range(20):
        assert pacing.on_window(10_000, 0) <= 2000
    for _ in range(40):
        assert pacing.on_window(1, 500) >= stats.PACE_MIN_KBPS


def test_a_brake_leaves_startup_and_slows_down():
    pacing = stats.Pacing(1000, 30000, 20)
    pacing.on_window(1000, 0)
    assert pacing.startup and pacing.pace == 2000
    assert pacing.braking(stats.BRAKE * pacing.target + 1) and not pacing.braking(pacing.target)
    assert pacing.on_brake() < 2000 and not pacing.startup


def test_rate_estimate_trims_more_slow_windows_than_fast_ones():
    assert stats.rate_estimate([]) is None
    assert stats.rate_estimate([700]) == 700
    assert stats.rate_estimate([100, 1000, 1000, 1000, 1000, 5000]) == 1000
    # The end of a ramp and a pause for a queue to drain do not pull the figure down.
    assert stats.rate_estimate([6000, 10000, 10000, 10000, 10000, 7000, 10000, 10000]) == 10000


def test_settling_needs_a_plateau_of_two_round_trips_per_half():
    assert not stats.settled([100, 200, 400, 800, 1600, 3200])
    assert stats.settled([1000, 1010, 990, 1000, 1005, 995])
    assert not stats.settled([1000] * (stats.SETTLE_WINDOWS - 1))
    # Halves that balance around a dip (a brake) are not a plateau.
    assert not stats.settled([6430, 8090, 9185, 9412, 9736, 6676])
    # On a 600 ms round trip, six flat windows are not enough (feedback takes longer than that).
    assert stats.settle_windows(600) == 10 and stats.settle_windows(77) == stats.SETTLE_WINDOWS
    assert not stats.settled([2000] * 6, 600) and stats.settled([2000] * 10, 600)


def test_a_phase_ends_soon_after_the_bottleneck_shows_and_takes_its_rate_from_there():
    ramp_then_stall = [1000, 2000, 4000, 9500, 9700, 9600, 300, 100, 90]
    assert not stats.phase_settled(ramp_then_stall[:4], 30, None)
    assert not stats.phase_settled(ramp_then_stall[:5], 30, 3)
    assert stats.phase_settled(ramp_then_stall[:6], 30, 3)
    assert stats.phase_rate(ramp_then_stall[:6], 3) == pytest.approx(9650)  # the better half of 4000, 9500, 9700, 9600
    # The stall that follows an overshoot does not pull the figure down.
    assert stats.phase_rate([6400, 8100, 9500, 9700, 9700, 6400, 94], 4) == pytest.approx(9700)
    # Without a queue ever showing (a link faster than the pace cap), the plateau rule applies.
    assert stats.phase_rate([30000] * 6, None) == 30000 and stats.phase_settled([30000] * 6, 10, None)


def test_only_a_lossy_idle_phase_is_lengthened():
    assert not stats.idle_is_lossy(450, 449)  # every probe so far came back
    assert not stats.idle_is_lossy(446, 449)  # 0.9 %
    assert stats.idle_is_lossy(437, 449)  # 2.9 %
    assert stats.idle_is_lossy(0, 0)  # nothing back at all


# ----- network-stats.js parity ----------------------------------------------------------------


def _js_rules() -> str:
    """The page's statistics and pacing (network-stats.js, the whole file), its names made global."""
    return NETWORK_STATS_JS.read_text() + "\nObject.assign(globalThis, globalThis.PreflightNetStats);\n"


def run_js(program: str) -> object:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not installed")
    script = _js_rules() + "\nprocess.stdout.write(JSON.stringify((function () {" + program + "})()));\n"
    done = subprocess.run([node, "-e", script], capture_output=True, text=True, timeout=30, check=True)
    return json.loads(done.stdout)


def _feedback(seed: int) -> list[tuple[float, float | None]]:
    rnd = random.Random(seed)
    rate, out = rnd.uniform(300, 20000), []
    for _ in range(40):
        delivered = max(1.0, rate * rnd.uniform(0.5, 1.3))
        out.append((round(delivered, 3), None if rnd.random() < 0.1 else round(rnd.uniform(-5, 150), 3)))
    return out


@pytest.mark.parametrize("seed", range(6))
def test_network_js_paces_exactly_like_stats(seed):
    rnd = random.Random(100 + seed)
    start, idle_rtt, spread = rnd.choice([stats.PACE_START_UP_KBPS, 500.0]), rnd.uniform(5, 700), rnd.uniform(0, 20)
    feedback = _feedback(seed)
    pacing, expected = stats.Pacing(start, 30000, idle_rtt, spread), []
    for delivered, queue in feedback:
        if pacing.braking(queue):
            expected.append(("brake", pacing.on_brake()))
        else:
            expected.append(("window", pacing.on_window(delivered, queue)))
    got = run_js(f"""
        var p = new Pacing({start}, 30000, {idle_rtt}, {spread}), out = [];
        {json.dumps(feedback)}.forEach(function (f) {{
          if (p.braking(f[1])) out.push(["brake", p.onBrake()]);
          else out.push(["window", p.onWindow(f[0], f[1])]);
        }});
        return out;""")
    assert [kind for kind, _ in got] == [kind for kind, _ in expected]
    assert [pace for _, pace in got] == pytest.approx([pace for _, pace in expected], rel=1e-9)


def test_network_js_shares_the_constants_and_window_statistics():
    rnd = random.Random(7)
    samples, total, t = [], 0, 0.0
    for _ in range(30):
        t += rnd.uniform(200, 300)
        total += rnd.randint(0, 400_000)
        samples.append([round(t, 3), total])
    windows = stats.steady(stats.window_rates(samples), samples[0][0], 120)
    got = run_js(f"""
        var w = steady({json.dumps(samples)}, {samples[0][0]}, 120);
        return {{w: w, settled: settled(w, 120), flat: settled([5, 5, 5, 5, 5, 5, 5, 5, 5, 5], 600),
                 phase: [phaseSettled(w, 120, 2), phaseSettled(w, 120, w.length - 1), phaseRate(w, 2),
                         phaseRate(w, null)],
                 estimate: rateEstimate(w), target: queueTarget(300, 7, 900),
                 cap: [phaseCapMs(null), phaseCapMs(600), phaseCapMs(10000)],
                 constants: [WINDOW_MS, WARMUP_MS, SETTLE_WINDOWS, SETTLE_TOLERANCE, SETTLE_SPREAD, ESTIMATE_WINDOWS,
                             TRIM_LOW, TRIM_HIGH, PACE_START_UP_KBPS, PACE_MIN_KBPS, QUEUE_MS, QUEUE_SHARE,
                             QUEUE_MAX_MS, BRAKE, BTL_WINDOWS, SATURATE_MS, SATURATE_GAIN, DRAIN_MAX_MS,
                             CHUNK_PAYLOAD, PACKET_OVERHEAD, SATURATED_WINDOWS, LOSSY],
                 channels: CHANNELS}};""")
    assert got["w"] == pytest.approx(windows)
    assert got["settled"] == stats.settled(windows, 120)
    assert got["flat"] is True
    assert got["phase"] == pytest.approx(
        [
            stats.phase_settled(windows, 120, 2),
            stats.phase_settled(windows, 120, len(windows) - 1),
            stats.phase_rate(windows, 2),
            stats.phase_rate(windows, None),
        ]
    )
    assert got["estimate"] == pytest.approx(stats.rate_estimate(windows))
    assert got["target"] == pytest.approx(stats.queue_target_ms(300, 7, 900))
    assert got["cap"] == [stats.phase_cap_ms(None), stats.phase_cap_ms(600), stats.phase_cap_ms(10000)]
    assert got["channels"] == {
        "NEGOTIATED": P.CHANNELS_NEGOTIATED,
        "CTL": P.CTL_CHANNEL_ID,
        "PROBE": P.PROBE_CHANNEL_ID,
        "BULK": P.BULK_CHANNEL_ID,
    }
    assert got["constants"] == [
        stats.WINDOW_MS,
        stats.WARMUP_MS,
        stats.SETTLE_WINDOWS,
        stats.SETTLE_TOLERANCE,
        stats.SETTLE_SPREAD,
        stats.ESTIMATE_WINDOWS,
        stats.TRIM_LOW,
        stats.TRIM_HIGH,
        stats.PACE_START_UP_KBPS,
        stats.PACE_MIN_KBPS,
        stats.QUEUE_MS,
        stats.QUEUE_SHARE,
        stats.QUEUE_MAX_MS,
        stats.BRAKE,
        stats.BTL_WINDOWS,
        stats.SATURATE_MS,
        stats.SATURATE_GAIN,
        stats.DRAIN_MAX_MS,
        P.CHUNK_PAYLOAD_BYTES,
        P.PACKET_OVERHEAD_BYTES,
        stats.SATURATED_WINDOWS,
        stats.LOSSY_SHARE,
    ]


@pytest.mark.parametrize("seed", range(4))
def test_network_js_reads_busy_periods_like_stats(seed):
    """The page times the download's busy periods with the rules the server uses for the upload."""
    rnd = random.Random(300 + seed)
    queue, arrivals, t, total = [], [], 0.0, 0
    for i in range(300):
        t += rnd.uniform(5, 15)
        total += rnd.randint(0, 3000)
        # Spells of a standing queue among idle ones, with now and then a gap in the probes.
        standing = (i // 40) % 2 == 1
        queue.append([round(t, 3), round(rnd.uniform(15, 90) if standing else rnd.uniform(-3, 8), 3)])
        arrivals.append([round(t, 3), total])
        if rnd.random() < 0.03:
            t += rnd.uniform(20, 120)
    idle = [round(rnd.uniform(30, 45), 3) for _ in range(rnd.choice([5, 30]))]
    windows = [round(rnd.uniform(800, 1300), 1) for _ in range(8)]
    threshold = stats.busy_threshold_ms(idle, 33.0, 60.0, 1000.0)
    runs = stats.busy_runs(queue, threshold)
    busy = stats.busy_rate(arrivals, runs)
    got = run_js(f"""
        var idle = {json.dumps(idle)}, queue = {json.dumps(queue)}, w = {json.dumps(windows)};
        var threshold = busyThreshold(idle, 33, 60, 1000), runs = busyRuns(queue, threshold);
        var busy = busyRate({json.dumps(arrivals)}, runs);
        return {{threshold: threshold, runs: runs, busy: busy,
                 rates: [sustainedRate(w, null, busy[0]), sustainedRate(w, 3, 700), sustainedRate(w, null, null),
                         sustainedRate([], null, null), sustainedRate(w, null, 990, BURST_RATIO_DOWN)],
                 empty: busyRate([], [[0, 500]]),
                 constants: [BUSY_MIN_SPAN_MS, BURST_RATIO, BURST_RATIO_DOWN]}};""")
    assert runs, "the series has busy spells"
    assert got["threshold"] == pytest.approx(threshold)
    assert got["runs"] == [list(run) for run in runs]
    assert got["busy"] == pytest.approx(list(busy))
    assert got["rates"] == pytest.approx(
        [
            stats.sustained_rate(windows, None, busy[0]),
            stats.sustained_rate(windows, 3, 700),
            stats.phase_rate(windows, None),
            None,
            stats.sustained_rate(windows, None, 990, stats.BURST_RATIO_DOWN),
        ]
    )
    assert got["empty"] == [None, 0]
    assert got["constants"] == [stats.BUSY_MIN_SPAN_MS, stats.BURST_RATIO, stats.BURST_RATIO_DOWN]


def test_the_page_uses_the_statistics_the_parity_tests_check():
    """network.js keeps no rules of its own: every statistic comes from network-stats.js."""
    step = (NETWORK_STATS_JS.parent / "network.js").read_text()
    assert "window.PreflightNetStats" in step
    for own in ("function Pacing(", "function steady(", "function phaseCapMs(", "function queueTarget(", "WINDOW_MS ="):
        assert own not in step, own


def test_the_uplink_queue_leaves_out_the_downlinks():
    """Between the phases, and while the upload starts, the download's queue may still drain: the
    echoes' round trip grows with it, but the uplink is free (reference client, as network.js)."""
    from preflight.network.reference_run import ClientRun, Plan
    from preflight.network.timing import now_ms

    run = ClientRun(Plan())
    run.down_transits = [300.0, 300.2, 299.8]  # idle: server -> client one way (clock offset included)
    t = now_ms()
    # 600 ms idle round trip; now 800 ms, of which the downlink adds 190 ms: the uplink holds 10.
    run.rtts[P.PHASE_DOWN] = [(t - 10, 800.0), (t - 5, 800.0)]
    run.recent_down = [(t - 10, 490.0), (t - 5, 490.0)]
    assert run.up_queue(P.PHASE_DOWN, 200, 600.0) == pytest.approx(10.0)
    assert stats.drained(run.up_queue(P.PHASE_DOWN, 200, 600.0), 600.0)
    # A thin uplink full of the download's acknowledgements: 300 ms on the uplink side.
    run.rtts[P.PHASE_DOWN] = [(t - 10, 900.0)]
    run.recent_down = [(t - 10, 300.0)]
    assert run.up_queue(P.PHASE_DOWN, 200, 600.0) == pytest.approx(300.0)
    assert not stats.drained(run.up_queue(P.PHASE_DOWN, 200, 600.0), 600.0)
    # No echo yet: not drained (the wait is bounded by DRAIN_MAX_MS).
    assert not stats.drained(run.up_queue(P.PHASE_UP, 200, 600.0), 600.0)


def test_network_js_judges_a_crowded_fast_half_like_stats():
    """The page ends a lossy idle phase's fast half on the rule the reference client uses, and tags it
    with the protocol's flag."""
    cases = [(None, 20.0), (20.0, None), (59.0, 20.0), (61.0, 20.0), (420.0, 60.0), (68.0, 60.0)]
    got = run_js(f"""
        return {{crowded: {json.dumps(cases)}.map(function (c) {{ return fastHalfCrowded(c[0], c[1]); }}),
                 constants: [FAST, SETTLING, FAST_CROWDED_MS, FAST_CROWDED_ECHOES, FAST_CROWDED_HOLD_MS]}};""")
    assert got["crowded"] == [stats.fast_half_crowded(recent, base) for recent, base in cases]
    assert got["crowded"] == [False, False, False, True, True, False]
    assert got["constants"] == [
        P.FAST,
        P.SETTLING,
        stats.FAST_CROWDED_MS,
        stats.FAST_CROWDED_ECHOES,
        stats.FAST_CROWDED_HOLD_MS,
    ]


def test_network_js_starts_and_drains_a_fast_half_like_stats():
    """The page starts a lossy idle phase's fast half early, and resumes the first half's probing
    after a crowded one drains, on the rules the reference client uses."""
    already = [(0, 0, 450), (441, 444, 450), (440, 444, 450), (70, 75, 450), (200, 230, 225), (0, 9, 450)]
    drained = [None, 0.0, 99.9, 100.0, 400.0]
    got = run_js(f"""
        return {{already: {json.dumps(already)}.map(function (c) {{ return idleLossyAlready(c[0], c[1], c[2]); }}),
                 drained: {json.dumps(drained)}.map(function (c) {{ return fastHalfDrained(c); }}),
                 constants: [FAST_EARLIEST_SHARE, FAST_DRAINED_SILENCE_MS, FAST_DRAIN_MAX_MS, LOSSY,
                             FAST_GIVEN_BACK_SHARE]}};""")
    assert got["already"] == [stats.idle_lossy_already(*case) for case in already]
    assert got["already"] == [False, False, True, True, True, False]
    assert got["drained"] == [stats.fast_half_drained(case) for case in drained]
    assert got["drained"] == [False, False, False, True, True]
    assert got["constants"] == [
        stats.FAST_EARLIEST_SHARE,
        stats.FAST_DRAINED_SILENCE_MS,
        stats.FAST_DRAIN_MAX_MS,
        stats.LOSSY_SHARE,
        stats.FAST_GIVEN_BACK_SHARE,
    ]
