"""One-way UDP sequence-number probe: a paced sender and a counting receiver.

Each datagram carries a sequence number and its send time.  All lab namespaces share the host's
clock, so the receiver measures the true *one-way* delay, and counting sequence numbers on the
receiving side splits download loss from upload loss (which echo probes cannot).

    udpseq.py recv --bind 10.99.1.2 --port 9001 --seconds 20      # prints a JSON summary
    udpseq.py send --to 10.99.1.2 --port 9001 --pps 200 --seconds 15 --size 64

Flood mode for capacity: send faster than the link (`--kbit`), and read `rx_kbit_wire` from the
receiver: what the shaper lets through, whatever TCP congestion control would make of it.
"""

from __future__ import annotations

import argparse
import json
import socket
import statistics
import struct
import sys
import time

HEADER = struct.Struct("!IQ")  # sequence number, send time (CLOCK_MONOTONIC, ns)
FIN = 0xFFFFFFFF
IP_UDP_OVERHEAD = 28  # IPv4 + UDP headers
ETH_OVERHEAD = 14  # what tbf counts on top of the IP packet on a veth


def send(to: str, port: int, seconds: float, pps: float, size: int) -> dict:
    """Send `pps` datagrams of `size` payload bytes for `seconds` on an absolute schedule."""
    size = max(size, HEADER.size)
    pad = b"\0" * (size - HEADER.size)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    interval = 1.0 / pps
    start = time.monotonic()
    seq = errors = 0
    total = int(seconds * pps)
    while seq < total:
        due = start + seq * interval
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        try:
            sock.sendto(HEADER.pack(seq, time.monotonic_ns()) + pad, (to, port))
        except OSError:  # e.g. ENOBUFS: counted, the probe must not die on a full queue
            errors += 1
        seq += 1
    for _ in range(5):  # end markers; they may be lost too, the receiver also times out
        try:
            sock.sendto(HEADER.pack(FIN, 0), (to, port))
        except OSError:
            pass
        time.sleep(0.01)
    return {"sent": seq, "send_errors": errors, "size": size, "elapsed_s": round(time.monotonic() - start, 3)}


def receive(bind: str, port: int, seconds: float, linger: float) -> dict:
    """Count datagrams until FIN (+`linger` s for stragglers) or `seconds`; summarise them."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    sock.bind((bind, port))
    print("LISTENING", flush=True)
    deadline = time.monotonic() + seconds
    seen: set[int] = set()
    owd_ms: list[float] = []
    arrivals: list[tuple[float, int]] = []  # (arrival s, wire bytes)
    dup = reordered = 0
    highest = -1
    jitter = 0.0  # RFC 3550 interarrival jitter, ms
    prev_transit = None
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            break
        sock.settimeout(remaining)
        try:
            data = sock.recv(65535)
        except TimeoutError:
            break
        now_ns = time.monotonic_ns()
        seq, sent_ns = HEADER.unpack_from(data)
        if seq == FIN:
            deadline = min(deadline, time.monotonic() + linger)
            continue
        if seq in seen:
            dup += 1
            continue
        seen.add(seq)
        if seq < highest:
            reordered += 1
        highest = max(highest, seq)
        transit = (now_ns - sent_ns) / 1e6
        owd_ms.append(transit)
        if prev_transit is not None:
            jitter += (abs(transit - prev_transit) - jitter) / 16
        prev_transit = transit
        arrivals.append((now_ns / 1e9, len(data) + IP_UDP_OVERHEAD + ETH_OVERHEAD))
    out = {"received": len(seen), "duplicates": dup, "reordered": reordered, "max_seq": highest}
    if owd_ms:
        q = statistics.quantiles(owd_ms, n=10) if len(owd_ms) > 1 else [owd_ms[0]] * 9
        out.update(
            owd_ms_p50=round(statistics.median(owd_ms), 2),
            owd_ms_p10=round(q[0], 2),
            owd_ms_p90=round(q[-1], 2),
            owd_ms_min=round(min(owd_ms), 2),
            owd_ms_std=round(statistics.pstdev(owd_ms), 2),
            jitter_rfc3550_ms=round(jitter, 2),
        )
    if len(arrivals) > 10:
        # Rate over the middle of the flow: skips the tbf bucket's initial burst and the tail.
        a = arrivals[len(arrivals) // 10 : -max(1, len(arrivals) // 20)]
        span = a[-1][0] - a[0][0]
        if span > 0:
            out["rx_kbit_wire"] = round(sum(b for _, b in a[1:]) * 8 / span / 1000, 1)
    return out


def main(argv: list[str] | None = None) -> int:
    """CLI entry point: `send` or `recv`, printing one JSON line."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("send")
    s.add_argument("--to", required=True)
    s.add_argument("--port", type=int, required=True)
    s.add_argument("--seconds", type=float, default=10)
    s.add_argument("--pps", type=float, default=200)
    s.add_argument("--kbit", type=float, help="flood at this wire rate instead of --pps")
    s.add_argument("--size", type=int, default=64, help="UDP payload bytes")
    r = sub.add_parser("recv")
    r.add_argument("--bind", required=True)
    r.add_argument("--port", type=int, required=True)
    r.add_argument("--seconds", type=float, default=30, help="hard upper bound")
    r.add_argument("--linger", type=float, default=1.5, help="wait after FIN for late packets")
    a = p.parse_args(argv)
    if a.mode == "send":
        pps = a.pps
        if a.kbit:
            pps = a.kbit * 1000 / 8 / (max(a.size, HEADER.size) + IP_UDP_OVERHEAD + ETH_OVERHEAD)
        result = send(a.to, a.port, a.seconds, pps, a.size)
        result["pps"] = round(pps, 1)
    else:
        result = receive(a.bind, a.port, a.seconds, a.linger)
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
