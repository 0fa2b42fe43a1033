"""What a scenario applies to the lab's link: rate (tbf), loss and "UDP blocked" (nftables in the
router), delay and jitter (NFQUEUE served by delayq.py in each receiving namespace).

``Shaping`` is a part of ``lab.Lab``: it uses the lab's ``_ns`` runner, ``scenario`` and processes.
"""

from __future__ import annotations

import json
import subprocess
import time

import scenarios as scen
from netns import (
    CLIENT_NS,
    DELAYQ,
    NFT_TABLE,
    ROUTER_CLIENT_IF,
    ROUTER_NS,
    ROUTER_SERVER_IF,
    SERVER_NS,
    LabError,
    python_for_delayq,
    sh,
    stop_process,
)


FRAME_BYTES = 1514  # a full Ethernet frame, as tbf counts it


def default_burst(kbit: int) -> int:
    """The lab's default bucket: 4 ms of rate, at least four full frames.

    A small bucket keeps the rate honest over short windows (tbf uses hrtimers here).
    """
    return max(4 * FRAME_BYTES, int(kbit * 1000 / 8 * 0.004))


def tbf_argv(ifname: str, kbit: int, burst: int | None = None, queue_ms: float = 200) -> list[str]:
    """The `tc` command for tbf at `kbit` with a bucket of `burst` bytes (None = default_burst).

    `limit` is the queue waiting for tokens: `queue_ms` of rate (at least ten full frames) plus
    the *default* bucket, so it does not grow with a configured burst. tbf sends from the bucket
    without queueing, so a large bucket needs no room in the queue, and a queue sized to it would
    hold seconds of data on a slow link (256 KB at 300 kbit/s is 7 s).
    """
    if burst is not None and burst < FRAME_BYTES:
        raise ValueError(f"burst {burst} bytes is smaller than one frame ({FRAME_BYTES}): tbf would drop full frames")
    bytes_per_s = kbit * 1000 / 8
    limit = max(10 * FRAME_BYTES, int(bytes_per_s * queue_ms / 1000)) + default_burst(kbit)
    burst = default_burst(kbit) if burst is None else burst
    return [
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
    ]


class Shaping:
    """The shaping half of the lab (rate, loss, UDP blocked, delay and jitter)."""

    def _clear_shaping(self) -> None:
        self._stop_delayqs()
        for ifname in (ROUTER_CLIENT_IF, ROUTER_SERVER_IF):
            self._ns(ROUTER_NS, ["tc", "qdisc", "del", "dev", ifname, "root"], check=False)
        # Only our own table: `nft flush ruleset` would also erase iptables-nft rules.
        self._ns(ROUTER_NS, ["nft", "delete", "table", "inet", NFT_TABLE], check=False)
        for ns in (CLIENT_NS, SERVER_NS):
            self._ns(ns, ["iptables", "-t", "mangle", "-F", "PREROUTING"])

    def stop_delays(self) -> list[dict]:
        """Stop the delay programs now and return their exit summaries (packets, most held,
        timer lateness): the run that just ended, on its own. The next apply starts them again."""
        start = len(self.delayq_stats)
        self._stop_delayqs()
        return self.delayq_stats[start:]

    def _stop_delayqs(self) -> None:
        """Stop the delay programs, keeping their exit summaries in `delayq_stats`."""
        for ns, proc in list(self._delayqs.items()):
            stop_process(proc)
            del self._delayqs[ns]
            for line in (proc.stderr.read() if proc.stderr else "").splitlines():
                if line.startswith("{"):
                    try:
                        stats = json.loads(line)
                    except ValueError:
                        continue
                    name = self.scenario.name if self.scenario else "?"
                    self.delayq_stats.append({"scenario": name, "ns": ns, **stats})

    def _apply_rate(self, ns: str, ifname: str, kbit: int, burst: int | None = None, queue_ms: float = 200) -> None:
        """tbf at `kbit` on the router's egress (see tbf_argv); nothing for an unshaped direction."""
        if kbit <= 0:
            return
        self._ns(ns, tbf_argv(ifname, kbit, burst, queue_ms))

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
        sh(["ip", "netns", "exec", ROUTER_NS, "nft", "-f", "-"], input=ruleset)

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
