"""aiortc across the lab: a data-channel echo server and a probing client (harness smoke test).

Shows that aiortc connects over the veth addresses (host candidates only, no STUN/TURN), and
measures data-channel RTT and echo loss.  Not the network check: a reference for its author.

    run_check.py \\
      --server-cmd '{repo}/.venv/bin/python {repo}/bench/netlab/aiortc_smoke.py server \\
                    --host {server_ip} --port {port}' \\
                 --client-cmd '{repo}/.venv/bin/python {repo}/bench/netlab/aiortc_smoke.py client --url {url}'
"""

from __future__ import annotations

import argparse
import asyncio
import http.server
import json
import statistics
import struct
import sys
import threading
import time
import urllib.request

from aiortc import RTCConfiguration, RTCPeerConnection, RTCSessionDescription

PROBE = struct.Struct("!Id")  # sequence number, send time (monotonic s)


def _config() -> RTCConfiguration:
    # Explicitly empty: unset, aiortc falls back to a public STUN server.
    return RTCConfiguration(iceServers=[])


def serve(host: str, port: int, seconds: float) -> None:
    """HTTP signalling (POST /offer) with one asyncio loop in a daemon thread; echo channels."""
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, daemon=True).start()
    peers: set[RTCPeerConnection] = set()

    async def answer(offer: dict) -> dict:
        pc = RTCPeerConnection(_config())
        peers.add(pc)

        @pc.on("datachannel")
        def _on_channel(channel):
            channel.on("message", channel.send)

        @pc.on("connectionstatechange")
        async def _on_state():
            if pc.connectionState in ("failed", "closed"):
                peers.discard(pc)
                await pc.close()

        await pc.setRemoteDescription(RTCSessionDescription(**offer))
        await pc.setLocalDescription(await pc.createAnswer())
        loop.call_later(120, lambda: asyncio.ensure_future(pc.close()))  # hard session limit
        return {"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802
            offer = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
            body = json.dumps(asyncio.run_coroutine_threadsafe(answer(offer), loop).result(20)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 - readiness probe
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer((host, port), Handler)
    threading.Timer(seconds, httpd.shutdown).start()
    httpd.serve_forever()


async def probe(url: str, count: int, interval: float, connect_timeout: float) -> dict:
    """Connect, send `count` unreliable probes, and report connect time, RTT and echo loss."""
    pc = RTCPeerConnection(_config())
    channel = pc.createDataChannel("probe", ordered=False, maxRetransmits=0)
    opened = asyncio.Event()
    rtts: dict[int, float] = {}
    channel.on("open", opened.set)

    @channel.on("message")
    def _on_message(data):
        seq, sent = PROBE.unpack(data)
        rtts.setdefault(seq, (time.monotonic() - sent) * 1000)

    t0 = time.monotonic()
    await pc.setLocalDescription(await pc.createOffer())
    req = urllib.request.Request(
        f"{url}/offer",
        method="POST",
        headers={"Content-Type": "application/json"},
        data=json.dumps({"sdp": pc.localDescription.sdp, "type": pc.localDescription.type}).encode(),
    )
    answer = await asyncio.to_thread(lambda: json.load(urllib.request.urlopen(req, timeout=20)))
    await pc.setRemoteDescription(RTCSessionDescription(**answer))
    try:
        await asyncio.wait_for(opened.wait(), connect_timeout)
    except asyncio.TimeoutError:
        await pc.close()
        return {"verdict": "fail", "reason": "no_data_channel", "ice_state": pc.iceConnectionState}
    connect_ms = (time.monotonic() - t0) * 1000
    for seq in range(count):
        channel.send(PROBE.pack(seq, time.monotonic()))
        await asyncio.sleep(interval)
    await asyncio.sleep(2.0)  # late echoes
    await pc.close()
    values = list(rtts.values())
    return {
        "verdict": "pass" if values else "fail",
        "connect_ms": round(connect_ms, 1),
        "rtt_ms_p50": round(statistics.median(values), 2) if values else None,
        "echo_loss_pct": round(100 * (count - len(values)) / count, 2),
        "probes": count,
    }


def main(argv: list[str] | None = None) -> int:
    """CLI: `server --host H --port P` or `client --url http://H:P`."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="mode", required=True)
    s = sub.add_parser("server")
    s.add_argument("--host", required=True)
    s.add_argument("--port", type=int, default=5000)
    s.add_argument("--seconds", type=float, default=600)
    c = sub.add_parser("client")
    c.add_argument("--url", required=True)
    c.add_argument("--count", type=int, default=500)
    c.add_argument("--interval", type=float, default=0.02)
    c.add_argument("--connect-timeout", type=float, default=15)
    a = p.parse_args(argv)
    if a.mode == "server":
        serve(a.host, a.port, a.seconds)
    else:
        print(json.dumps(asyncio.run(probe(a.url, a.count, a.interval, a.connect_timeout))), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
