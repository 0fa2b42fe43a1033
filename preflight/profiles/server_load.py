"""When the server's own measurement is set aside: its WebRTC loop could not keep up during a
phase of the check (preflight/network/loop_load.py). Every platform alike."""

from __future__ import annotations

from dataclasses import dataclass

from .devices import OUR_CHOICE, Threshold


@dataclass(frozen=True)
class ServerLoadThresholds:
    """A phase was measured by a strained server when either figure is above its value."""

    late_p90_ms: Threshold
    cpu: Threshold


SERVER_LOAD_THRESHOLDS = ServerLoadThresholds(
    late_p90_ms=Threshold(
        30,
        "ms late, 90th percentile of the loop's 10 ms ticks",
        OUR_CHOICE + ": a loop that wakes 30 ms late one time in ten holds echoes and SCTP's "
        "acknowledgements that long, more than the RTT margins of any profile; in the lab a quiet check's "
        "loop woke within 1-5 ms (docs/capacity.md)",
    ),
    cpu=Threshold(
        0.9,
        "of the wall time the loop thread was on the CPU",
        OUR_CHOICE + ": a loop busy nine tenths of the time has no slack left, and the socket's buffer "
        "fills; in the lab a quiet check's busiest phase (a 20 Mbit/s download) took 0.44 "
        "(docs/capacity.md)",
    ),
)
