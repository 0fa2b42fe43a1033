"""Pieces shared by the load scripts: a fresh PostgreSQL database, the seeded data, gunicorn in the
production set-up, a headless locust run, its CSV statistics, CPU accounting and the row count.

Nothing here is a test; ``run.py`` and ``breaking_point.py`` drive it.
"""

from __future__ import annotations

import csv
import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"
CLK_TCK = os.sysconf("SC_CLK_TCK")

# Endpoints that carry the targets (locust request names, see locustfile.py).
TARGETED = ("GET /c/[token]", "POST /c/[token]/results")


def fresh_database(admin_url: str, name: str) -> str:
    """Drop and recreate database ``name`` on the server of ``admin_url``; return its URL."""
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        admin.dispose()
    return make_url(admin_url).set(database=name).render_as_string(hide_password=False)


def server_env(
    database_url: str, secret_key: str, *, port: int, workers: int, threads: int, redis_url: str | None
) -> dict:
    """Environment of the server under test: production mode, generous per-address limits.

    Every simulated participant comes from 127.0.0.1, so the per-address limit on public endpoints
    would throttle the whole crowd as one client; it is raised here (or counted in Redis with
    ``--redis``, still raised). Real participants each have their own address.
    """
    env = dict(os.environ)
    env.update(
        PREFLIGHT_ENV="production",
        PREFLIGHT_SECRET_KEY=secret_key,
        PREFLIGHT_DATABASE_URL=database_url,
        PREFLIGHT_BIND=f"127.0.0.1:{port}",
        PREFLIGHT_BASE_URL=f"http://127.0.0.1:{port}",
        PREFLIGHT_WORKERS=str(workers),
        PREFLIGHT_THREADS=str(threads),
        PREFLIGHT_RATELIMIT_PUBLIC="1000000 per minute",
        # Every simulated participant comes from 127.0.0.1: lift the per-address share of check slots.
        PREFLIGHT_MAX_CHECKS_PER_ADDRESS="1000",
        PREFLIGHT_RATELIMIT_LOGIN="1000 per minute",
        PREFLIGHT_RATELIMIT_STORAGE_URL=redis_url or "memory://",
        PREFLIGHT_SMTP_HOST="",
    )
    return env


def migrate_and_seed(database_url: str, secret_key: str, participants: int, agents: int, seed_file: Path) -> dict:
    """Apply the migrations with ``flask migrate`` and seed with ``seed.py``."""
    env = dict(os.environ, PREFLIGHT_DATABASE_URL=database_url, PREFLIGHT_SECRET_KEY=secret_key)
    subprocess.run(
        [str(BIN / "flask"), "--app", "wsgi", "migrate"], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL
    )
    subprocess.run(
        [
            str(BIN / "python"),
            str(Path(__file__).with_name("seed.py")),
            "--database-url",
            database_url,
            "--secret-key",
            secret_key,
            "--participants",
            str(participants),
            "--agents",
            str(agents),
            "--out",
            str(seed_file),
        ],
        cwd=ROOT,
        env=env,
        check=True,
    )
    return json.loads(seed_file.read_text())


class Analyzer:
    """ANALYZE the database every ``every`` seconds while a run goes on, as autovacuum would.

    This machine's PostgreSQL runs with ``autovacuum = off`` (a shared test server); without fresh
    statistics the planner keeps estimating the tables as empty and picks nested loops that cost
    seconds once thousands of participants have results. Production servers keep autovacuum on
    (the default), which analyzes a table after 10 % of it changed, checking every minute."""

    def __init__(self, database_url: str, every: float = 30):
        import threading

        self.url, self.every = database_url, every
        self.stop_event = threading.Event()
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.autovacuum = None

    def analyze(self) -> None:
        engine = create_engine(self.url, isolation_level="AUTOCOMMIT")
        try:
            with engine.connect() as conn:
                if self.autovacuum is None:
                    self.autovacuum = conn.execute(text("SHOW autovacuum")).scalar_one()
                conn.execute(text("ANALYZE"))
        finally:
            engine.dispose()

    def _loop(self) -> None:
        while not self.stop_event.wait(self.every):
            self.analyze()

    def __enter__(self) -> "Analyzer":
        self.analyze()
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop_event.set()
        self.thread.join(timeout=60)


def new_secret() -> str:
    """A production-grade secret key for one run."""
    return secrets.token_urlsafe(48)


class Server:
    """gunicorn with ``gunicorn.conf.py``, started in its own process group."""

    def __init__(self, env: dict, log_path: Path):
        self.env = env
        self.log_path = log_path
        self.proc: subprocess.Popen | None = None
        self.url = env["PREFLIGHT_BASE_URL"]

    def start(self, timeout: float = 60) -> None:
        """Start and wait until ``/healthz`` answers 200."""
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.url + "/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError(f"gunicorn did not become healthy in {timeout} s; see {self.log_path}")

    def pids(self) -> list[int]:
        """The master and its workers."""
        if self.proc is None:
            return []
        return [self.proc.pid, *children(self.proc.pid)]

    def stop(self) -> None:
        """Graceful stop (SIGTERM to the master), then SIGKILL the group if needed."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self.log.close()


def warm_up(base_url: str, tokens: list[str], rounds: int = 48) -> None:
    """Open the warm-up participants' pages and post a full run, concurrently so every worker gets
    some: a production server has served requests before the crowd arrives (templates compiled,
    catalogs loaded, connections pooled), and the run should measure that state, not the first hit."""
    import http.cookiejar
    import re
    from concurrent.futures import ThreadPoolExecutor

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import locustfile  # the payloads

    class Policy(http.cookiejar.DefaultCookiePolicy):
        def return_ok_secure(self, cookie, request):
            return True

    def one(n: int) -> None:
        token = tokens[n % len(tokens)]
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar(Policy())))
        language = ("en", "fr", "de", "es")[n % 4]
        with opener.open(
            urllib.request.Request(f"{base_url}/c/{token}", headers={"Accept-Language": language}), timeout=30
        ) as page:
            html = page.read().decode()
        csrf = re.search(r'<meta name="csrf-token" content="([^"]+)"', html)
        body = json.dumps({"run_id": f"warmup{n:04d}xx", "checks": {c: f() for c, f, _ in locustfile.STEPS}}).encode()
        request = urllib.request.Request(
            f"{base_url}/c/{token}/results",
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf.group(1) if csrf else ""},
        )
        with opener.open(request, timeout=30) as response:
            response.read()
        with opener.open(f"{base_url}/staff/login", timeout=30) as response:
            response.read()

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(rounds)))


def children(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    path = Path(f"/proc/{pid}/task/{pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def cpu_seconds(pid: int) -> float:
    """User+system CPU seconds used so far by ``pid`` (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def pids_named(name: str) -> list[int]:
    """Processes whose command name is ``name`` (e.g. ``postgres``)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == name:
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


def system_cpu() -> tuple[float, float]:
    """(busy, total) jiffies of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return sum(values) - idle, sum(values)


@dataclass
class CpuMeter:
    """CPU seconds used by the server, PostgreSQL, locust and the machine during a run.

    Processes that exit or appear during the run are counted by sampling every second."""

    server: Server
    locust_pid: int | None = None
    samples: dict[str, dict[int, float]] = field(default_factory=lambda: {"gunicorn": {}, "postgres": {}, "locust": {}})
    start_usage: dict[str, dict[int, float]] = field(default_factory=dict)
    machine_start: tuple[float, float] = (0.0, 0.0)
    machine_end: tuple[float, float] = (0.0, 0.0)
    peak_busy: float = 0.0

    def _groups(self) -> dict[str, list[int]]:
        groups = {"gunicorn": self.server.pids(), "postgres": pids_named("postgres"), "locust": []}
        if self.locust_pid:
            groups["locust"] = [self.locust_pid, *children(self.locust_pid)]
        return groups

    def begin(self) -> None:
        """Remember where every process stood before the run."""
        self.machine_start = system_cpu()
        self._last = self.machine_start
        for group, pids in self._groups().items():
            self.start_usage[group] = {pid: cpu_seconds(pid) for pid in pids}
            self.samples[group] = dict(self.start_usage[group])

    def sample(self) -> None:
        """Record current usage (call about once a second)."""
        for group, pids in self._groups().items():
            for pid in pids:
                used = cpu_seconds(pid)
                if used:
                    self.samples[group][pid] = used
                    self.start_usage.setdefault(group, {}).setdefault(pid, 0.0)
        now = system_cpu()
        busy, total = now[0] - self._last[0], now[1] - self._last[1]
        if total > 0:
            self.peak_busy = max(self.peak_busy, busy / total)
        self._last = now

    def end(self) -> dict:
        """CPU seconds per group and the machine's average busy share."""
        self.sample()
        self.machine_end = system_cpu()
        used = {
            group: sum(v - self.start_usage[group].get(pid, 0.0) for pid, v in pids.items())
            for group, pids in self.samples.items()
        }
        busy = self.machine_end[0] - self.machine_start[0]
        total = self.machine_end[1] - self.machine_start[1]
        used["machine_busy_share"] = busy / total if total else 0.0
        used["machine_peak_busy_share"] = self.peak_busy
        # Everything else that ran meanwhile (other jobs on a shared machine skew the latencies).
        used["other"] = max(0.0, busy / CLK_TCK - used["gunicorn"] - used["postgres"] - used["locust"])
        used["cores"] = os.cpu_count() or 1
        return used


def run_locust(
    host: str,
    csv_prefix: Path,
    *,
    users: int,
    spawn_rate: float,
    run_time: int,
    env: dict,
    meter: CpuMeter | None = None,
    log_path: Path,
) -> int:
    """Run locust headless; sample CPU while it runs; return its exit code."""
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--host",
        host,
        "--users",
        str(users),
        "--spawn-rate",
        f"{spawn_rate:.4f}",
        "--run-time",
        f"{run_time}s",
        "--csv",
        str(csv_prefix),
        "--only-summary",
        "--stop-timeout",
        "10",
        "--exit-code-on-error",
        "1",
        "--loglevel",
        "WARNING",
    ]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        if meter is not None:
            meter.locust_pid = proc.pid
            meter.begin()
        while proc.poll() is None:
            time.sleep(1)
            if meter is not None:
                meter.sample()
    return proc.returncode


@dataclass
class EndpointStats:
    """One line of locust's ``*_stats.csv``."""

    name: str
    requests: int
    failures: int
    rps: float
    p50: float
    p95: float
    p99: float
    max: float


def read_stats(csv_prefix: Path) -> list[EndpointStats]:
    """Per-endpoint figures plus the ``Aggregated`` line (last)."""
    rows = []
    with open(f"{csv_prefix}_stats.csv", newline="") as handle:
        for row in csv.DictReader(handle):
            name = row["Name"] if row["Type"] in ("", None) else f"{row['Type']} {row['Name']}"
            rows.append(
                EndpointStats(
                    name=name.strip(),
                    requests=int(row["Request Count"]),
                    failures=int(row["Failure Count"]),
                    rps=float(row["Requests/s"]),
                    p50=_num(row["50%"]),
                    p95=_num(row["95%"]),
                    p99=_num(row["99%"]),
                    max=_num(row["Max Response Time"]),
                )
            )
    return rows


def read_failures(csv_prefix: Path) -> list[dict]:
    """Locust's failure table (method, name, error, occurrences)."""
    path = Path(f"{csv_prefix}_failures.csv")
    if not path.exists():
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _num(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def count_rows(database_url: str, event_id: int) -> dict[str, int]:
    """check_run / check_result rows stored for the event."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            runs = conn.execute(
                text(
                    "SELECT count(*) FROM check_run r JOIN participant p ON p.id = r.participant_id WHERE p.event_id = "
                    ":e"
                ),
                {"e": event_id},
            ).scalar_one()
            results = conn.execute(
                text(
                    "SELECT count(*) FROM check_result c JOIN check_run r ON r.id = c.run_id JOIN participant p ON "
                    "p.id = r.participant_id "
                    "WHERE p.event_id = :e"
                ),
                {"e": event_id},
            ).scalar_one()
            stored = {
                (key, check)
                for key, check in conn.execute(
                    text(
                        'SELECT r.run_key, c."check" FROM check_result c JOIN check_run r ON r.id = c.run_id JOIN '
                        "participant p ON p.id = r.participant_id "
                        "WHERE p.event_id = :e"
                    ),
                    {"e": event_id},
                )
            }
    finally:
        engine.dispose()
    return {"runs": runs, "results": results, "stored": stored}


def print_table(stats: list[EndpointStats], duration: float) -> None:
    """The per-endpoint table."""
    print(f"{'endpoint':54} {'requests':>9} {'fail':>5} {'req/s':>7} {'p50':>6} {'p95':>6} {'p99':>6} {'max':>7}  (ms)")
    for s in stats:
        print(
            f"{s.name[:54]:54} {s.requests:>9} {s.failures:>5} {s.requests / duration if duration else 0:>7.1f} "
            f"{s.p50:>6.0f} {s.p95:>6.0f} {s.p99:>6.0f} {s.max:>7.0f}"
        )


def python() -> str:
    """The interpreter running the bench (the project venv's)."""
    return sys.executable
