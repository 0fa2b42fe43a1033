"""Find the breaking point: raise the participants' arrival rate step by step until the p95 latency of
the participant page or the result post passes 1 s, or errors appear.

    .venv/bin/python bench/load/breaking_point.py                     # rates 2, 4, 6, 8, 12, 16, 24, 32 per second
    .venv/bin/python bench/load/breaking_point.py --rates 4,8,16 --workers 2 --redis

Same set-up and scenario as ``run.py`` (gunicorn in production mode, PostgreSQL, locust on loopback,
5 dashboards), started once; each step is its own locust run with fresh participants arriving at
the step's rate for ``--step-seconds`` (default 60), and lasts until they have all finished. Prints
one line per step: requests/s, p50/p95/p99 of the page and the post, errors, rows stored against
rows expected, and where the CPU went (gunicorn, PostgreSQL, locust, anything else).
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
from run import CHECKS, flow_seconds  # noqa: E402

LIMIT_MS = 1000


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description="Raise the arrival rate until p95 > 1 s or errors appear.")
    parser.add_argument(
        "--rates", default="2,4,6,8,12,16,24,32", help="participants arriving per second, one step each"
    )
    parser.add_argument("--step-seconds", type=float, default=60, help="arrival window of each step")
    parser.add_argument("--staff", type=int, default=5)
    # Default: what gunicorn.conf.py picks (one per core, at most 4).
    parser.add_argument(
        "--workers", type=int, default=int(os.environ.get("PREFLIGHT_WORKERS", min(4, os.cpu_count() or 1)))
    )
    parser.add_argument("--threads", type=int, default=int(os.environ.get("PREFLIGHT_THREADS", 8)))
    parser.add_argument("--port", type=int, default=5078)
    parser.add_argument("--pg", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--database", default="preflight_breaking")
    parser.add_argument("--redis", nargs="?", const="redis://127.0.0.1:6379/0")
    parser.add_argument("--think", type=float, default=1.0)
    parser.add_argument("--stay", type=float, default=30)
    parser.add_argument("--keep-going", action="store_true", help="run every step even after the limit is passed")
    parser.add_argument("--out", type=Path)
    return parser.parse_args(argv)


def step_line(
    rate: float, stats: list[harness.EndpointStats], duration: float, rows: dict, expected: int, cpu: dict
) -> dict:
    """The figures of one step."""
    by_name = {s.name: s for s in stats}
    page, post = by_name.get(harness.TARGETED[0]), by_name.get(harness.TARGETED[1])
    total = by_name.get("Aggregated")
    return {
        "rate": rate,
        "duration_s": round(duration, 1),
        "rps": round(total.requests / duration, 1) if total else 0.0,
        "errors": total.failures if total else 0,
        "page": [page.p50, page.p95, page.p99] if page else None,
        "post": [post.p50, post.p95, post.p99] if post else None,
        "runs": rows["runs"],
        "results": rows["results"],
        "results_expected": expected,
        "cpu": {k: round(v, 1) if isinstance(v, float) else v for k, v in cpu.items()},
    }


def print_step(line: dict) -> None:
    cpu = line["cpu"]
    wall = line["duration_s"] * cpu.get("cores", 1)
    share = lambda key: 100 * cpu.get(key, 0) / wall if wall else 0  # noqa: E731
    print(
        f"{line['rate']:>5.1f}/s  {line['rps']:>6.1f} req/s  page p50/p95/p99 {_fmt(line['page'])}  post "
        f"{_fmt(line['post'])}  "
        f"errors {line['errors']:>4}  resent {line.get('resent')}  results "
        f"{line['results']}/{line['results_expected']}  "
        f"CPU gunicorn {share('gunicorn'):.0f}% pg {share('postgres'):.0f}% locust {share('locust'):.0f}% other "
        f"{share('other'):.0f}%",
        flush=True,
    )


def _fmt(values) -> str:
    return "/".join(f"{v:.0f}" for v in values) if values else "-"


def main(argv=None) -> int:
    args = parse_args(argv)
    rates = [float(r) for r in args.rates.split(",")]
    out = args.out or Path(tempfile.mkdtemp(prefix="preflight-breaking-"))
    out.mkdir(parents=True, exist_ok=True)
    per_step = [int(round(rate * args.step_seconds)) for rate in rates]
    secret = harness.new_secret()
    database_url = harness.fresh_database(args.pg, args.database)
    seed = harness.migrate_and_seed(database_url, secret, sum(per_step), max(1, args.staff), out / "seed.json")
    env = harness.server_env(
        database_url, secret, port=args.port, workers=args.workers, threads=args.threads, redis_url=args.redis
    )
    server = harness.Server(env, out / "gunicorn.log")
    server.start()
    lines, offset, expected, limit = [], 0, 0, None
    print(
        f"gunicorn {args.workers} workers x {args.threads} threads, PostgreSQL{', Redis' if args.redis else ''}; "
        f"{args.step_seconds:.0f} s of arrivals per step; output in {out}",
        flush=True,
    )
    try:
        harness.warm_up(server.url, seed["warm_up"])
        for rate, count in zip(rates, per_step):
            prefix = out / f"step-{rate:g}"
            locust_env = dict(
                os.environ,
                LOAD_SEED=str(out / "seed.json"),
                LOAD_PARTICIPANTS=str(count),
                LOAD_TOKEN_OFFSET=str(offset),
                LOAD_ACKS=f"{prefix}-acks.json",
                LOAD_THINK=str(args.think),
                LOAD_STAY=str(args.stay),
                LOAD_STAFF=str(args.staff),
            )
            meter = harness.CpuMeter(server)
            started = time.monotonic()
            with harness.Analyzer(database_url):  # autovacuum's statistics (off on this machine's PostgreSQL)
                harness.run_locust(
                    server.url,
                    prefix,
                    users=count + args.staff,
                    spawn_rate=rate,
                    run_time=int(args.step_seconds + flow_seconds(args.think, args.stay) + 120),
                    env=locust_env,
                    meter=meter,
                    log_path=out / "locust.log",
                )
            duration = time.monotonic() - started
            cpu = meter.end()
            offset += count
            expected += count * len(CHECKS)
            rows = harness.count_rows(database_url, seed["event_id"])
            line = step_line(rate, harness.read_stats(prefix), duration, rows, expected, cpu)
            acks = Path(f"{prefix}-acks.json")
            line["resent"] = json.loads(acks.read_text()).get("resent", 0) if acks.exists() else None
            lines.append(line)
            print_step(line)
            worst = max((line["page"] or [0, 0, 0])[1], (line["post"] or [0, 0, 0])[1])
            if limit is None and (worst > LIMIT_MS or line["errors"] or line["results"] < expected):
                limit = rate
                if not args.keep_going:
                    break
    finally:
        server.stop()
    (out / "breaking_point.json").write_text(json.dumps(lines, indent=1))
    last_good = max((line["rate"] for line in lines if limit is None or line["rate"] < limit), default=None)
    print(
        f"highest rate within the limits (p95 <= {LIMIT_MS} ms, no error, nothing lost): {last_good}/s; "
        f"first rate past them: {limit if limit is not None else 'not reached'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
