"""The server's count of the page's probes: totals, sequence span, and the longest gap."""

from __future__ import annotations

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
