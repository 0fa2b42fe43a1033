"""A stand-in for the real network check, so the harness can be exercised on its own.

server: HTTP on TCP PORT (`GET /ping` -> `{"pong": true}`) plus a UDP echo on the same port number.
client: times 10 HTTP requests and up to 30 UDP echoes, prints one JSON object with a toy verdict
("fail" when no UDP echo comes back, e.g. in the udp-blocked scenario, else "pass").
Not a measurement of anything the real check judges - only a harness self-test.
"""

from __future__ import annotations

import argparse
import http.server
import json
import socket
import statistics
import sys
import threading
import time
import urllib.request


class _Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):  # noqa: N802 - http.server's naming
        body = b'{"pong": true}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):  # keep the harness log quiet
        pass


def serve(host: str, port: int, seconds: float) -> None:
    """Serve HTTP and a UDP echo until killed or `seconds` pass."""
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    udp.bind((host, port))

    def echo():
        while True:
            data, addr = udp.recvfrom(2048)
            udp.sendto(data, addr)

    threading.Thread(target=echo, daemon=True).start()
    httpd = http.server.ThreadingHTTPServer((host, port), _Handler)
    threading.Timer(seconds, httpd.shutdown).start()
    httpd.serve_forever()


def client(url: str) -> dict:
    """Time HTTP round trips and UDP echoes against the stub server."""
    host, port = url.split("//", 1)[1].split(":")
    http_ms = []
    for _ in range(10):
        t0 = time.monotonic()
        with urllib.request.urlopen(f"{url}/ping", timeout=10) as resp:
            resp.read()
        http_ms.append((time.monotonic() - t0) * 1000)
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.settimeout(1.5)
    udp_ms, sent, misses = [], 0, 0
    for i in range(30):
        t0 = time.monotonic()
        sock.sendto(str(i).encode(), (host, int(port)))
        sent += 1
        try:
            while sock.recv(2048) != str(i).encode():
                pass
            udp_ms.append((time.monotonic() - t0) * 1000)
            misses = 0
        except TimeoutError:
            misses += 1
            if misses >= 3 and not udp_ms:  # UDP looks blocked: do not wait out every probe
                break
    return {
        "stub": True,
        "verdict": "pass" if udp_ms else "fail",
        "http_ms_p50": round(statistics.median(http_ms), 1),
        "udp_rtt_ms_p50": round(statistics.median(udp_ms), 1) if udp_ms else None,
        "udp_echo_loss_pct": round(100 * (sent - len(udp_ms)) / sent, 1),
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
    a = p.parse_args(argv)
    if a.mode == "server":
        serve(a.host, a.port, a.seconds)
    else:
        print(json.dumps(client(a.url)), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
