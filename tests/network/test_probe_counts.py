"""The server's count of the page's probes: totals, sequence span, and the longest gap."""

from __future__ import annotations

from preflight.netrules import protocol as P
from preflight.network.session import ProbeCounts


def _arrive(counts: ProbeCounts, phase: int, arrivals: list[tuple[int, float]]) -> None:
    for seq, at in arrivals:
        counts.note(phase, seq, at)


def test_random_loss_skips_a_few_probes_at_a_time():
    counts = ProbeCounts()
    # Every 5 ms, with seq 3 and seqs 7-8 lost.
    _arrive(counts, 0, [(s, 5.0 * s) for s in range(20) if s not in (3, 7, 8)])
    assert counts.received[0] == 17
    assert counts.seq_range[0] == [0, 19]
    assert counts.longest_gap[0] == [2, 15.0]


def test_a_stall_shows_as_one_long_gap():
    counts = ProbeCounts()
    # 400 probes in a row never arrive: 2 s of silence at 200 a second.
    arrivals = [(s, 5.0 * s) for s in range(100)] + [(s, 5.0 * s) for s in range(500, 600)]
    _arrive(counts, 0, arrivals)
    assert counts.longest_gap[0] == [400, 2005.0]


def test_late_probes_do_not_count_as_a_gap_twice():
    """Unordered delivery: a probe overtaken by later ones fills no gap and opens none."""
    counts = ProbeCounts()
    _arrive(counts, 0, [(0, 0.0), (1, 5.0), (3, 15.0), (2, 16.0), (4, 20.0)])
    assert counts.longest_gap[0] == [1, 10.0]
    assert counts.received[0] == 5


def test_each_phase_keeps_its_own_gap():
    counts = ProbeCounts()
    _arrive(counts, 0, [(0, 0.0), (1, 5.0)])
    _arrive(counts, 1, [(2, 500.0), (40, 700.0)])
    assert counts.longest_gap == {0: [0, 5.0], 1: [37, 200.0]}


def test_idle_probes_are_unhurried_until_a_fast_half_begins():
    """The uplink's queue zero and jitter come from the first half's probes before any fast half
    (as the page's idle round trip does): a first half resumed after it is counted for loss, but
    not timed for the zero."""
    counts = ProbeCounts()
    assert counts.unhurried(P.PHASE_IDLE)
    _arrive(counts, P.PHASE_IDLE, [(0, 0.0), (1, 7.0)])
    assert counts.unhurried(P.PHASE_IDLE)
    assert not counts.unhurried(P.PHASE_IDLE | P.FAST) and not counts.unhurried(P.PHASE_DOWN)
    _arrive(counts, P.PHASE_IDLE | P.FAST, [(0, 10.0)])
    assert not counts.unhurried(P.PHASE_IDLE)
    _arrive(counts, P.PHASE_IDLE, [(2, 900.0)])  # resumed: still counted
    assert counts.received[P.PHASE_IDLE] == 3
