"""The lab's names, addresses and host-level tools: namespaces, processes in them, run-time limits.

Shared by lab.py (the Lab itself), shaping.py (what a scenario applies) and the scripts that drive them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

CLIENT_NS, ROUTER_NS, SERVER_NS = "pf-client", "pf-router", "pf-server"
NAMESPACES = (CLIENT_NS, ROUTER_NS, SERVER_NS)
CLIENT_IF, ROUTER_CLIENT_IF, ROUTER_SERVER_IF, SERVER_IF = "pfc0", "pfr-c", "pfr-s", "pfs0"
CLIENT_IP, ROUTER_CLIENT_IP = "10.99.1.2", "10.99.1.1"
SERVER_IP, ROUTER_SERVER_IP = "10.99.2.2", "10.99.2.1"
NFT_TABLE = "pflab"
QUEUE_DOWN, QUEUE_UP = 1, 2  # NFQUEUE numbers (client ns: download, server ns: upload)
LOCK_PATH = "/run/pf-netlab.lock"
HERE = Path(__file__).resolve().parent
DELAYQ = HERE / "delayq.py"


class LabError(RuntimeError):
    """A lab command failed or a precondition is missing."""


def sh(argv: list[str], timeout: float = 20, check: bool = True, input: str | None = None):
    """Run a host command (bounded), raising LabError with its stderr when it fails."""
    try:
        res = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, input=input)
    except subprocess.TimeoutExpired as exc:
        raise LabError(f"timed out after {timeout}s: {' '.join(argv)}") from exc
    if check and res.returncode != 0:
        raise LabError(f"failed ({res.returncode}): {' '.join(argv)}\n{res.stderr.strip()}")
    return res


def python_for_delayq() -> str:
    """The interpreter that has NetfilterQueue: $NETLAB_PYTHON, the project venv, or this one."""
    env = os.environ.get("NETLAB_PYTHON")
    if env:
        return env
    venv = HERE.parent.parent / ".venv" / "bin" / "python"
    return str(venv) if venv.exists() else sys.executable


def check_requirements() -> list[str]:
    """Return a list of human-readable problems (empty when the lab can run)."""
    problems = []
    if os.geteuid() != 0:
        problems.append("run as root (network namespaces, tc, nft, iptables)")
    for tool, pkg in (
        ("ip", "iproute2"),
        ("tc", "iproute2"),
        ("nft", "nftables"),
        ("iptables", "iptables"),
        ("ping", "iputils-ping"),
    ):
        if not shutil.which(tool):
            problems.append(f"missing '{tool}': apt-get install -y {pkg}")
    probe = subprocess.run([python_for_delayq(), "-c", "import netfilterqueue"], capture_output=True, timeout=30)
    if probe.returncode != 0:
        problems.append(
            "missing PyPI NetfilterQueue for delay/jitter: apt-get install -y "
            "libnetfilter-queue-dev build-essential && .venv/bin/pip install -r "
            "bench/requirements.txt (or set NETLAB_PYTHON)"
        )
    return problems


def existing_namespaces() -> list[str]:
    """Our namespaces that currently exist."""
    out = sh(["ip", "netns", "list"]).stdout
    names = {line.split()[0] for line in out.splitlines() if line.strip()}
    return [ns for ns in NAMESPACES if ns in names]


def ns_pids(ns: str) -> list[int]:
    """Process ids running inside namespace `ns`."""
    res = sh(["ip", "netns", "pids", ns], check=False)
    return [int(p) for p in res.stdout.split() if p.isdigit()]


def kill_ns_processes(ns: str, grace: float = 2.0) -> None:
    """SIGTERM, then SIGKILL, every process inside one of *our* namespaces (all started by the lab)."""
    pids = ns_pids(ns)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for pid in pids:
            try:
                os.kill(pid, sig)
            except ProcessLookupError:
                pass
        end = time.monotonic() + grace
        while time.monotonic() < end and (pids := ns_pids(ns)):
            time.sleep(0.05)
        if not pids:
            return


def force_teardown() -> None:
    """Remove the lab whatever state it is in (stale namespaces from a crashed run included)."""
    for ns in existing_namespaces():
        kill_ns_processes(ns)
        sh(["ip", "netns", "del", ns], check=False)


def stop_process(proc: subprocess.Popen, grace: float = 3.0) -> None:
    """Terminate one child (SIGTERM, then SIGKILL), reaping it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(grace)


def exit_on_signals() -> None:
    """Turn SIGTERM/SIGHUP into SystemExit so `with Lab()` blocks tear down (the 'trap')."""

    def _raise(signum, frame):
        raise SystemExit(128 + signum)

    for sig in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(sig, _raise)


def deadline(seconds: float) -> None:
    """Bound a script's run time: raise TimeoutError in the main thread after `seconds`."""

    def _timeout(signum, frame):
        raise TimeoutError(f"netlab run exceeded its {seconds:.0f}s budget")

    signal.signal(signal.SIGALRM, _timeout)
    signal.alarm(max(1, int(seconds)))
