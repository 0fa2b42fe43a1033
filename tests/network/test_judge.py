"""The network judge: every verdict from crafted payloads and server records (no network)."""

from __future__ import annotations

import pytest

from preflight.checks import get
from preflight.checks.base import Context
from preflight.checks.client import client_info
from preflight.checks.network import NetworkPayload, assess, judge
from preflight.netrules import stats
from preflight.netrules.mos import mos
from preflight.netrules.summary import sign
from preflight.profiles import get_profile
from result_payloads import NETWORK_METRICS, server_record

ZOOM = get_profile(
    "zoom"
)  # attendee: up fail<80 warn<1000; down fail<600 warn<1800; rtt 150/400; jitter 30/100; loss 1/5


def payload(**changes) -> NetworkPayload:
    """A healthy connected result; ``changes`` override fields."""
    base = dict(
        state="connected",
        session="sess1",
        connect_ms=210.0,
        candidates={"host": 2, "srflx": 0, "prflx": 0, "relay": 0, "udp": 2, "tcp": 0},
        selected={"local_type": "host", "remote_type": "host", "protocol": "udp", "relay_protocol": None},
        rtt_ms=20.0,
        rtt_p90_ms=25.0,
        jitter_down_ms=2.0,
        download_kbps=20000.0,
        download_windows=[20000.0] * 6,
        download_settled=True,
        loaded_rtt_down_ms=40.0,
        loaded_rtt_up_ms=45.0,
        probes_sent={"0": 250, "1": 300, "2": 300, "3": 0},
        echoes_recv={"0": 250, "2": 250, "130": 50, "1": 300},
        timeouts=[],
        hidden=False,
        throttled=False,
        server="signed",
        duration_ms=9000.0,
    )
    base.update(changes)
    return NetworkPayload.model_validate(base)


def record(**changes) -> dict:
    """A healthy server record; ``changes`` override fields."""
    return server_record(1, "run-judge-1", **changes)


def verdict(p=None, r="default", role="attendee", profile=ZOOM):
    finding = assess(p or payload(), record() if r == "default" else r, profile, role)
    return finding.verdict, finding.reason, finding.guide


def test_healthy_link_passes_with_all_nine_figures():
    finding = assess(payload(), record(), ZOOM, "attendee")
    assert (finding.verdict, finding.reason, finding.guide) == ("pass", "network_ok", "")
    assert set(finding.metrics) == NETWORK_METRICS
    assert finding.metrics["loss_down_pct"] == 0.0
    assert finding.metrics["loaded_rtt_ms"] == 45.0
    assert finding.metrics["jitter_ms"] == 2.0
    assert 4.3 < finding.metrics["mos"] < 4.5
    assert finding.details["issues"] == []


@pytest.mark.parametrize(
    "role, up, expected",
    [
        ("attendee", 50.0, ("fail", "low_upload", "low-bandwidth#upload")),
        ("attendee", 500.0, ("warn", "low_upload", "low-bandwidth#upload")),
        ("attendee", 1500.0, ("pass", "network_ok", "")),
        ("presenter", 900.0, ("fail", "low_upload", "low-bandwidth#upload")),
        ("presenter", 1500.0, ("warn", "low_upload", "low-bandwidth#upload")),
        ("presenter", 3000.0, ("pass", "network_ok", "")),
    ],
)
def test_upload_is_judged_by_role(role, up, expected):
    assert verdict(r=record(upload_kbps=up), role=role) == expected


@pytest.mark.parametrize(
    "down, expected",
    [
        (300.0, ("fail", "low_download", "low-bandwidth#download")),
        (1000.0, ("warn", "low_download", "low-bandwidth#download")),
        (5000.0, ("pass", "network_ok", "")),
    ],
)
def test_download(down, expected):
    assert verdict(payload(download_kbps=down)) == expected


def test_presenter_upload_failure_comes_before_download_warning():
    assert verdict(payload(download_kbps=1000.0), record(upload_kbps=500.0), role="presenter")[:2] == (
        "fail",
        "low_upload",
    )


@pytest.mark.parametrize(
    "changes, rec, expected",
    [
        ({"rtt_ms": 200.0}, {}, ("warn", "high_latency", "network-quality#latency")),
        ({"rtt_ms": 450.0}, {}, ("fail", "high_latency", "network-quality#latency")),
        ({"jitter_down_ms": 40.0}, {}, ("warn", "high_jitter", "network-quality#jitter")),
        ({}, {"jitter_up_ms": 120.0}, ("fail", "high_jitter", "network-quality#jitter")),
        ({}, {"loss_up_pct": 2.0}, ("warn", "packet_loss", "network-quality#loss")),
        ({"echoes_recv": {"0": 230, "2": 230}}, {}, ("fail", "packet_loss", "network-quality#loss")),  # 8 % down
        ({"loaded_rtt_up_ms": 900.0}, {}, ("warn", "bufferbloat", "network-quality#latency")),
    ],
)
def test_latency_jitter_loss_and_bufferbloat(changes, rec, expected):
    assert verdict(payload(**changes), record(**rec)) == expected


def test_teams_profile_has_its_own_limits():
    teams = get_profile("teams")  # loss fail above 10 %
    assert verdict(r=record(loss_up_pct=8.0), profile=teams)[:2] == ("warn", "packet_loss")
    assert verdict(r=record(loss_up_pct=8.0), profile=ZOOM)[:2] == ("fail", "packet_loss")


def test_loss_down_counts_only_unloaded_echoes():
    # Echoes of the download phase (tag 1) and settling echoes (130) may be lost to the full queue.
    p = payload(echoes_recv={"0": 250, "2": 250, "1": 100, "130": 10})
    finding = assess(p, record(), ZOOM, "attendee")
    assert finding.metrics["loss_down_pct"] == 0.0 and finding.verdict == "pass"
    # The page cannot claim more echoes than the server sent.
    finding = assess(payload(echoes_recv={"0": 900, "2": 900}), record(), ZOOM, "attendee")
    assert finding.metrics["loss_down_pct"] == 0.0


def test_udp_blocked_when_webrtc_fails_but_https_works():
    p = payload(
        state="failed",
        rtt_ms=None,
        download_kbps=None,
        timeouts=["connect"],
        server=None,
        http={"ok": True, "rtt_ms": 30.0, "down_kbps": 9000.0, "up_kbps": 4000.0},
    )
    finding = assess(p, None, ZOOM, "attendee")
    assert (finding.verdict, finding.reason, finding.guide) == ("fail", "udp_blocked", "firewall-vpn-proxy#udp-blocked")
    assert finding.details["http"]["down_kbps"] == 9000.0


@pytest.mark.parametrize(
    "changes",
    [
        {"state": "failed", "http": {"ok": False}},
        {"state": "failed"},
        {"state": "no_candidates", "candidates": {}},
        {"state": "rejected"},
        {"state": "error"},
    ],
)
def test_no_connection(changes):
    p = payload(server=None, rtt_ms=None, download_kbps=None, **changes)
    assert verdict(p, None) == ("fail", "no_connection", "firewall-vpn-proxy#no-connection")


def test_a_browser_without_webrtc_is_sent_to_a_browser_not_to_the_network():
    p = payload(server=None, rtt_ms=None, download_kbps=None, state="unsupported", http={"ok": True})
    assert verdict(p, None) == ("fail", "no_webrtc", "browser-problems#unsupported")


def test_tcp_only_turn_is_a_warning():
    p = payload(selected={"local_type": "relay", "remote_type": "host", "protocol": "tcp", "relay_protocol": "tcp"})
    assert verdict(p) == ("warn", "tcp_only_turn", "firewall-vpn-proxy#tcp-only")
    p = payload(selected={"local_type": "relay", "remote_type": "host", "protocol": "udp", "relay_protocol": "tls"})
    assert verdict(p) == ("warn", "tcp_only_turn", "firewall-vpn-proxy#tcp-only")  # turns: on port 443
    p = payload(selected={"local_type": "relay", "remote_type": "host", "protocol": "udp", "relay_protocol": "udp"})
    assert verdict(p)[0] == "pass"


def test_a_relayed_check_is_not_taken_for_a_vpn():
    # Through TURN the server sees the relay's public address, never the participant's: no proxy suspicion.
    r = record(ice_remote={"addr": "81.2.69.160", "type": "relay"}, http_addr="93.184.216.34")
    p = payload(selected={"local_type": "relay", "remote_type": "host", "protocol": "udp", "relay_protocol": "tls"})
    assert verdict(p, r) == ("warn", "tcp_only_turn", "firewall-vpn-proxy#tcp-only")
    issues = assess(p, r, ZOOM, "attendee").details["issues"]
    assert [issue["reason"] for issue in issues] == ["tcp_only_turn"]
    # The same addresses on a direct pair still say VPN or proxy.
    assert (
        verdict(r=record(ice_remote={"addr": "81.2.69.160", "type": "srflx"}, http_addr="93.184.216.34"))[1]
        == "vpn_proxy"
    )


def test_vpn_or_proxy_suspected_when_web_and_media_come_from_different_public_addresses():
    r = record(ice_remote={"addr": "81.2.69.160", "type": "srflx"}, http_addr="93.184.216.34")
    assert verdict(r=r) == ("warn", "vpn_proxy", "firewall-vpn-proxy#vpn-proxy")
    # Private or loopback addresses (reverse proxy on the same host, a lab) say nothing.
    assert verdict(r=record(ice_remote={"addr": "10.0.0.5", "type": "host"}, http_addr="127.0.0.1"))[0] == "pass"


def test_hidden_tab_turns_bandwidth_failures_into_a_warning():
    p = payload(hidden=True, download_kbps=100.0)
    finding = assess(p, record(), ZOOM, "attendee")
    assert (finding.verdict, finding.reason, finding.guide) == ("warn", "tab_hidden", "network-quality#background-tab")
    assert {"reason": "low_download", "verdict": "warn", "guide": "low-bandwidth#download"} in finding.details["issues"]
    assert finding.details["untrusted"] is True
    assert verdict(payload(throttled=True))[:2] == ("warn", "tab_hidden")


def test_server_busy_and_incomplete_measurements():
    assert verdict(payload(state="busy", server=None), None) == ("warn", "server_busy", "how-to-run-check#network")
    assert verdict(payload(), None)[:2] == ("warn", "measurement_incomplete")
    assert verdict(payload(download_kbps=None, timeouts=["download"]))[:2] == ("warn", "measurement_incomplete")
    assert verdict(payload(timeouts=["download"], download_settled=False))[:2] == ("pass", "network_ok")
    # Without the server's record there is no upload figure: it is not invented.
    assert "upload_kbps" not in assess(payload(), None, ZOOM, "attendee").metrics


def test_capped_rates_are_flagged():
    finding = assess(payload(download_kbps=32000.0), record(upload_kbps=32500.0), ZOOM, "attendee")
    assert finding.details["download_capped"] and finding.details["upload_capped"]


def test_the_at_least_line_is_the_cap_the_server_ran_with():
    # A server capped at 8 Mbit/s (NETWORK_RATE_CAP_KBPS) says so in its record: 8.4 Mbit/s at the IP
    # level is then "more than", not a line's own rate; 7 Mbit/s is below the cap's wobble.
    capped = assess(payload(download_kbps=8400.0), record(upload_kbps=8400.0, rate_cap_kbps=8000), ZOOM, "attendee")
    assert capped.details["download_capped"] and capped.details["upload_capped"]
    below = assess(payload(download_kbps=7000.0), record(upload_kbps=7000.0, rate_cap_kbps=8000), ZOOM, "attendee")
    assert not below.details["download_capped"] and not below.details["upload_capped"]
    # Without the field (an older record), the protocol's default cap applies.
    assert not assess(payload(download_kbps=8400.0), record(upload_kbps=8400.0), ZOOM, "attendee").details[
        "upload_capped"
    ]


def test_judge_uses_only_a_genuine_record_for_this_participant_and_run(app):
    secret = app.config["SECRET_KEY"]
    ctx = Context(profile=ZOOM, role="attendee", client=client_info(""), participant_id=1, run_key="run-judge-1")
    with app.app_context():
        good = judge(payload(server=sign(secret, record(upload_kbps=50.0))), ctx)
        assert (good.verdict, good.reason) == ("fail", "low_upload")
        forged = judge(payload(server=sign("x" * 40, record(upload_kbps=50000.0))), ctx)
        assert forged.reason == "measurement_incomplete" and "upload_kbps" not in forged.metrics
        other_run = judge(payload(server=sign(secret, record(run="another-run"))), ctx)
        assert other_run.reason == "measurement_incomplete"
        other_session = judge(payload(session="other", server=sign(secret, record())), ctx)
        assert other_session.reason == "measurement_incomplete"


def test_network_is_registered_and_the_model_is_strict():
    check = get("network")
    assert check is not None and check.model is NetworkPayload
    with pytest.raises(Exception):
        NetworkPayload.model_validate({"state": "connected", "unexpected": 1})
    with pytest.raises(Exception):
        NetworkPayload.model_validate({"state": "connected", "rtt_ms": -1})
    with pytest.raises(Exception):
        NetworkPayload.model_validate({"state": "teleported"})


@pytest.mark.parametrize(
    "rtt, jitter, loss, low, high",
    [
        (20, 2, 0, 4.35, 4.45),  # excellent
        (300, 20, 1, 3.4, 3.7),  # satellite-like
        (600, 50, 5, 1.2, 1.6),  # poor
        (1500, 0, 0, 1.0, 1.001),  # latency beyond the model (R floors at 6.52)
        (20, 0, 50, 1.0, 1.0),  # loss beyond R/2.5 (R = 0)
    ],
)
def test_mos(rtt, jitter, loss, low, high):
    assert low <= mos(rtt, jitter, loss) <= high


def test_rate_rules():
    samples = [(t * 250.0, int(t * 250 * 1000 / 8)) for t in range(0, 13)]  # exactly 1000 kbit/s
    rates = stats.window_rates(samples)
    assert all(abs(k - 1000) < 1e-6 for _, k in rates)
    windows = stats.steady(rates, 0, rtt_ms=20)
    assert len(windows) == len(rates) - 4  # 1 s warm-up discarded
    assert stats.settled(windows) and stats.rate_estimate(windows) == pytest.approx(1000)
    assert not stats.settled([100, 200, 300, 400, 500, 600])  # still ramping
    assert stats.warmup_ms(600) == 1200 and stats.warmup_ms(20) == 1000
    assert stats.mean_abs_delta([10, 12, 10, 12]) == 2
    assert stats.loss_pct(0, 0) is None and stats.loss_pct(100, 97) == 3


BUSY = {"late_p90_ms": 80.0, "cpu": 0.5, "ticks": 400}
QUIET = {"late_p90_ms": 1.5, "cpu": 0.3, "ticks": 400}


def test_a_strained_server_is_blamed_instead_of_the_line():
    # The server's loop woke 80 ms late in the upload: the low upload it read is set aside.
    strained = record(upload_kbps=300.0, server_load={"0": QUIET, "1": QUIET, "2": BUSY})
    finding = assess(payload(), strained, ZOOM, "attendee")
    assert (finding.verdict, finding.reason, finding.guide) == ("warn", "server_busy", "how-to-run-check#network")
    assert [i["reason"] for i in finding.details["issues"]] == ["server_busy"]
    assert finding.details["server_strained"] == ["up"]
    assert finding.metrics["upload_kbps"] == 300.0  # still shown as measured
    # A loop on the CPU 95 % of the download is strained too; the download's failure is set aside,
    # as is the loaded delay, while the quiet upload's own failure stands.
    busy_cpu = {"late_p90_ms": 2.0, "cpu": 0.95, "ticks": 400}
    both = record(upload_kbps=300.0, server_load={"0": QUIET, "1": busy_cpu, "2": QUIET})
    finding = assess(payload(download_kbps=300.0, loaded_rtt_down_ms=900.0), both, ZOOM, "attendee")
    reasons = [i["reason"] for i in finding.details["issues"]]
    assert (finding.verdict, finding.reason) == ("warn", "low_upload") and reasons == ["low_upload", "server_busy"]
    assert finding.details["server_strained"] == ["down"]


def test_a_strained_idle_phase_sets_aside_delay_jitter_and_loss_only():
    late_idle = record(server_load={"0": BUSY}, jitter_up_ms=150.0, loss_up_pct=12.0)
    finding = assess(payload(rtt_ms=500.0), late_idle, ZOOM, "attendee")
    assert (finding.verdict, finding.reason) == ("warn", "server_busy")
    # A relayed TCP path is no measurement of the server's: it stays.
    tcp = payload(selected={"local_type": "relay", "remote_type": "host", "protocol": "udp", "relay_protocol": "tls"})
    finding = assess(tcp, late_idle, ZOOM, "attendee")
    assert [i["reason"] for i in finding.details["issues"]] == ["tcp_only_turn", "server_busy"]


def test_a_strained_server_that_measured_a_good_line_still_passes():
    # What a strained server measured is a lower bound: when it already meets the needs, it passes.
    finding = assess(payload(), record(server_load={"0": BUSY, "1": BUSY, "2": BUSY}), ZOOM, "attendee")
    assert (finding.verdict, finding.reason) == ("pass", "network_ok")
    assert finding.details["server_strained"] == ["idle", "down", "up"]
    # Quiet, missing or malformed load figures strain nothing.
    for load in ({"0": QUIET, "1": QUIET, "2": QUIET}, None, "busy", {"2": "x"}, {"2": {"late_p90_ms": "slow"}}):
        finding = assess(payload(), record(upload_kbps=300.0, server_load=load), ZOOM, "attendee")
        assert finding.reason == "low_upload" and finding.details["server_strained"] == []
