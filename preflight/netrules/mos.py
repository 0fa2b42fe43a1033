"""The call quality a participant can expect from the network figures (mean opinion score)."""

from __future__ import annotations


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
