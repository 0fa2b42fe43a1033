"""The re-probe (a short network check when the participant comes back): when it is offered and
when the server calls the network worse than at the last complete check. Every platform alike."""

from __future__ import annotations

from dataclasses import dataclass

from .devices import OUR_CHOICE, Threshold


@dataclass(frozen=True)
class ProbeThresholds:
    """When to offer a re-probe, and what counts as a worse network than at the last complete check."""

    offer_after_min: Threshold
    probe_ms: Threshold
    rtt_ratio: Threshold
    rtt_added_ms: Threshold
    rate_ratio: Threshold
    ipv4_prefix: Threshold
    ipv6_prefix: Threshold


PROBE_THRESHOLDS = ProbeThresholds(
    offer_after_min=Threshold(
        5, "minutes", OUR_CHOICE + ": sooner, the participant is still on the network they just tested"
    ),
    probe_ms=Threshold(
        5000,
        "ms (connect + idle echoes)",
        OUR_CHOICE + ": long enough to connect and take a dozen round trips; too short to measure a rate honestly "
        "(the full check needs seconds per direction for a settled rate), so the re-probe measures none",
    ),
    rtt_ratio=Threshold(
        2,
        "times the last complete check's round trip",
        OUR_CHOICE + ": a doubled round trip (and at least rtt_added_ms more) is a different path, not noise",
    ),
    rtt_added_ms=Threshold(
        50,
        "ms more than the last complete check",
        OUR_CHOICE + "; ITU-T G.114 puts one-way delay above 150 ms as degrading conversation",
    ),
    rate_ratio=Threshold(
        0.5,
        "times the last complete check's rate (either direction)",
        OUR_CHOICE + ": half the rate; compared only when both checks measured that rate",
    ),
    ipv4_prefix=Threshold(
        24, "bits of an IPv4 address kept", OUR_CHOICE + ": one customer network, never the full address"
    ),
    ipv6_prefix=Threshold(
        48, "bits of an IPv6 address kept", "RFC 6177: a site gets a /48 to /56; never the full address"
    ),
)
