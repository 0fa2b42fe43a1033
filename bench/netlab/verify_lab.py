"""Check that the lab shapes links as configured, with ground-truth tools (run as root).

For every scenario (or the ones named) it measures, inside the namespaces:
- RTT with `ping -U` (user-space timestamps: plain ping hides the ingress queueing delay);
- one-way delay, its spread and loss per direction with udpseq.py (sequence numbers counted on
  the receiving side; the namespaces share the host clock, so one-way delay is exact);
- the shaper's rate per direction with a UDP flood at 1.25x the configured rate;
- TCP goodput per direction with iperf3 (on lossy or long links this is congestion-limited,
  below the link's capacity - that is TCP, not the lab).

    python3 bench/netlab/verify_lab.py                      # all scenarios, ~6 minutes
    python3 bench/netlab/verify_lab.py dsl 4g --json out.json
    python3 bench/netlab/verify_lab.py --quick              # shorter probes, rougher figures
"""

from __future__ import annotations

import argparse
import json
import re
import select
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import lab as netlab  # noqa: E402
import scenarios as scen  # noqa: E402

UDPSEQ = str(Path(__file__).resolve().parent / "udpseq.py")
# The probes run at real-time priority like delayq, so that other work on the machine (other
# test suites on the same two cores) does not show up as "delay" in the ground truth itself.
RT = ["chrt", "-f", "10"] if netlab.shutil.which("chrt") else []
PY = sys.executable


def wait_for_line(proc, marker: str, timeout: float) -> None:
    """Block until `proc` prints a stdout line containing `marker` (bounded)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        ready, _, _ = select.select([proc.stdout], [], [], max(0.0, end - time.monotonic()))
        if not ready:
            break
        line = proc.stdout.readline()
        if not line:
            break
        if marker in line:
            return
    raise netlab.LabError(f"{proc.args[-1]!r}... never printed {marker!r}")


def wait_for_listen(lab: netlab.Lab, ns: str, port: int, timeout: float) -> None:
    """Block until something listens on TCP `port` in `ns` (iperf3 buffers its own banner)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        res = lab.run_in(ns, ["ss", "-Hltn", f"sport = :{port}"], timeout=10)
        if res.stdout.strip():
            return
        time.sleep(0.05)
    raise netlab.LabError(f"nothing listening on port {port} in {ns} after {timeout}s")


def last_json(text: str) -> dict:
    """The last line of `text` that parses as a JSON object."""
    for line in reversed(text.strip().splitlines()):
        try:
            value = json.loads(line)
        except ValueError:
            continue
        if isinstance(value, dict):
            return value
    raise ValueError(f"no JSON object in output: {text[-300:]!r}")


def ping_rtt(lab: netlab.Lab, sc: scen.Scenario, count: int) -> dict:
    """RTT percentiles and loss from `ping -U` client -> server."""
    res = lab.run_in(
        netlab.CLIENT_NS,
        [*RT, "ping", "-U", "-n", "-c", str(count), "-i", "0.02", "-W", "3", netlab.SERVER_IP],
        timeout=count * 0.05 + sc.rtt_ms / 1000 + 15,
    )
    times = [float(t) for t in re.findall(r"time=([\d.]+) ms", res.stdout)]
    out = {"sent": count, "received": len(times)}
    if times:
        out.update(p50=statistics.median(times), min=min(times), max=max(times))
    return out


def udp_probe(lab: netlab.Lab, seconds: float, sender_args: list[str], down: bool = True, up: bool = True) -> dict:
    """Run udpseq receivers then senders (both directions at once); return their JSON per direction."""
    legs = []
    if down:
        legs.append(("down", netlab.SERVER_NS, netlab.CLIENT_NS, netlab.CLIENT_IP, 9001))
    if up:
        legs.append(("up", netlab.CLIENT_NS, netlab.SERVER_NS, netlab.SERVER_IP, 9002))
    receivers, senders = {}, {}
    budget = seconds + 10
    for name, _, rx_ns, rx_ip, port in legs:
        receivers[name] = lab.popen_in(
            rx_ns,
            [*RT, PY, UDPSEQ, "recv", "--bind", rx_ip, "--port", str(port), "--seconds", str(budget)],
            stdout=netlab.subprocess.PIPE,
            text=True,
        )
        wait_for_line(receivers[name], "LISTENING", 10)
    for name, tx_ns, _, rx_ip, port in legs:
        senders[name] = lab.popen_in(
            tx_ns,
            [*RT, PY, UDPSEQ, "send", "--to", rx_ip, "--port", str(port), "--seconds", str(seconds), *sender_args],
            stdout=netlab.subprocess.PIPE,
            text=True,
        )
    out = {}
    for name in senders:
        tx_out, _ = senders[name].communicate(timeout=budget)
        rx_out, _ = receivers[name].communicate(timeout=budget + 5)
        out[name] = {"tx": last_json(tx_out), "rx": last_json(rx_out)}
    return out


def iperf_tcp(lab: netlab.Lab, seconds: int, omit: int, reverse: bool) -> float | None:
    """iperf3 TCP goodput in kbit/s (reverse=True measures download, server -> client)."""
    server = lab.popen_in(
        netlab.SERVER_NS,
        [*RT, "iperf3", "-s", "-1", "-B", netlab.SERVER_IP, "-p", "5201"],
        stdout=netlab.subprocess.DEVNULL,
        stderr=netlab.subprocess.DEVNULL,
    )
    try:
        wait_for_listen(lab, netlab.SERVER_NS, 5201, 10)
        argv = [
            *RT,
            "iperf3",
            "-c",
            netlab.SERVER_IP,
            "-p",
            "5201",
            "-t",
            str(seconds),
            "-O",
            str(omit),
            "-J",
            "--connect-timeout",
            "5000",
        ] + (["-R"] if reverse else [])
        res = lab.run_in(netlab.CLIENT_NS, argv, timeout=seconds + omit + 30)
        data = json.loads(res.stdout)
        return round(data["end"]["sum_received"]["bits_per_second"] / 1000, 1)
    except (ValueError, KeyError, netlab.LabError, netlab.subprocess.TimeoutExpired) as exc:
        print(f"  iperf3 failed: {exc}", file=sys.stderr)
        return None
    finally:
        lab.stop(server)


def measure(lab: netlab.Lab, sc: scen.Scenario, quick: bool) -> dict:
    """Apply `sc` and measure it with every tool; returns a dict of raw figures."""
    lab.apply(sc)
    loss_s, flood_s, tcp_s = (6, 3, 4) if quick else (20, 4, 8)
    omit = 4 if sc.rtt_ms >= 300 else 2  # let slow start finish on long links
    result = {"scenario": sc.as_dict(), "ping": ping_rtt(lab, sc, 100 if quick else 200)}
    # 200 small datagrams/s (~140 kbit/s on the wire): well under every link's rate, so only
    # the configured random loss (or the UDP block) drops them.
    result["udp"] = udp_probe(lab, loss_s, ["--pps", "200", "--size", "64"])
    result["flood"] = {}
    if not sc.udp_blocked:
        for direction, kbit in (("down", sc.down_kbit), ("up", sc.up_kbit)):
            if kbit > 0:
                r = udp_probe(
                    lab,
                    flood_s,
                    ["--kbit", str(kbit * 1.25), "--size", "1200"],
                    down=direction == "down",
                    up=direction == "up",
                )
                result["flood"][direction] = r[direction]
    result["tcp"] = {
        "down": iperf_tcp(lab, tcp_s, omit, reverse=True),
        "up": iperf_tcp(lab, tcp_s, omit, reverse=False),
    }
    return result


def rows(result: dict) -> list[list[str]]:
    """Two table rows (down, up) of configured vs measured figures."""
    sc = result["scenario"]
    ping = result["ping"]
    out = []
    for d in ("down", "up"):
        rate = sc[f"{d}_kbit"]
        udp = result["udp"][d]
        sent, got = udp["tx"]["sent"], udp["rx"]["received"]
        loss = 100 * (sent - got) / sent if sent else float("nan")
        flood = result["flood"].get(d, {}).get("rx", {}).get("rx_kbit_wire")
        tcp = result["tcp"][d]
        owd_cfg = sc["rtt_ms"] / 2
        rtt_txt = (
            f"{sc['rtt_ms']:.0f} / {ping['p50']:.1f} ({ping['min']:.1f}-{ping['max']:.1f})"
            if d == "down" and "p50" in ping
            else ""
        )
        out.append(
            [
                sc["name"] if d == "down" else "",
                d,
                str(rate),
                "-" if flood is None else f"{flood:.0f}",
                "-" if tcp is None else f"{tcp:.0f}",
                f"{sc[f'loss_{d}_pct']:g}",
                f"{loss:.2f} ({sent - got}/{sent})",
                rtt_txt,
                f"{owd_cfg:g} / {udp['rx'].get('owd_ms_p50', '-')}",
                f"{sc['jitter_ms']:g} / {udp['rx'].get('owd_ms_std', '-')} / {udp['rx'].get('jitter_rfc3550_ms', '-')}",
            ]
        )
    return out


HEADERS = [
    "scenario",
    "dir",
    "rate cfg kbit/s",
    "UDP flood kbit/s (wire)",
    "TCP goodput kbit/s",
    "loss cfg %",
    "loss meas % (lost/sent)",
    "RTT cfg / ping -U p50 (min-max) ms",
    "one-way cfg / p50 ms",
    "jitter cfg σ / one-way std / RFC 3550 ms",
]


def markdown(table: list[list[str]]) -> str:
    """Render rows as a Markdown table."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
    lines += ["| " + " | ".join(r) + " |" for r in table]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure the chosen scenarios and print the configured-vs-measured table."""
    p = argparse.ArgumentParser(description="Validate the network lab against ground truth.")
    p.add_argument("names", nargs="*", help="scenario names (default: all)")
    p.add_argument("--quick", action="store_true", help="shorter probes")
    p.add_argument("--json", help="also write raw results to this file")
    p.add_argument("--budget", type=float, default=1200, help="hard limit on total seconds")
    a = p.parse_args(argv)
    chosen = [scen.get(n) for n in a.names] if a.names else list(scen.SCENARIOS)
    netlab.exit_on_signals()
    netlab.deadline(a.budget)
    results, table = [], []
    started = time.monotonic()
    with netlab.Lab() as lab:
        for sc in chosen:
            t0 = time.monotonic()
            print(f"# {sc.name} ...", file=sys.stderr, flush=True)
            res = measure(lab, sc, a.quick)
            results.append(res)
            table += rows(res)
            print(f"#   done in {time.monotonic() - t0:.0f}s", file=sys.stderr, flush=True)
        lab.teardown()  # stops the last delay programs so their summaries are in
        delayq = list(lab.delayq_stats)
    print(markdown(table))
    if delayq:
        print("\ndelayq timer lateness (ms after the scheduled release; negative = released early):\n")
        print("| scenario | namespace | packets | max held | late p50 | late p99 | late max |")
        print("|---|---|---|---|---|---|---|")
        for d in delayq:
            print(
                f"| {d['scenario']} | {d['ns']} | {d['packets']} | {d['max_held']} | {d['late_ms_p50']} "
                f"| {d['late_ms_p99']} | {d['late_ms_max']} |"
            )
    print(
        f"\n(total {time.monotonic() - started:.0f}s; rates are tbf wire rates incl. Ethernet "
        f"headers, so TCP goodput tops out near 95.6 % of them)"
    )
    if a.json:
        Path(a.json).write_text(json.dumps({"results": results, "delayq": delayq}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
