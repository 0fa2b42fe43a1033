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
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import scenarios as scen  # noqa: E402  (works both as a script and as an import)

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


def _sh(argv: list[str], timeout: float = 20, check: bool = True, input: str | None = None):
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
    out = _sh(["ip", "netns", "list"]).stdout
    names = {line.split()[0] for line in out.splitlines() if line.strip()}
    return [ns for ns in NAMESPACES if ns in names]


def ns_pids(ns: str) -> list[int]:
    """Process ids running inside namespace `ns`."""
    res = _sh(["ip", "netns", "pids", ns], check=False)
    return [int(p) for p in res.stdout.split() if p.isdigit()]


def _kill_ns_processes(ns: str, grace: float = 2.0) -> None:
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
        _kill_ns_processes(ns)
        _sh(["ip", "netns", "del", ns], check=False)


class Lab:
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
                _sh(["ip", "netns", "add", ns])
            self._is_up = True
            _sh(
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
            _sh(
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
            _stop_process(proc)
        self._procs.clear()
        if self._is_up or self._lock_fd is not None:
            force_teardown()
        self._is_up = False
        self.scenario = None
        self._release_lock()

    # -- running things ----------------------------------------------------------------------
    def _ns(self, ns: str, argv: list[str], check: bool = True, timeout: float = 20):
        return _sh(["ip", "netns", "exec", ns, *argv], check=check, timeout=timeout)

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
        _stop_process(proc, grace)
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
        self._apply_rate(ROUTER_NS, ROUTER_CLIENT_IF, scenario.down_kbit)
        self._apply_rate(ROUTER_NS, ROUTER_SERVER_IF, scenario.up_kbit)
        self._apply_nft(scenario)
        self._apply_delay(CLIENT_NS, CLIENT_IF, QUEUE_DOWN, scenario.delay_down_ms, scenario.jitter_ms)
        self._apply_delay(SERVER_NS, SERVER_IF, QUEUE_UP, scenario.delay_up_ms, scenario.jitter_ms)
        self.scenario = scenario

    def _clear_shaping(self) -> None:
        self._stop_delayqs()
        for ifname in (ROUTER_CLIENT_IF, ROUTER_SERVER_IF):
            self._ns(ROUTER_NS, ["tc", "qdisc", "del", "dev", ifname, "root"], check=False)
        # Only our own table: `nft flush ruleset` would also erase iptables-nft rules.
        self._ns(ROUTER_NS, ["nft", "delete", "table", "inet", NFT_TABLE], check=False)
        for ns in (CLIENT_NS, SERVER_NS):
            self._ns(ns, ["iptables", "-t", "mangle", "-F", "PREROUTING"])

    def _stop_delayqs(self) -> None:
        """Stop the delay programs, keeping their exit summaries in `delayq_stats`."""
        for ns, proc in list(self._delayqs.items()):
            _stop_process(proc)
            del self._delayqs[ns]
            for line in (proc.stderr.read() if proc.stderr else "").splitlines():
                if line.startswith("{"):
                    try:
                        stats = json.loads(line)
                    except ValueError:
                        continue
                    name = self.scenario.name if self.scenario else "?"
                    self.delayq_stats.append({"scenario": name, "ns": ns, **stats})

    def _apply_rate(self, ns: str, ifname: str, kbit: int, queue_ms: float = 200) -> None:
        """tbf at `kbit` on the router's egress; queue of `queue_ms` (at least ten full frames)."""
        if kbit <= 0:
            return
        bytes_per_s = kbit * 1000 / 8
        # A small bucket keeps the rate honest over short windows (tbf uses hrtimers here).
        burst = max(4 * 1514, int(bytes_per_s * 0.004))
        limit = max(10 * 1514, int(bytes_per_s * queue_ms / 1000)) + burst
        self._ns(
            ns,
            [
                "tc",
                "qdisc",
                "add",
                "dev",
                ifname,
                "root",
                "tbf",
                "rate",
                f"{kbit}kbit",
                "burst",
                str(burst),
                "limit",
                str(limit),
            ],
        )

    def _apply_nft(self, sc: scen.Scenario) -> None:
        rules = []
        if sc.udp_blocked:
            rules.append("meta l4proto udp counter drop")
        for pct, iif, oif in (
            (sc.loss_down_pct, ROUTER_SERVER_IF, ROUTER_CLIENT_IF),
            (sc.loss_up_pct, ROUTER_CLIENT_IF, ROUTER_SERVER_IF),
        ):
            n = round(pct * 100)  # percent -> per ten thousand
            if n > 0:
                rules.append(f'iifname "{iif}" oifname "{oif}" numgen random mod 10000 < {n} counter drop')
        if not rules:
            return
        body = "\n".join(f"    {r}" for r in rules)
        ruleset = (
            f"table inet {NFT_TABLE} {{\n  chain forward {{\n"
            f"    type filter hook forward priority 0; policy accept;\n{body}\n  }}\n}}\n"
        )
        _sh(["ip", "netns", "exec", ROUTER_NS, "nft", "-f", "-"], input=ruleset)

    def _apply_delay(
        self, ns: str, ifname: str, queue: int, delay_ms: float, jitter_ms: float, bind_timeout: float = 15.0
    ) -> None:
        """Start delayq.py in `ns`, queue arriving packets to it, and wait until it is bound."""
        if delay_ms <= 0 and jitter_ms <= 0:
            return
        proc = subprocess.Popen(
            [
                "ip",
                "netns",
                "exec",
                ns,
                python_for_delayq(),
                str(DELAYQ),
                "--queue",
                str(queue),
                "--delay-ms",
                str(delay_ms),
                "--jitter-ms",
                str(jitter_ms),
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self._delayqs[ns] = proc
        self._ns(
            ns,
            [
                "iptables",
                "-t",
                "mangle",
                "-A",
                "PREROUTING",
                "-i",
                ifname,
                "-j",
                "NFQUEUE",
                "--queue-num",
                str(queue),
                "--queue-bypass",
            ],
        )
        end = time.monotonic() + bind_timeout
        while time.monotonic() < end:
            if proc.poll() is not None:
                raise LabError(f"delayq in {ns} exited: {proc.stderr.read().strip()}")
            if self._queue_bound(ns, queue):
                return
            time.sleep(0.05)
        raise LabError(f"delayq in {ns} did not bind queue {queue} within {bind_timeout}s")

    def _queue_bound(self, ns: str, queue: int) -> bool:
        """True once the kernel lists `queue` as bound in `ns` (/proc/net is per-namespace)."""
        res = self._ns(ns, ["cat", "/proc/net/netfilter/nfnetlink_queue"], check=False)
        return any(line.split()[:1] == [str(queue)] for line in res.stdout.splitlines())

    def describe(self) -> str:
        """The router's qdiscs and nft table and the hosts' NFQUEUE rules (for debugging)."""
        parts = []
        for ifname in (ROUTER_CLIENT_IF, ROUTER_SERVER_IF):
            parts.append(self._ns(ROUTER_NS, ["tc", "-s", "qdisc", "show", "dev", ifname]).stdout)
        parts.append(self._ns(ROUTER_NS, ["nft", "list", "ruleset"]).stdout)
        for ns in (CLIENT_NS, SERVER_NS):
            parts.append(f"[{ns}]\n" + self._ns(ns, ["iptables", "-t", "mangle", "-S"]).stdout)
        return "\n".join(parts)


def _stop_process(proc: subprocess.Popen, grace: float = 3.0) -> None:
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
