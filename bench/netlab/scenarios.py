"""The shaped-link scenarios the network check is measured against.

Every figure here is what the lab *configures*; `verify_lab.py` measures what the link really
delivers, and the network check's author fills in the `expected_*` fields (what the check should
say about such a link).  Rates stay within 0.5-20 Mbit/s, the window the check is meant to judge.

Conventions:
- "down" is server -> client (what a participant receives), "up" is client -> server.
- `rtt_ms` is split evenly into one-way delays (`delay_down_ms`, `delay_up_ms`) unless given.
- `jitter_ms` is the standard deviation of the extra random one-way delay, per direction
  (normal distribution clipped to +-2 sigma, FIFO order kept, see delayq.py).
- Loss percentages are independent random drops per direction, on every packet (TCP, UDP, ICMP).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Scenario:
    """One shaped link: configured values plus the check's expected verdict (to be filled in)."""

    name: str
    description: str
    down_kbit: int
    up_kbit: int
    rtt_ms: float = 0.0
    jitter_ms: float = 0.0
    loss_down_pct: float = 0.0
    loss_up_pct: float = 0.0
    udp_blocked: bool = False
    # A TURN server (coturn, TCP only) runs next to the app in pf-server and is configured as the
    # app's ICE server: the check must then connect through it ("only TURN over TCP works").
    turn_tcp: bool = False
    # The shaper's token bucket per direction, in bytes (tbf's burst): what the link lets through
    # at line rate after an idle spell before it settles to the rate, as home routers, ISP policers
    # and DOCSIS "PowerBoost" do. None = the lab's small default (shaping.default_burst).
    burst_down_bytes: int | None = None
    burst_up_bytes: int | None = None
    # Placeholders for the network-check author: the verdict the check should give on this link
    # (e.g. "pass" / "warn" / "fail") and any per-metric expectations (e.g. {"rtt": "warn"}).
    expected_verdict: str | None = None
    expected_metrics: dict[str, str] = field(default_factory=dict)
    expected_notes: str = ""

    @property
    def delay_down_ms(self) -> float:
        """One-way delay added on the server -> client path."""
        return self.rtt_ms / 2

    @property
    def delay_up_ms(self) -> float:
        """One-way delay added on the client -> server path."""
        return self.rtt_ms / 2

    def as_dict(self) -> dict:
        """Plain-dict form (for JSON reports and the harness)."""
        return {
            "name": self.name,
            "description": self.description,
            "down_kbit": self.down_kbit,
            "up_kbit": self.up_kbit,
            "rtt_ms": self.rtt_ms,
            "jitter_ms": self.jitter_ms,
            "loss_down_pct": self.loss_down_pct,
            "loss_up_pct": self.loss_up_pct,
            "udp_blocked": self.udp_blocked,
            "turn_tcp": self.turn_tcp,
            "burst_down_bytes": self.burst_down_bytes,
            "burst_up_bytes": self.burst_up_bytes,
            "expected_verdict": self.expected_verdict,
            "expected_metrics": dict(self.expected_metrics),
            "expected_notes": self.expected_notes,
        }


SCENARIOS: tuple[Scenario, ...] = (
    Scenario("fibre", "Fibre, capped at the top of the judged window", down_kbit=20_000, up_kbit=20_000, rtt_ms=10),
    Scenario("dsl", "ADSL 8/1 Mbit/s", down_kbit=8_000, up_kbit=1_000, rtt_ms=30),
    Scenario(
        "4g",
        "4G mobile with jitter and light loss",
        down_kbit=12_000,
        up_kbit=4_000,
        rtt_ms=70,
        jitter_ms=8,
        loss_down_pct=0.3,
        loss_up_pct=0.3,
    ),
    Scenario("satellite", "Geostationary satellite", down_kbit=10_000, up_kbit=2_000, rtt_ms=600),
    Scenario(
        "wifi-lossy",
        "Congested Wi-Fi with 3 % random loss each way",
        down_kbit=10_000,
        up_kbit=10_000,
        rtt_ms=20,
        loss_down_pct=3,
        loss_up_pct=3,
    ),
    Scenario(
        "lossy-5",
        "Wi-Fi at the top of the loss range the check must handle: 5 % random loss each way",
        down_kbit=10_000,
        up_kbit=10_000,
        rtt_ms=20,
        loss_down_pct=5,
        loss_up_pct=5,
    ),
    Scenario(
        "uplink-300k", "Starved 300 kbit/s uplink (too slow to send video)", down_kbit=4_000, up_kbit=300, rtt_ms=40
    ),
    Scenario(
        "thin-lossy",
        "Weak mobile signal: a thin, lossy link (2 % loss each way, 300 kbit/s up)",
        down_kbit=2_000,
        up_kbit=300,
        rtt_ms=60,
        loss_down_pct=2,
        loss_up_pct=2,
    ),
    Scenario(
        "udp-blocked",
        "Firewall dropping all UDP (TCP allowed): WebRTC needs TURN over TCP/TLS",
        down_kbit=10_000,
        up_kbit=5_000,
        rtt_ms=20,
        udp_blocked=True,
    ),
    Scenario(
        "udp-blocked-turn",
        "The same firewall, with a TURN server reachable over TCP (coturn in pf-server)",
        down_kbit=10_000,
        up_kbit=5_000,
        rtt_ms=20,
        udp_blocked=True,
        turn_tcp=True,
    ),
)

BY_NAME: dict[str, Scenario] = {s.name: s for s in SCENARIOS}

# An unshaped link (no tbf, loss, delay or firewall): what `lab.py setup` leaves behind.
UNSHAPED = Scenario("unshaped", "No shaping at all", down_kbit=0, up_kbit=0)


def get(name: str) -> Scenario:
    """Return the scenario called `name` (KeyError listing the known names otherwise)."""
    try:
        return BY_NAME[name]
    except KeyError:
        raise KeyError(f"unknown scenario {name!r}; known: {', '.join(BY_NAME)}") from None


def custom(**values) -> Scenario:
    """Build an ad-hoc scenario from keyword values (name defaults to "custom")."""
    values.setdefault("name", "custom")
    values.setdefault("description", "ad-hoc scenario")
    values.setdefault("down_kbit", 0)
    values.setdefault("up_kbit", 0)
    return Scenario(**values)


__all__ = ["Scenario", "SCENARIOS", "BY_NAME", "UNSHAPED", "get", "custom", "replace"]
