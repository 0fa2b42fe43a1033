"""Network check: connectivity, upload and download, round-trip time, jitter, loss, MOS.

The page (static/js/network.js) runs the WebRTC measurement against the server's aiortc peer
(preflight/network/) and sends what it saw; the figures the server measured itself (upload
rate and upload loss counted on arrival, its one-way jitter, how many echoes it sent, the
address its ICE agent saw) come back inside ``server``, a record the server signed, bound to
this participant and run. Only genuine records count: without one, upload is "not measured".

Figures (``metrics``, the page's ``data-metric`` names): connect_ms, rtt_ms (median of idle
echoes), jitter_ms (worse direction, RFC 3550 mean |D|), loss_up_pct (server count of the idle
probes, and of the download phase's where the uplink had room then: stats.spare_direction),
loss_down_pct (page count of echoes the server says it sent, unloaded phases only),
upload_kbps (server), download_kbps (page), loaded_rtt_ms (worse bulk phase), mos (E-model,
see preflight.netrules.mos). Rates are IP-level kbit/s.

Reasons, worst first (each with its guide section):
- fail ``no_webrtc`` (the browser has no RTCPeerConnection: a browser fix, never a network one)
  ``browser-problems#unsupported``
- fail ``no_connection`` (nothing connects) ``firewall-vpn-proxy#no-connection``
- fail ``udp_blocked`` (WebRTC failed while plain HTTPS works) ``firewall-vpn-proxy#udp-blocked``
- fail/warn ``low_upload`` / ``low_download`` against ``profile.upload_limits(role)`` /
  ``download_limits(role)`` (fail below the first, warn below the second) ``low-bandwidth#upload|#download``
- fail/warn ``high_latency`` / ``packet_loss`` / ``high_jitter`` against the profile's
  ``rtt_ms`` / ``loss_pct`` / ``jitter_ms`` Limits ``network-quality#latency|#loss|#jitter``
- warn ``tcp_only_turn`` (connected only through a TURN relay over TCP/TLS) ``firewall-vpn-proxy#tcp-only``
- warn ``bufferbloat`` (RTT under load above the profile's RTT fail limit) ``network-quality#latency``
- warn ``vpn_proxy`` (HTTP and media arrive from different public addresses) ``firewall-vpn-proxy#vpn-proxy``
- warn ``tab_hidden`` (tab hidden or timers throttled: bandwidth failures become warnings)
  ``network-quality#background-tab``
- warn ``server_busy`` (no free slot before the page gave up, or the server's loop could not keep
  up during a phase whose figures failed: those failures are set aside, see ``SET_ASIDE``) /
  ``measurement_incomplete`` (a phase timed out or the server's record is missing)
  ``how-to-run-check#network``
- pass ``network_ok``.
"""

from __future__ import annotations

import ipaddress
from dataclasses import replace
from typing import Any, ClassVar, Literal, Optional

from flask import current_app, has_app_context
from pydantic import Field

from ..netrules import fingerprint
from ..netrules import protocol as P
from ..netrules import stats
from ..netrules.mos import mos
from ..netrules.summary import verify
from ..profiles import PROBE_THRESHOLDS as PROBE
from ..profiles import SERVER_LOAD_THRESHOLDS as SERVER_LOAD
from ..profiles import Limit, Profile
from .base import Context, Finding, Payload, worst
from .it_needs import it_details

CandidateType = Literal["host", "srflx", "prflx", "relay"]
Ms = Field(default=None, ge=0, le=120_000)
Kbps = Field(default=None, ge=0, le=10_000_000)
Count = Field(default=0, ge=0, le=100_000)
PhaseCounts = Field(default_factory=dict, max_length=12)

GUIDES = {
    # The browser lacks RTCPeerConnection: the browser is the fix, not the network.
    "no_webrtc": "browser-problems#unsupported",
    "no_connection": "firewall-vpn-proxy#no-connection",
    "udp_blocked": "firewall-vpn-proxy#udp-blocked",
    "tcp_only_turn": "firewall-vpn-proxy#tcp-only",
    "vpn_proxy": "firewall-vpn-proxy#vpn-proxy",
    "low_upload": "low-bandwidth#upload",
    "low_download": "low-bandwidth#download",
    "high_latency": "network-quality#latency",
    "high_jitter": "network-quality#jitter",
    "packet_loss": "network-quality#loss",
    "bufferbloat": "network-quality#latency",
    "tab_hidden": "network-quality#background-tab",
    "server_busy": "how-to-run-check#network",
    "measurement_incomplete": "how-to-run-check#network",
}
# Reasons a network's policy (firewall, proxy, VPN) explains: the verdict carries a message for the
# participant's IT team with what the event's platform and this test need (it_needs.py).
NETWORK_POLICY_REASONS = frozenset({"no_connection", "udp_blocked", "tcp_only_turn", "vpn_proxy"})
# Order among reasons of the same verdict: the first one found is the one shown.
PRECEDENCE = (
    "no_webrtc",
    "no_connection",
    "udp_blocked",
    "tab_hidden",
    "low_upload",
    "low_download",
    "high_latency",
    "packet_loss",
    "high_jitter",
    "tcp_only_turn",
    "bufferbloat",
    "vpn_proxy",
    "server_busy",
    "measurement_incomplete",
)

# What a phase measured by a strained server can wrongly blame on the line: a loop that wakes late
# holds echoes (round trip, jitter, loaded delay), a full socket buffer drops probes (loss) and
# collapses SCTP's window (rates).
SET_ASIDE = {
    P.PHASE_IDLE: ("high_latency", "high_jitter", "packet_loss"),
    P.PHASE_DOWN: ("low_download", "bufferbloat", "packet_loss"),
    P.PHASE_UP: ("low_upload", "bufferbloat", "packet_loss"),
}


def strained_phases(record: dict | None) -> list[int]:
    """The phases in which the server's WebRTC loop could not keep up (record's ``server_load``,
    judged against profiles.SERVER_LOAD_THRESHOLDS)."""
    load = record.get("server_load") if record else None
    if not isinstance(load, dict):
        return []
    strained = []
    for phase in SET_ASIDE:
        window = load.get(str(phase))
        if not isinstance(window, dict):
            continue
        late, cpu = _num(window.get("late_p90_ms")), _num(window.get("cpu"))
        if (late is not None and late > SERVER_LOAD.late_p90_ms.value) or (
            cpu is not None and cpu > SERVER_LOAD.cpu.value
        ):
            strained.append(phase)
    return strained


def capped_kbps(record: dict | None) -> float:
    """Rates at or above this are reported as "at least": bulk data is paced to the cap the server
    ran with (NETWORK_RATE_CAP_KBPS, in its signed record; protocol.MAX_RATE_KBPS in older records),
    less a tenth for the pace's own wobble, at the IP level."""
    cap = _num(record.get("rate_cap_kbps")) if record else None
    payload_kbps = cap if cap and cap > 0 else P.MAX_RATE_KBPS
    return 0.9 * payload_kbps * (P.CHUNK_PAYLOAD_BYTES + P.PACKET_OVERHEAD_BYTES) / P.CHUNK_PAYLOAD_BYTES


class Candidates(Payload):
    """How many local ICE candidates the browser gathered, by type and by protocol."""

    host: int = Count
    srflx: int = Count
    prflx: int = Count
    relay: int = Count
    udp: int = Count
    tcp: int = Count


class SelectedPair(Payload):
    """The candidate pair the browser's ICE agent selected (from getStats)."""

    local_type: Optional[CandidateType] = None
    remote_type: Optional[CandidateType] = None
    protocol: Optional[Literal["udp", "tcp"]] = None
    relay_protocol: Optional[Literal["udp", "tcp", "tls"]] = None


class HttpFallback(Payload):
    """Plain HTTPS figures, measured when WebRTC could not connect."""

    ok: bool = False
    rtt_ms: Optional[float] = Ms
    down_kbps: Optional[float] = Kbps
    up_kbps: Optional[float] = Kbps


class NetworkPayload(Payload):
    """Raw facts from the page about the network check."""

    # The signed server record carries the participant's IP addresses (HTTP and ICE): it is verified
    # and judged, and the figures it holds are kept in the finding's details, but it is not stored.
    NOT_STORED: ClassVar[frozenset[str]] = frozenset({"server"})

    v: Literal[1] = 1
    state: Literal["connected", "failed", "unsupported", "no_candidates", "busy", "rejected", "error"]
    session: Optional[str] = Field(default=None, max_length=32, pattern=r"^[A-Za-z0-9_-]+$")
    connect_ms: Optional[float] = Ms
    candidates: Candidates = Field(default_factory=Candidates)
    selected: Optional[SelectedPair] = None
    rtt_ms: Optional[float] = Ms
    rtt_p90_ms: Optional[float] = Ms
    jitter_down_ms: Optional[float] = Ms
    download_kbps: Optional[float] = Kbps
    download_windows: list[float] = Field(default_factory=list, max_length=60)
    download_settled: bool = False
    download_window_kbps: Optional[float] = Kbps  # the windows' estimate (stats.phase_rate)
    download_busy_kbps: Optional[float] = Kbps  # over the downlink's busy periods (stats.busy_rate)
    download_busy_ms: Optional[float] = Ms
    upload_seen_kbps: Optional[float] = Kbps
    loaded_rtt_down_ms: Optional[float] = Ms
    loaded_rtt_up_ms: Optional[float] = Ms
    probes_sent: dict[str, int] = PhaseCounts
    echoes_recv: dict[str, int] = PhaseCounts
    # A lossy idle phase's fast half: its echoes' median one-way delay over the first half's (ms).
    fast_queue_down_ms: Optional[float] = Field(default=None, ge=-120_000, le=120_000)
    timeouts: list[Literal["gather", "answer", "connect", "idle", "download", "upload", "summary", "busy"]] = Field(
        default_factory=list, max_length=8
    )
    hidden: bool = False
    throttled: bool = False
    max_timer_gap_ms: Optional[float] = Ms
    http: Optional[HttpFallback] = None
    server: Optional[str] = Field(default=None, max_length=8000)
    duration_ms: Optional[float] = Ms


def judge(payload: NetworkPayload, ctx: Context) -> Finding:
    """Judge the network measurements, joined with the server's signed record."""
    record = None
    if payload.server and ctx.participant_id is not None and has_app_context():
        record = verify(current_app.config["SECRET_KEY"], payload.server, ctx.participant_id, ctx.run_key)
        if record is not None and payload.session and record.get("sid") != payload.session:
            record = None
    finding = assess(payload, record, ctx.profile, ctx.role)
    # Built here, from what the server saw, so the page can never claim a network of its choosing.
    details = {**finding.details, "fingerprint": network_fingerprint(ctx.http_addr, record)}
    if finding.reason in NETWORK_POLICY_REASONS:
        # What the participant's IT team must open: the event platform's hosts and ports (from its
        # profile; none for the generic one) and this test's own (from the settings).
        details["it"] = it_details(ctx.profile, current_app.config if has_app_context() else {})
    return replace(finding, details=details)


def network_fingerprint(http_addr: str | None, record: dict | None) -> dict:
    """The server-side fingerprint of the network (address prefixes and path type, never full addresses)."""
    return fingerprint.build(http_addr, record, int(PROBE.ipv4_prefix.value), int(PROBE.ipv6_prefix.value))


def _num(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) else None


def _count(mapping: Any, keys: tuple[str, ...]) -> int:
    if not isinstance(mapping, dict):
        return 0
    return sum(v for k, v in mapping.items() if k in keys and isinstance(v, int) and v > 0)


def fast_down_counts(p: NetworkPayload, record: dict) -> bool:
    """Whether a lossy idle phase's fast half counts toward the downlink's loss (stats.fast_half_counts)."""
    echoes_sent = record.get("echoes_sent")

    def pair(tag: int) -> tuple[int, int]:
        sent = _count(echoes_sent, (str(tag),))
        return sent, min(_count(p.echoes_recv, (str(tag),)), sent)

    return stats.fast_half_counts(pair(P.PHASE_IDLE), pair(P.PHASE_IDLE | P.FAST), p.fast_queue_down_ms)


def figures(p: NetworkPayload, record: dict | None, fast_down: bool = False) -> dict[str, float]:
    """The nine figures (those that could be measured), rounded for display; ``fast_down``: the
    fast half counts toward the downlink's loss (``fast_down_counts``)."""
    out: dict[str, float | None] = {"connect_ms": p.connect_ms, "rtt_ms": p.rtt_ms, "download_kbps": p.download_kbps}
    loaded = [v for v in (p.loaded_rtt_down_ms, p.loaded_rtt_up_ms) if v is not None]
    out["loaded_rtt_ms"] = max(loaded) if loaded else None
    jitters = [p.jitter_down_ms]
    if record:
        out["upload_kbps"] = _num(record.get("upload_kbps"))
        out["loss_up_pct"] = _num(record.get("loss_up_pct"))
        jitters.append(_num(record.get("jitter_up_ms")))
        # Echoes sent in the unloaded phases (idle, and upload once settled) vs echoes the page got;
        # a lossy idle phase's fast half where it did not crowd the downlink.
        keys = (str(P.PHASE_IDLE), str(P.PHASE_UP))
        if fast_down:
            keys += (str(P.PHASE_IDLE | P.FAST),)
        sent = _count(record.get("echoes_sent"), keys)
        received = min(_count(p.echoes_recv, keys), sent)
        out["loss_down_pct"] = stats.loss_pct(sent, received)
    known = [j for j in jitters if j is not None]
    out["jitter_ms"] = max(known) if known else None
    losses = [v for v in (out.get("loss_up_pct"), out.get("loss_down_pct")) if v is not None]
    if out["rtt_ms"] is not None and out["jitter_ms"] is not None and losses:
        out["mos"] = mos(out["rtt_ms"], out["jitter_ms"], max(losses))
    digits = {"mos": 2, "loss_up_pct": 2, "loss_down_pct": 2, "jitter_ms": 2}
    return {k: round(v, digits.get(k, 1)) for k, v in out.items() if v is not None}


def _limit(value: float | None, limit: Limit) -> str | None:
    if value is None:
        return None
    if value > limit.fail:
        return "fail"
    if value > limit.warn:
        return "warn"
    return None


def _rate(value: float | None, limits) -> str | None:
    fail_below, warn_below = limits
    if value is None:
        return None
    if value < fail_below.kbps:
        return "fail"
    if value < warn_below.kbps:
        return "warn"
    return None


def _public(addr: Any) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        ip = ipaddress.ip_address(str(addr))
    except ValueError:
        return None
    return ip if ip.is_global else None


def _proxy_suspected(record: dict | None) -> bool:
    """HTTP and media came from different public addresses: a proxy or a VPN splits the traffic."""
    if not record:
        return False
    ice_remote = record.get("ice_remote") if isinstance(record.get("ice_remote"), dict) else {}
    if ice_remote.get("type") == "relay":
        return False  # media came from the TURN server's address by design, not from the participant's network
    remote = ice_remote.get("addr")
    media, web = _public(remote), _public(record.get("http_addr"))
    return media is not None and web is not None and media != web


def assess(p: NetworkPayload, record: dict | None, profile: Profile, role: str) -> Finding:
    """The verdict from the page's payload, the verified server record (or None), the profile and role."""
    fast_down = bool(record) and fast_down_counts(p, record)
    metrics = figures(p, record, fast_down)
    strained = strained_phases(record)
    issues: dict[str, str] = {}
    if p.state != "connected":
        if p.state == "busy":
            issues["server_busy"] = "warn"
        elif p.state == "unsupported":
            issues["no_webrtc"] = "fail"
        elif p.state == "failed" and p.http is not None and p.http.ok:
            issues["udp_blocked"] = "fail"
        else:
            issues["no_connection"] = "fail"
    else:
        untrusted = p.hidden or p.throttled
        # A bulk phase that hit its cap still gave a figure (a lower bound, flagged unsettled);
        # only a missing figure or a missing server record makes the measurement incomplete.
        if record is None or metrics.get("download_kbps") is None or metrics.get("upload_kbps") is None:
            issues["measurement_incomplete"] = "warn"
        for name, verdict in (
            ("low_upload", _rate(metrics.get("upload_kbps"), profile.upload_limits(role))),
            ("low_download", _rate(metrics.get("download_kbps"), profile.download_limits(role))),
        ):
            if verdict:
                # Throttled timers starve the page's sender and receiver: do not fail on such figures.
                issues[name] = "warn" if untrusted else verdict
        losses = [v for v in (metrics.get("loss_up_pct"), metrics.get("loss_down_pct")) if v is not None]
        for name, verdict in (
            ("high_latency", _limit(metrics.get("rtt_ms"), profile.rtt_ms)),
            ("packet_loss", _limit(max(losses) if losses else None, profile.loss_pct)),
            ("high_jitter", _limit(metrics.get("jitter_ms"), profile.jitter_ms)),
        ):
            if verdict:
                issues[name] = verdict
        selected = p.selected
        if selected and selected.local_type == "relay" and selected.relay_protocol in ("tcp", "tls"):
            issues["tcp_only_turn"] = "warn"
        loaded = metrics.get("loaded_rtt_ms")
        if loaded is not None and loaded > profile.rtt_ms.fail and "high_latency" not in issues:
            issues["bufferbloat"] = "warn"
        if _proxy_suspected(record):
            issues["vpn_proxy"] = "warn"
        # A server that could not keep up must not call the line slow or lossy: "our server was too
        # busy" instead, which asks for another try later.
        set_aside = {name for phase in strained for name in SET_ASIDE[phase] if name in issues}
        for name in set_aside:
            del issues[name]
        if set_aside:
            issues["server_busy"] = "warn"
        if untrusted:
            issues["tab_hidden"] = "warn"
    verdict = worst(issues.values())
    reason = next((r for r in PRECEDENCE if issues.get(r) == verdict), "network_ok")
    details = {
        "issues": [{"reason": r, "verdict": issues[r], "guide": GUIDES[r]} for r in PRECEDENCE if r in issues],
        "state": p.state,
        "recommended": list(profile.recommended_browsers),
        "server_measured": record is not None,
        "candidates": p.candidates.model_dump(),
        "selected": p.selected.model_dump() if p.selected else None,
        "timeouts": list(p.timeouts),
        "untrusted": p.hidden or p.throttled,
        "server_strained": [name for name, phase in P.PHASE_NAMES.items() if phase in strained],
        "download_settled": p.download_settled,
        "upload_settled": bool(record and record.get("upload_settled")),
        "download_capped": (metrics.get("download_kbps") or 0) >= capped_kbps(record),
        "upload_capped": (metrics.get("upload_kbps") or 0) >= capped_kbps(record),
        "needs": {
            "upload_kbps": [r.kbps for r in profile.upload_limits(role)],
            "download_kbps": [r.kbps for r in profile.download_limits(role)],
        },
    }
    if p.http is not None:
        details["http"] = p.http.model_dump()
    if record:
        details["server"] = {
            k: record.get(k)
            for k in (
                "upload_windows",
                "upload_window_kbps",
                "upload_busy_kbps",
                "upload_busy_ms",
                "upload_settled",
                "probes_up_sent",
                "probes_up_recv",
                "probes_longest_gap",
                "loss_up_download",
                "loss_up_fast",
                "jitter_up_ms",
                "sctp_rtt_ms",
                "down_connections",
                "up_connections",
            )
        }
        details["loss_down_fast"] = {"counted": fast_down, "queue_ms": p.fast_queue_down_ms}
        remote = record.get("ice_remote")
        details["server"]["remote_type"] = remote.get("type") if isinstance(remote, dict) else None
    return Finding("network", verdict, reason, GUIDES.get(reason, ""), metrics, details)


MODEL = NetworkPayload
