"""Three-namespace shaped network lab: pf-client <-> pf-router <-> pf-server.

    pf-client  pfc0 10.99.1.2 ──veth── pfr-c 10.99.1.1  pf-router  10.99.2.1 pfr-s ──veth── pfs0 10.99.2.2  pf-server

The kernel here has no netem, so a scenario is built from pieces that do exist:
- rate:   tbf on the *router's* egress (pfr-c = download, pfr-s = upload); shaping on the sender's
          own interface would push back into its UDP socket, which no real network does;
- loss:   nftables `numgen random mod 10000 < N` drops in the router's forward chain, per direction;
- UDP blocked: the router's forward chain drops every UDP packet (TCP still passes);
- delay + jitter: an iptables NFQUEUE rule on each *receiving* host's PREROUTING, served by
          delayq.py in that namespace (the client's queue delays download, the server's upload).

Every address lives only inside these namespaces; nothing is routed to the outside world.
Run as root.  Library use:

    with Lab() as lab:                      # setup() ... teardown(), even on errors
        lab.apply(scenarios.get("dsl"))
        lab.run_in("pf-client", ["ping", "-c", "3", lab.SERVER_IP])

CLI: see `python3 bench/netlab/lab.py --help`.
"""

from __future__ import annotations

import argparse
import atexit
import fcntl
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scenarios as scen  # noqa: E402  (works both as a script and as an import)

from netns import (  # noqa: E402  (re-exported: the scripts use them as lab.X)
    CLIENT_IF,
    CLIENT_IP,
    CLIENT_NS,
    LOCK_PATH,
    NAMESPACES,
    QUEUE_DOWN,
    QUEUE_UP,
    ROUTER_CLIENT_IF,
    ROUTER_CLIENT_IP,
    ROUTER_NS,
    ROUTER_SERVER_IF,
    ROUTER_SERVER_IP,
    SERVER_IF,
    SERVER_IP,
    SERVER_NS,
    LabError,
    check_requirements,
    deadline,
    exit_on_signals,
    force_teardown,
    sh,
    stop_process,
)
from shaping import Shaping  # noqa: E402


class Lab(Shaping):
    """Owns the namespaces, the current scenario and every process started inside them."""

    CLIENT_IP, SERVER_IP = CLIENT_IP, SERVER_IP

    def __init__(self, lock_timeout: float = 600.0, disable_offloads: bool = True):
        self.lock_timeout = lock_timeout
        self.disable_offloads = disable_offloads
        self.scenario: scen.Scenario | None = None
        self._lock_fd: int | None = None
        self._delayqs: dict[str, subprocess.Popen] = {}
        self._procs: list[subprocess.Popen] = []
        self._is_up = False
        self.delayq_stats: list[dict] = []  # exit summaries of stopped delay programs

    # -- lifecycle ---------------------------------------------------------------------------
    def __enter__(self) -> "Lab":
        self.setup()
        return self

    def __exit__(self, *exc) -> None:
        self.teardown()

    def _acquire_lock(self) -> None:
        """Serialise lab users (several helpers share this machine and the fixed names)."""
        fd = os.open(LOCK_PATH, os.O_RDWR | os.O_CREAT, 0o644)
        end = time.monotonic() + self.lock_timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > end:
                    os.close(fd)
                    raise LabError(f"another lab run holds {LOCK_PATH} (waited {self.lock_timeout}s)")
                time.sleep(0.5)
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            fcntl.flock(self._lock_fd, fcntl.LOCK_UN)
            os.close(self._lock_fd)
            self._lock_fd = None

    def setup(self) -> None:
        """Create the three namespaces, veth pairs, addresses, routes and router forwarding."""
        problems = check_requirements()
        if problems:
            raise LabError("lab requirements missing:\n  - " + "\n  - ".join(problems))
        self._acquire_lock()
        atexit.register(self.teardown)
        try:
            force_teardown()  # leftovers of a crashed run
            for ns in NAMESPACES:
                sh(["ip", "netns", "add", ns])
            self._is_up = True
            sh(
                [
                    "ip",
                    "link",
                    "add",
                    CLIENT_IF,
                    "netns",
                    CLIENT_NS,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    ROUTER_CLIENT_IF,
                    "netns",
                    ROUTER_NS,
                ]
            )
            sh(
                [
                    "ip",
                    "link",
                    "add",
                    SERVER_IF,
                    "netns",
                    SERVER_NS,
                    "type",
                    "veth",
                    "peer",
                    "name",
                    ROUTER_SERVER_IF,
                    "netns",
                    ROUTER_NS,
                ]
            )
            for ns, ifname, addr in (
                (CLIENT_NS, CLIENT_IF, CLIENT_IP),
                (ROUTER_NS, ROUTER_CLIENT_IF, ROUTER_CLIENT_IP),
                (ROUTER_NS, ROUTER_SERVER_IF, ROUTER_SERVER_IP),
                (SERVER_NS, SERVER_IF, SERVER_IP),
            ):
                self._ns(ns, ["ip", "addr", "add", f"{addr}/24", "dev", ifname])
                self._ns(ns, ["ip", "link", "set", ifname, "up"])
                if self.disable_offloads and shutil.which("ethtool"):
                    # Wire-sized packets (no 64 KB GSO/GRO lumps) through tbf and NFQUEUE, like a real link.
                    self._ns(ns, ["ethtool", "-K", ifname, "tso", "off", "gso", "off", "gro", "off"], check=False)
            for ns in NAMESPACES:
                self._ns(ns, ["ip", "link", "set", "lo", "up"])
                # IPv4 only: the delay rules are iptables (IPv4) and aioice would add IPv6 candidates.
                self._ns(ns, ["sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1"])
                self._ns(ns, ["sysctl", "-qw", "net.ipv6.conf.default.disable_ipv6=1"])
            self._ns(ROUTER_NS, ["sysctl", "-qw", "net.ipv4.ip_forward=1"])
            self._ns(CLIENT_NS, ["ip", "route", "add", "default", "via", ROUTER_CLIENT_IP])
            self._ns(SERVER_NS, ["ip", "route", "add", "default", "via", ROUTER_SERVER_IP])
            self.scenario = scen.UNSHAPED
        except BaseException:
            self.teardown()
            raise

    def teardown(self) -> None:
        """Stop every process we started, delete the namespaces, release the lock. Idempotent."""
        self._stop_delayqs()
        for proc in self._procs:
            stop_process(proc)
        self._procs.clear()
        if self._is_up or self._lock_fd is not None:
            force_teardown()
        self._is_up = False
        self.scenario = None
        self._release_lock()

    # -- running things ----------------------------------------------------------------------
    def _ns(self, ns: str, argv: list[str], check: bool = True, timeout: float = 20):
        return sh(["ip", "netns", "exec", ns, *argv], check=check, timeout=timeout)

    def run_in(
        self, ns: str, argv: list[str], timeout: float = 60, check: bool = False, **kwargs
    ) -> subprocess.CompletedProcess:
        """Run `argv` inside namespace `ns` and wait (bounded by `timeout`); text output captured."""
        kwargs.setdefault("capture_output", True)
        kwargs.setdefault("text", True)
        return subprocess.run(["ip", "netns", "exec", ns, *argv], timeout=timeout, check=check, **kwargs)

    def popen_in(self, ns: str, argv: list[str], **kwargs) -> subprocess.Popen:
        """Start `argv` inside namespace `ns`; the lab stops it on teardown (or use stop())."""
        self._procs = [p for p in self._procs if p.poll() is None]
        proc = subprocess.Popen(["ip", "netns", "exec", ns, *argv], **kwargs)
        self._procs.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, grace: float = 3.0) -> int | None:
        """Terminate a process started with popen_in (SIGTERM, then SIGKILL after `grace`)."""
        stop_process(proc, grace)
        if proc in self._procs:
            self._procs.remove(proc)
        return proc.returncode

    # -- scenarios ---------------------------------------------------------------------------
    def apply(self, scenario: scen.Scenario) -> None:
        """Shape the link as `scenario` says, replacing whatever was applied before.

        Returns only once any delay program has bound its queue (before that, --queue-bypass
        lets packets through undelayed and measurements would be wrong).
        """
        if not self._is_up:
            raise LabError("call setup() first")
        self._clear_shaping()
        self._apply_rate(ROUTER_NS, ROUTER_CLIENT_IF, scenario.down_kbit, scenario.burst_down_bytes)
        self._apply_rate(ROUTER_NS, ROUTER_SERVER_IF, scenario.up_kbit, scenario.burst_up_bytes)
        self._apply_nft(scenario)
        self._apply_delay(CLIENT_NS, CLIENT_IF, QUEUE_DOWN, scenario.delay_down_ms, scenario.jitter_ms)
        self._apply_delay(SERVER_NS, SERVER_IF, QUEUE_UP, scenario.delay_up_ms, scenario.jitter_ms)
        self.scenario = scenario


def main(argv: list[str] | None = None) -> int:
    """CLI: run a command on a shaped link, hold a link open for manual poking, or clean up."""
    p = argparse.ArgumentParser(description="Preflight network lab (run as root).")
    sub = p.add_subparsers(dest="cmd", required=True)
    sub.add_parser("list", help="list the scenarios")
    sub.add_parser("check", help="check the requirements")
    t = sub.add_parser("teardown", help="remove leftover namespaces (after a crash)")
    t.add_argument("--force", action="store_true", help="even if another run holds the lab lock")
    r = sub.add_parser(
        "run",
        help="set up, apply SCENARIO, run NS CMD..., tear down "
        "(options before SCENARIO: everything after NS is the command)",
    )
    r.add_argument("scenario")
    r.add_argument("ns", choices=NAMESPACES)
    r.add_argument("argv", nargs=argparse.REMAINDER)
    r.add_argument("--timeout", type=float, default=300)
    h = sub.add_parser("hold", help="set up, apply SCENARIO, keep it for SECONDS, tear down")
    h.add_argument("scenario")
    h.add_argument("--seconds", type=float, default=600)
    args = p.parse_args(argv)

    if args.cmd == "list":
        for s in scen.SCENARIOS:
            print(
                f"{s.name:12} down {s.down_kbit:>6} kbit/s  up {s.up_kbit:>6} kbit/s  "
                f"rtt {s.rtt_ms:>4.0f} ms  jitter {s.jitter_ms:>2.0f} ms  "
                f"loss {s.loss_down_pct}/{s.loss_up_pct} %  udp_blocked={s.udp_blocked}"
            )
        return 0
    if args.cmd == "check":
        problems = check_requirements()
        print("\n".join(problems) or "ok")
        return 1 if problems else 0
    if args.cmd == "teardown":
        if args.force:
            force_teardown()
            return 0
        lab = Lab(lock_timeout=5)
        try:
            lab._acquire_lock()  # a live run holds it: do not pull its link from under it
        except LabError as exc:
            print(f"{exc}\n(use --force to remove the namespaces anyway)", file=sys.stderr)
            return 1
        try:
            force_teardown()
        finally:
            lab._release_lock()
        return 0
    exit_on_signals()
    sc = scen.get(args.scenario)
    budget = (args.timeout if args.cmd == "run" else min(args.seconds, 4 * 3600)) + 60
    deadline(budget)
    with Lab() as lab:
        lab.apply(sc)
        if args.cmd == "run":
            argv = args.argv[1:] if args.argv[:1] == ["--"] else args.argv
            try:
                return lab.run_in(args.ns, argv, timeout=args.timeout, capture_output=False).returncode
            except subprocess.TimeoutExpired:
                print(f"lab.py: command exceeded --timeout {args.timeout:.0f}s", file=sys.stderr)
                return 124
        print(lab.describe())
        print(
            f"scenario {sc.name} applied; holding for {args.seconds:.0f}s "
            f"(Ctrl-C to stop early; use `ip netns exec pf-client ...`)",
            flush=True,
        )
        try:
            time.sleep(args.seconds)
        except KeyboardInterrupt:
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
