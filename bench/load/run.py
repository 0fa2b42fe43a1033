"""The 1,000-participant load test against the production set-up, on loopback.

    .venv/bin/python bench/load/run.py            # 1,000 participants arriving over 10 minutes + 5 dashboards
    .venv/bin/python bench/load/run.py --quick    # 100 participants over 60 s (smoke run)

It creates a fresh PostgreSQL database (``--database``, default ``preflight_load`` on
``--pg postgresql+psycopg://postgres@127.0.0.1:5432/postgres``), migrates it with ``flask migrate``,
seeds one event with the participants and agents (``seed.py``), starts gunicorn with
``gunicorn.conf.py`` in production mode (``--workers``, ``--threads``), runs locust headless
(``locustfile.py``), then prints requests/s, p50/p95/p99 per endpoint, errors, CPU used by each
side, and result rows stored against rows expected. Exit status 0 only when the targets hold:
no errors, no lost result, p95 under 200 ms for the participant page and the result post.

All simulated participants come from 127.0.0.1, so the public rate limit is raised for the server
under test (see ``harness.server_env``); ``--redis`` keeps the counters in Redis as a multi-worker
deployment would.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import harness  # noqa: E402

TARGET_P95_MS = 200
CHECKS = ("browser", "camera", "microphone", "speakers", "network")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Preflight load test (locust + gunicorn + PostgreSQL on loopback).")
    parser.add_argument("--quick", action="store_true", help="100 participants over 60 s")
    parser.add_argument("--participants", type=int, help="participants arriving (default 1000, quick 100)")
    parser.add_argument("--arrival-seconds", type=float, help="over how long they arrive (default 600, quick 60)")
    parser.add_argument("--staff", type=int, default=5, help="dashboards refreshing")
    # Default: what gunicorn.conf.py picks (one per core, at most 4).
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("PREFLIGHT_WORKERS", min(4, os.cpu_count() or 1)))
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("PREFLIGHT_THREADS", 8)))
    parser.add_argument("--port", type=int, default=5077)
    parser.add_argument(
        "--pg",
        default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres",
        help="admin URL of the PostgreSQL server",
    )
    parser.add_argument("--database", default="preflight_load")
    parser.add_argument("--redis", nargs="?", const="redis://127.0.0.1:6379/0", help="rate-limit storage in Redis")
    parser.add_argument("--think", type=float, default=1.0, help="multiplier on participants' think times")
    parser.add_argument(
        "--stay", type=float, default=60, help="seconds a participant keeps the page open after the check"
    )
    parser.add_argument("--out", type=Path, help="directory for CSV, logs and the JSON summary (default: a temp dir)")
    args = parser.parse_args(argv)
    args.participants = args.participants or (100 if args.quick else 1000)
    args.arrival_seconds = args.arrival_seconds or (60 if args.quick else 600)
    return args


def flow_seconds(think: float, stay: float) -> float:
    """Longest time one participant spends on the page (think times +30 %, the stay, slack for latency)."""
    return (5 + 1 + 5 + 5 + 8 + 15 + 10 + 20) * think * 1.3 + stay * think + 60


def run(args) -> dict:
    """Set everything up, run, tear down; return the figures."""
    out = args.out or Path(tempfile.mkdtemp(prefix="preflight-load-"))
    out.mkdir(parents=True, exist_ok=True)
    secret = harness.new_secret()
    database_url = harness.fresh_database(args.pg, args.database)
    seed = harness.migrate_and_seed(database_url, secret, args.participants, max(1, args.staff), out / "seed.json")
    env = harness.server_env(
        database_url, secret, port=args.port, workers=args.workers, threads=args.threads, redis_url=args.redis
    )
    server = harness.Server(env, out / "gunicorn.log")
    server.start()
    try:
        harness.warm_up(server.url, seed["warm_up"])
        locust_env = dict(
            os.environ,
            LOAD_SEED=str(out / "seed.json"),
            LOAD_PARTICIPANTS=str(args.participants),
            LOAD_ACKS=str(out / "acks.json"),
            LOAD_THINK=str(args.think),
            LOAD_STAY=str(args.stay),
            LOAD_STAFF=str(args.staff),
        )
        spawn_rate = args.participants / args.arrival_seconds
        run_time = int(args.arrival_seconds + flow_seconds(args.think, args.stay))
        meter = harness.CpuMeter(server)
        started = time.monotonic()
        with harness.Analyzer(database_url) as analyzer:
            code = harness.run_locust(
                server.url,
                out / "locust",
                users=args.participants + args.staff,
                spawn_rate=spawn_rate,
                run_time=run_time,
                env=locust_env,
                meter=meter,
                log_path=out / "locust.log",
            )
        duration = time.monotonic() - started
        cpu = meter.end()
    finally:
        server.stop()
    stats = harness.read_stats(out / "locust")
    failures = harness.read_failures(out / "locust")
    acks = json.loads((out / "acks.json").read_text()) if (out / "acks.json").exists() else {"acks": [], "finished": 0}
    rows = harness.count_rows(database_url, seed["event_id"])
    acked = {tuple(a) for a in acks["acks"]}
    lost = sorted(acked - rows["stored"])
    summary = {
        "participants": args.participants,
        "arrival_seconds": args.arrival_seconds,
        "staff": args.staff,
        "workers": args.workers,
        "threads": args.threads,
        "redis": bool(args.redis),
        "duration_s": round(duration, 1),
        "server_autovacuum": analyzer.autovacuum,
        "locust_exit": code,
        "finished": acks["finished"],
        "resent": acks.get("resent", 0),
        "endpoints": [vars(s) for s in stats],
        "failures": failures,
        "cpu_seconds": cpu,
        "rows": {
            "runs": rows["runs"],
            "runs_expected": args.participants,
            "results": rows["results"],
            "results_expected": args.participants * len(CHECKS),
            "acknowledged": len(acked),
            "lost": len(lost),
        },
        "out": str(out),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1))
    return summary


def report(summary: dict) -> bool:
    """Print the figures; True when every target holds."""
    stats = [harness.EndpointStats(**e) for e in summary["endpoints"]]
    duration = summary["duration_s"]
    print()
    print(
        f"Preflight load test: {summary['participants']} participants over {summary['arrival_seconds']:.0f} s, "
        f"{summary['staff']} dashboards; gunicorn {summary['workers']} workers x {summary['threads']} threads, "
        "PostgreSQL"
        f"{', Redis rate limits' if summary['redis'] else ''}; {duration:.0f} s wall"
    )
    if summary.get("server_autovacuum") == "off":
        print(
            "(PostgreSQL runs with autovacuum off here: the script ANALYZEs every 30 s, as autovacuum would in "
            "production)"
        )
    harness.print_table(stats, duration)
    total = next((s for s in stats if s.name == "Aggregated"), None)
    errors = total.failures if total else 0
    print(f"\nrequests/s (whole run): {total.requests / duration:.1f}" if total else "")
    print(f"errors: {errors}")
    for failure in summary["failures"][:10]:
        print(f"  {failure.get('Occurrences')} x {failure.get('Method')} {failure.get('Name')}: {failure.get('Error')}")
    rows = summary["rows"]
    print(
        f"participants finished: {summary['finished']} / {summary['participants']}; requests resent after a keep-alive "
        "close "
        f"(as browsers do, listed above, not errors): {summary.get('resent', 0)}"
    )
    print(
        f"check_run rows: {rows['runs']} stored / {rows['runs_expected']} expected; "
        f"check_result rows: {rows['results']} stored / {rows['results_expected']} expected; "
        f"acknowledged results missing from the database: {rows['lost']}"
    )
    cpu = summary["cpu_seconds"]
    print(
        f"CPU seconds: gunicorn {cpu['gunicorn']:.0f}, postgres {cpu['postgres']:.0f}, locust {cpu['locust']:.0f}, "
        f"other processes {cpu.get('other', 0):.0f} (of {duration * cpu.get('cores', 1):.0f} available); "
        f"machine busy {100 * cpu['machine_busy_share']:.0f}% on average, {100 * cpu['machine_peak_busy_share']:.0f}% "
        "at the busiest second"
    )
    ok = (
        errors == 0
        and rows["lost"] == 0
        and rows["results"] == rows["results_expected"]
        and rows["runs"] == rows["runs_expected"]
    )
    for name in harness.TARGETED:
        line = next((s for s in stats if s.name == name), None)
        if line is None or line.p95 >= TARGET_P95_MS:
            ok = False
        print(f"p95 {name}: {line.p95 if line else float('nan'):.0f} ms (target < {TARGET_P95_MS} ms)")
    print(f"targets: {'MET' if ok else 'NOT MET'}   (files in {summary['out']})")
    return ok


def main(argv=None) -> int:
    args = parse_args(argv)
    return 0 if report(run(args)) else 1


if __name__ == "__main__":
    sys.exit(main())
