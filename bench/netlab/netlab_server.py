"""The lab's server side for the real network check: a fresh database with an event and its
participants, the app under gunicorn as production runs it, and (for TURN scenarios) coturn.
Used by preflight_check.py (``server`` command) and bench/capacity.py."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO))

VENV_PY = REPO / ".venv" / "bin" / "python"
TOKEN_FILE = "/tmp/pf-netlab-token.txt"
SECRET = "netlab-secret-key-long-enough-for-production-0123456789"
PLATFORM, ROLE = "generic", "attendee"

# The lab's TURN server (scenarios with turn_tcp): coturn, TCP listener only, long-term credentials.
TURN_PORT, TURN_USER, TURN_PASSWORD = 3478, "lab", "lab-turn-password"
TURN_LIFETIME_S = 300  # it dies by itself: the lab's teardown removes namespaces, not processes


# ----- server ---------------------------------------------------------------------------------
def prepare(
    workdir: Path,
    url: str,
    *,
    participants: int = 1,
    platform: str = PLATFORM,
    role: str = ROLE,
    max_checks: int = 16,
    extra_env: dict | None = None,
) -> tuple[dict, list[str]]:
    """A fresh SQLite database with one event and ``participants`` participants.

    Returns the environment to run the app with and the participants' link tokens.
    """
    env = dict(
        os.environ,
        # This checkout's code, also where the virtual environment's editable install points at
        # another checkout (a worktree sharing it for an A/B run): gunicorn imports the app's
        # logger class as it reads its config, before --chdir puts this checkout on the path.
        PYTHONPATH=os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")])),
        PREFLIGHT_DATABASE_URL=f"sqlite:///{workdir / 'preflight.sqlite3'}",
        PREFLIGHT_SECRET_KEY=SECRET,
        PREFLIGHT_BASE_URL=url,
        PREFLIGHT_RATELIMIT_PUBLIC="100000 per minute",
        PREFLIGHT_MAX_CONCURRENT_CHECKS=str(max_checks),
        PREFLIGHT_MAX_CHECKS_PER_ADDRESS=str(max_checks),  # bench clients share one address
        **(extra_env or {}),
    )
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        from sqlalchemy import create_engine

        from preflight import create_app
        from preflight import migrate as migrations
        from preflight.db import session_scope
        from preflight.links import issue_link
        from preflight.models import Event, Participant, utcnow

        engine = create_engine(env["PREFLIGHT_DATABASE_URL"])
        migrations.upgrade(engine)
        engine.dispose()
        app = create_app()
        app.instance_path = str(workdir)
        tokens = []
        with app.app_context(), session_scope() as session:
            starts = utcnow() + timedelta(days=1)
            event = Event(
                name="Netlab", starts_at=starts, ends_at=starts + timedelta(hours=1), timezone="UTC", platform=platform
            )
            session.add(event)
            session.flush()
            for n in range(participants):
                participant = Participant(
                    event_id=event.id, name=f"Lab {n}", email=f"lab{n}@example.org", language="en", role=role
                )
                tokens.append(issue_link(participant))
                session.add(participant)
        app.extensions["preflight_engine"].dispose()
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return env, tokens


def gunicorn_argv() -> list[str]:
    """gunicorn with the project's gunicorn.conf.py, as production runs the app."""
    gunicorn = str(REPO / ".venv" / "bin" / "gunicorn")
    return [
        gunicorn,
        "-c",
        str(REPO / "gunicorn.conf.py"),
        "--chdir",
        str(REPO),
        "--access-logfile",
        "/dev/null",
        "wsgi:app",
    ]


def wait_port(host: str, port: int, timeout: float) -> bool:
    """True once something accepts TCP connections on host:port, False after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            socket.create_connection((host, port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.1)
    return False


def start_turn(host: str, log_path: Path) -> list[dict]:
    """Start coturn on host:TURN_PORT (TCP only, as behind a firewall that drops UDP); return the ICE servers."""
    turnserver = shutil.which("turnserver")
    if turnserver is None:
        raise SystemExit("no TURN server (apt-get install coturn)")
    argv = [
        "timeout",
        str(TURN_LIFETIME_S),
        turnserver,
        "-n",
        "--listening-ip",
        host,
        "--relay-ip",
        host,
        "--listening-port",
        str(TURN_PORT),
        "--no-udp",
        "--no-tls",
        "--no-dtls",
        "--no-cli",
        "--lt-cred-mech",
        "--user",
        f"{TURN_USER}:{TURN_PASSWORD}",
        "--realm",
        "netlab.preflight",
        "--log-file",
        "stdout",
        "--simple-log",
    ]
    with open(log_path, "ab") as log:
        subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    if not wait_port(host, TURN_PORT, 10):
        raise SystemExit(f"coturn did not listen on {host}:{TURN_PORT} (log: {log_path})")
    return [{"urls": f"turn:{host}:{TURN_PORT}?transport=tcp", "username": TURN_USER, "credential": TURN_PASSWORD}]


def server(args) -> int:
    """Create the database and the participant (and the TURN server if the scenario has one),
    then exec gunicorn on host:port."""
    workdir = Path(tempfile.mkdtemp(prefix="pf-netlab-"))
    extra = {"PREFLIGHT_BIND": f"{args.host}:{args.port}", "PREFLIGHT_WORKERS": str(args.workers)}
    if args.scenario:
        import scenarios

        known = scenarios.BY_NAME.get(args.scenario)  # ad-hoc ones (sweep-burst) have no TURN server
        if known is not None and known.turn_tcp:
            extra["PREFLIGHT_ICE_SERVERS"] = json.dumps(start_turn(args.host, workdir / "turnserver.log"))
    env, tokens = prepare(
        workdir,
        f"http://{args.host}:{args.port}",
        participants=args.participants,
        platform=args.platform,
        role=args.role,
        max_checks=args.max_checks,
        extra_env=extra,
    )
    Path(args.token_file).write_text("\n".join(tokens) + "\n")
    argv = gunicorn_argv()
    os.execve(argv[0], argv, env)
    return 0  # not reached
