"""NFQUEUE delay program: holds every queued packet for a one-way delay (+ jitter), FIFO.

Run one per *receiving* network namespace, bound to the queue that namespace's iptables rule
(`-j NFQUEUE --queue-num N --queue-bypass` on PREROUTING) feeds.  The kernel here has no netem,
so delay and jitter are added in user space:

    release = max(previous release, arrival + delay + clip(normal(0, jitter), +-2 jitter))

`max(previous release, ...)` keeps packets in arrival order, as a real link does (jitter then
shows as bunching, never reordering).  Timers on these VMs fire ~0.2-2 ms late, so the delay
wobbles by a few ms: measure medians.

Protocol with lab.py: once the queue is bound, one line "READY <queue>" goes to stdout.
SIGTERM / SIGINT releases every held packet, unbinds and prints a JSON summary to stderr.

Needs PyPI `NetfilterQueue` (bench/requirements.txt), which builds against Debian
`libnetfilter-queue-dev`.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import random
import select
import signal
import sys
import time

try:
    from netfilterqueue import COPY_META, NetfilterQueue
except ImportError:  # pragma: no cover - explained to the operator instead
    sys.stderr.write(
        "delayq: the PyPI package 'NetfilterQueue' is missing.\n"
        "  apt-get install -y libnetfilter-queue-dev build-essential\n"
        "  .venv/bin/pip install -r bench/requirements.txt\n"
    )
    sys.exit(3)


class DelayQueue:
    """Holds packets in FIFO order until their release time (monotonic seconds)."""

    def __init__(self, delay_s: float, jitter_s: float, early_s: float, seed: int | None):
        self.delay_s = delay_s
        self.jitter_s = jitter_s
        self.early_s = early_s
        self.rng = random.Random(seed)
        self.pending: collections.deque = collections.deque()
        self.last_release = 0.0
        self.count = 0
        self.max_held = 0
        self.lateness_ms: list[float] = []

    def extra_delay(self) -> float:
        """Delay for one packet: fixed part plus a clipped normal jitter sample, never negative."""
        if self.jitter_s <= 0:
            return self.delay_s
        sample = self.rng.gauss(0.0, self.jitter_s)
        sample = max(-2 * self.jitter_s, min(2 * self.jitter_s, sample))
        return max(0.0, self.delay_s + sample)

    def on_packet(self, pkt) -> None:
        """NFQUEUE callback: schedule the packet (the verdict is given later, by release_due)."""
        now = time.monotonic()
        release = max(self.last_release, now + self.extra_delay())
        self.last_release = release
        self.pending.append((release, pkt))
        self.count += 1
        if len(self.pending) > self.max_held:
            self.max_held = len(self.pending)

    def release_due(self) -> None:
        """Accept every packet whose release time has come (within `early_s`)."""
        now = time.monotonic()
        pending = self.pending
        while pending and pending[0][0] <= now + self.early_s:
            release, pkt = pending.popleft()
            pkt.accept()
            # Keep a bounded sample of timer lateness for the exit summary.
            if len(self.lateness_ms) < 200_000:
                self.lateness_ms.append((now - release) * 1000)

    def release_all(self) -> None:
        """Let every held packet go (used on shutdown, so nothing is silently dropped)."""
        while self.pending:
            _, pkt = self.pending.popleft()
            try:
                pkt.accept()
            except RuntimeError:
                pass

    def next_timeout(self, idle: float) -> float:
        """Seconds until the oldest held packet is due (or `idle` when nothing is held)."""
        if not self.pending:
            return idle
        return max(0.0, self.pending[0][0] - self.early_s - time.monotonic())

    def summary(self) -> dict:
        """Counters for the exit report."""
        late = sorted(self.lateness_ms)
        pick = (lambda q: round(late[min(len(late) - 1, int(q * len(late)))], 3)) if late else (lambda q: None)
        return {
            "packets": self.count,
            "max_held": self.max_held,
            "late_ms_p50": pick(0.5),
            "late_ms_p99": pick(0.99),
            "late_ms_max": round(late[-1], 3) if late else None,
        }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--queue", type=int, required=True, help="NFQUEUE number to bind")
    p.add_argument("--delay-ms", type=float, default=0.0, help="fixed one-way delay")
    p.add_argument("--jitter-ms", type=float, default=0.0, help="std dev of the extra delay")
    p.add_argument(
        "--early-us", type=float, default=100.0, help="release packets this early to offset late timer wake-ups"
    )
    p.add_argument("--max-len", type=int, default=50_000, help="kernel queue length (packets)")
    p.add_argument(
        "--rt-priority",
        type=int,
        default=20,
        help="SCHED_FIFO priority (0 = normal scheduling); keeps the delay honest when "
        "other work saturates the CPUs - delayq sleeps between packets, never spins",
    )
    p.add_argument("--seed", type=int, default=None, help="jitter RNG seed (reproducible runs)")
    p.add_argument(
        "--max-seconds", type=float, default=4 * 3600, help="exit after this long whatever happens (bounded runtime)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Bind the queue, announce READY, then delay packets until signalled or timed out."""
    args = parse_args(argv)
    dq = DelayQueue(args.delay_ms / 1000, args.jitter_ms / 1000, args.early_us / 1e6, args.seed)
    stop = False

    def _stop(signum, frame):
        nonlocal stop
        stop = True

    signal.signal(signal.SIGTERM, _stop)
    signal.signal(signal.SIGINT, _stop)

    if args.rt_priority > 0:
        try:
            os.sched_setscheduler(0, os.SCHED_FIFO, os.sched_param(args.rt_priority))
        except (OSError, AttributeError) as exc:  # not root / no RT: run, but say so
            sys.stderr.write(f"delayq: real-time priority unavailable ({exc}); delays may wobble more\n")

    nfq = NetfilterQueue()
    # COPY_META: the kernel sends only metadata, not the payload - we never look at it.
    nfq.bind(args.queue, dq.on_packet, max_len=args.max_len, mode=COPY_META, sock_len=8 * 1024 * 1024)
    fd = nfq.get_fd()
    print(f"READY {args.queue}", flush=True)

    deadline = time.monotonic() + args.max_seconds
    try:
        while not stop and time.monotonic() < deadline:
            timeout = dq.next_timeout(idle=0.2)
            try:
                readable, _, _ = select.select([fd], [], [], timeout)
            except InterruptedError:  # pragma: no cover - PEP 475 retries, kept for clarity
                continue
            if readable:
                nfq.run(block=False)
            dq.release_due()
    finally:
        dq.release_all()
        nfq.unbind()
        sys.stderr.write(json.dumps({"delayq": args.queue, **dq.summary()}) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
