"""How many network checks one core sustains, and the CPU one check costs.

    .venv/bin/python bench/capacity.py [--levels 1,2,4,6,8] [--rate-cap-kbps 8000] [--rounds 2] [--json out.json]

The app runs under gunicorn (one worker, gunicorn.conf.py) pinned to CPU 0 (``taskset``); the
clients (the aiortc protocol client, preflight/network/reference_client.py, speaking exactly what
network.js speaks) run in another process pinned to the other CPU(s). Loopback, no shaping:
each check's ground truth is the pace cap (``--rate-cap-kbps``, the participant's line rate
in this model, applied by the server to downloads and by the client to uploads), so a figure
below it means the server could not keep up. For each level K, K checks start together,
``--rounds`` times; the table gives the rates as a share of the cap (worst check), the RTT,
the verdicts, how many checks the server judged strained (its loop could not keep up in some
phase: preflight/network/loop_load.py), the server worker's CPU use and the CPU seconds per check.

A level is "within targets" when every check connected, got its signed record, measured both
rates within 10 % of the cap and an RTT under 5 ms (loopback: anything more is queueing in the
server). Client CPU is reported too: when the clients' core is saturated the level says so,
and the server-side figures still give the CPU per check.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE / "netlab"))

import preflight_check as lab_plugin  # noqa: E402

from preflight.checks.network import strained_phases  # noqa: E402

CLK_TCK = os.sysconf("SC_CLK_TCK")
WIRE = (1161 + 93) / 1161  # payload -> IP level (protocol.CHUNK_PAYLOAD_BYTES, PACKET_OVERHEAD_BYTES)


def cpu_seconds(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def children(pid: int) -> list[int]:
    """Direct children of a process."""
    try:
        return [int(p) for p in Path(f"/proc/{pid}/task/{pid}/children").read_text().split()]
    except OSError:
        return []


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ----- the client process ------------------------------------------------------------------
def clients(args) -> int:
    """Run K checks at once, ``rounds`` times; print one JSON line with every result and our CPU."""
    tokens = Path(args.token_file).read_text().split()
    started_cpu, started = time.process_time(), time.monotonic()
    results = []
    with ThreadPoolExecutor(max_workers=args.k) as pool:
        for r in range(args.rounds):
            batch = tokens[r * args.k : (r + 1) * args.k]
            futures = [
                pool.submit(lab_plugin.python_client, args.url, token, f"capacity-{r}-{i}")
                for i, token in enumerate(batch)
            ]
            results.extend(f.result() for f in futures)
    wall = time.monotonic() - started
    print(
        json.dumps({"results": results, "client_cpu_s": time.process_time() - started_cpu, "wall_s": wall}), flush=True
    )
    return 0


# ----- the driver --------------------------------------------------------------------------
def level(args, url: str, token_file: str, worker: int, k: int) -> dict:
    """One level: K concurrent checks, ``rounds`` times, with the server worker's CPU use."""
    cpu0, t0 = cpu_seconds(worker), time.monotonic()
    env = dict(os.environ, PREFLIGHT_NETWORK_RATE_CAP_KBPS=str(args.rate_cap_kbps))
    cmd = [
        "taskset",
        "-c",
        args.client_cpus,
        sys.executable,
        __file__,
        "clients",
        "--url",
        url,
        "--token-file",
        token_file,
        "--k",
        str(k),
        "--rounds",
        str(args.rounds),
    ]
    out = subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=120 + 60 * args.rounds)
    wall = time.monotonic() - t0
    server_cpu = cpu_seconds(worker) - cpu0
    line = next((ln for ln in reversed(out.stdout.splitlines()) if ln.startswith("{")), None)
    if line is None:
        raise RuntimeError(f"clients printed nothing: {out.stderr[-2000:]}")
    data = json.loads(line)
    cap_wire = args.rate_cap_kbps * WIRE
    rows = data["results"]
    downs = [(r["metrics"].get("download_kbps") or 0) / cap_wire for r in rows]
    ups = [(r["metrics"].get("upload_kbps") or 0) / cap_wire for r in rows]
    rtts = [r["metrics"].get("rtt_ms") for r in rows if r["metrics"].get("rtt_ms") is not None]
    durations = [(r["raw"] or {}).get("duration_ms") or 0 for r in rows]
    # Checks whose server said it could not keep up in some phase (loop_load.py, SERVER_LOAD_THRESHOLDS).
    records = [lab_plugin.server_record(r["raw"] or {}) for r in rows]
    strained = sum(1 for record in records if strained_phases(record))
    windows = [w for record in records for w in (record.get("server_load") or {}).values()]
    ok = (
        all(r["verdict"] is not None and (r["raw"] or {}).get("server") for r in rows)
        and min(downs + ups) >= 0.9
        and (max(rtts) if rtts else 99) < 5
    )
    checks = len(rows)
    check_seconds = sum(durations) / 1000
    return {
        "k": k,
        "checks": checks,
        "ok": ok,
        "down_share_min": round(min(downs), 3),
        "up_share_min": round(min(ups), 3),
        "down_share_median": round(statistics.median(downs), 3),
        "up_share_median": round(statistics.median(ups), 3),
        "rtt_ms_median": round(statistics.median(rtts), 1) if rtts else None,
        "rtt_ms_max": round(max(rtts), 1) if rtts else None,
        "verdicts": dict(Counter(f"{r['verdict']} {r.get('reason')}" for r in rows)),
        "strained": strained,
        # The worst phase of any check: the loop's late wake-ups (p90, ms) and its CPU share.
        "loop_late_max_ms": max((w["late_p90_ms"] for w in windows), default=None),
        "loop_cpu_max": max((w["cpu"] for w in windows), default=None),
        "check_s_median": round(statistics.median(durations) / 1000, 1),
        "server_cpu_s": round(server_cpu, 2),
        "server_cpu_share": round(server_cpu / wall, 2),
        "server_cpu_s_per_check": round(server_cpu / checks, 3),
        # CPU share of one core one running check keeps busy, averaged over its duration.
        "server_core_per_running_check": round(server_cpu / check_seconds, 3) if check_seconds else None,
        "client_cpu_share": round(data["client_cpu_s"] / data["wall_s"], 2),
        "wall_s": round(wall, 1),
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="cmd")
    c = sub.add_parser("clients")
    c.add_argument("--url", required=True)
    c.add_argument("--token-file", required=True)
    c.add_argument("--k", type=int, required=True)
    c.add_argument("--rounds", type=int, default=1)
    p.add_argument("--levels", default="1,2,4,6,8")
    p.add_argument("--rate-cap-kbps", type=int, default=8000)
    p.add_argument("--rounds", type=int, default=2)
    p.add_argument("--server-cpu", default="0")
    p.add_argument("--client-cpus", default="1")
    p.add_argument("--json")
    a = p.parse_args(argv)
    if a.cmd == "clients":
        return clients(a)

    levels = [int(x) for x in a.levels.split(",")]
    workdir = Path(tempfile.mkdtemp(prefix="pf-capacity-"))
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env, tokens = lab_plugin.prepare(
        workdir,
        url,
        participants=max(levels) * a.rounds,
        max_checks=4 * max(levels),
        extra_env={
            "PREFLIGHT_BIND": f"127.0.0.1:{port}",
            "PREFLIGHT_WORKERS": "1",
            "PREFLIGHT_THREADS": "16",
            "PREFLIGHT_NETWORK_RATE_CAP_KBPS": str(a.rate_cap_kbps),
        },
    )
    token_file = str(workdir / "tokens.txt")
    Path(token_file).write_text("\n".join(tokens) + "\n")
    server = subprocess.Popen(
        ["taskset", "-c", a.server_cpu, *lab_plugin.gunicorn_argv()],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(workdir / "gunicorn.log", "w"),
    )
    report = {"rate_cap_kbps": a.rate_cap_kbps, "rounds": a.rounds, "cpus": os.cpu_count(), "levels": []}
    try:
        if not lab_plugin.wait_port("127.0.0.1", port, 30):
            raise RuntimeError(f"server not listening on {port}")
        worker, deadline = None, time.monotonic() + 15
        while worker is None and time.monotonic() < deadline:  # the master listens before it forks
            worker = next(iter(children(server.pid)), None)
            time.sleep(0.1)
        if worker is None:
            raise RuntimeError("no gunicorn worker found")
        lab_plugin.python_client(url, tokens[0], "capacity-warmup")  # the worker's loop, imports, caches
        print(
            f"cap {a.rate_cap_kbps} kbit/s per direction per check; server on CPU {a.server_cpu}, clients on CPU "
            f"{a.client_cpus}"
        )
        print(
            "| concurrent | checks | down min/med | up min/med | RTT med/max ms | verdicts | strained | "
            "loop late ms / CPU, worst phase | check s | server core | CPU s/check | core per running check | "
            "client core | within targets |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
        for k in levels:
            row = level(a, url, token_file, worker, k)
            report["levels"].append(row)
            print(
                f"| {k} | {row['checks']} | {row['down_share_min']:.2f} / {row['down_share_median']:.2f} | "
                f"{row['up_share_min']:.2f} / {row['up_share_median']:.2f} | {row['rtt_ms_median']} / "
                f"{row['rtt_ms_max']} | "
                f"{row['verdicts']} | {row['strained']} | "
                f"{row['loop_late_max_ms']} / {row['loop_cpu_max']} | {row['check_s_median']} | "
                f"{row['server_cpu_share']:.0%} | "
                f"{row['server_cpu_s_per_check']} | "
                f"{row['server_core_per_running_check']} | {row['client_cpu_share']:.0%} | "
                f"{'yes' if row['ok'] else 'no'} |",
                flush=True,
            )
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
    if a.json:
        Path(a.json).write_text(json.dumps(report, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
