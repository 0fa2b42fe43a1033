"""gunicorn as a real subprocess for tests that need the production server (log redaction, crashes).

Import it from a test as ``from gunicorn_server import GunicornServer`` (``tests/`` is on ``sys.path``
because it holds the root ``conftest.py``).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The gunicorn of the interpreter running the tests (its virtual environment), else the checkout's own.
_BESIDE = Path(sys.executable).parent / "gunicorn"
GUNICORN = _BESIDE if _BESIDE.exists() else ROOT / ".venv" / "bin" / "gunicorn"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class GunicornServer:
    """``gunicorn -c gunicorn.conf.py wsgi:app`` in its own process group, output in ``log_path``."""

    def __init__(
        self,
        database_url: str,
        secret_key: str,
        log_path: Path,
        *,
        workers: int = 1,
        threads: int = 2,
        extra_args: tuple[str, ...] = (),
        env: dict | None = None,
        app_module: str = "wsgi:app",
        host: str = "127.0.0.1",
        command_prefix: tuple[str, ...] | list[str] = (),
        url: str | None = None,
        probe_prefix: tuple[str, ...] | list[str] = (),
        port: int | None = None,
    ):
        self.port = port or free_port()  # a fixed ``port`` only where nothing else binds it (a namespace of its own)
        # ``url``: where clients reach it when that is not the bound address (behind a NAT: ``{port}`` is filled in).
        self.url = url.format(port=self.port) if url else f"http://{host}:{self.port}"
        self.command_prefix = list(command_prefix)  # e.g. ``ip netns exec NS``
        self.probe_prefix = list(probe_prefix)  # where /healthz is polled from (another namespace), else here
        self.log_path = log_path
        self.args = extra_args
        self.app_module = app_module
        self.env = dict(os.environ)
        self.env.update(
            PREFLIGHT_DATABASE_URL=database_url,
            PREFLIGHT_SECRET_KEY=secret_key,
            PREFLIGHT_BIND=f"{host}:{self.port}",
            PREFLIGHT_BASE_URL=self.url,
            PREFLIGHT_WORKERS=str(workers),
            PREFLIGHT_THREADS=str(threads),
            PREFLIGHT_SMTP_HOST="",
        )
        # tests/ on the path so a test's own WSGI module (app_module) can be imported.
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT / "tests"), self.env.get("PYTHONPATH", "")]))
        self.env.update(env or {})
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 30) -> "GunicornServer":
        """Start and wait for ``/healthz``."""
        self.launch()
        try:
            self.wait_healthy(timeout)
        except RuntimeError:
            self.stop()  # no process or log file left behind by a failed start
            raise
        return self

    def launch(self) -> "GunicornServer":
        """Start without waiting (several servers can boot at once; then ``wait_healthy``)."""
        self._log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [
                *self.command_prefix,
                str(GUNICORN),
                "-c",
                "gunicorn.conf.py",
                "--no-control-socket",
                *self.args,
                self.app_module,
            ],
            cwd=ROOT,
            env=self.env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        return self

    def wait_healthy(self, timeout: float = 30) -> None:
        """Wait for ``/healthz`` to answer 200 (after ``start`` or a reload)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log_path.read_text()[-3000:]}")
            if self._healthy():
                return self
            time.sleep(0.1)
        raise RuntimeError(f"gunicorn not healthy after {timeout} s:\n{self.log_path.read_text()[-3000:]}")

    def _healthy(self) -> bool:
        if self.probe_prefix:
            probe = "import sys, urllib.request; urllib.request.urlopen(sys.argv[1], timeout=1)"
            command = [*self.probe_prefix, sys.executable, "-c", probe, self.url + "/healthz"]
            return subprocess.run(command, capture_output=True, timeout=10).returncode == 0
        try:
            with urllib.request.urlopen(self.url + "/healthz", timeout=1) as response:
                return response.status == 200
        except OSError:
            return False

    def pids(self) -> list[int]:
        """Master and workers."""
        if self.proc is None:
            return []
        try:
            workers = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children").read_text().split()
        except OSError:
            workers = []
        return [self.proc.pid, *map(int, workers)]

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: no graceful anything."""
        if self.proc is None:
            return
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait()
        self._log.close()

    def stop(self) -> None:
        """Graceful stop (SIGTERM); SIGKILL after 10 s."""
        if self.proc is None or self.proc.poll() is not None:
            if self.proc is not None and not self._log.closed:
                self._log.close()
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        self._log.close()

    def log(self) -> str:
        """Everything gunicorn and the app wrote so far."""
        return self.log_path.read_text(errors="replace")
