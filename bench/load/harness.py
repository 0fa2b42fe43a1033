"""Pieces shared by the load scripts: a fresh PostgreSQL database, the seeded data, gunicorn in the
production set-up, a headless locust run, its CSV statistics, CPU accounting and the row count.

Nothing here is a test; ``run.py`` and ``breaking_point.py`` drive it.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parent))
from cpu import CpuMeter, children  # noqa: E402,F401  (re-exported: run.py and breaking_point.py use harness.X)
from locust_stats import EndpointStats, print_table, read_failures, read_stats  # noqa: E402,F401

ROOT = Path(__file__).resolve().parents[2]
BIN = ROOT / ".venv" / "bin"
LOCUSTFILE = Path(__file__).resolve().parent / "locustfile.py"

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


def python() -> str:
    """The interpreter running the bench (the project venv's)."""
    return sys.executable
