"""A connection that the server closes but the client keeps open stalls no one else.

gunicorn 26.0 and later linger on every connection their threaded worker closes, in its main
loop, until the client closes too or 2 s pass; every other request waits behind it (pyproject.toml
pins below 26; 27.0 does it after a malformed request as well). In the lab a participant's offer
waited a round trip behind a browser's stray TLS attempt on a satellite link (docs/netlab.md).
Real gunicorn with the production configuration.
"""

from __future__ import annotations

import socket
import urllib.request

from gunicorn_server import GunicornServer

SECRET = "stalled-secret-key-that-is-long-enough-0123456789abcdef"
# gunicorn 26-27 linger up to 2 s: an answer within this time came from a worker that did not wait.
ANSWER_BEFORE_LINGER_ENDS_S = 1.5


def _held_open(port: int, data: bytes, *, answered: bool) -> socket.socket:
    """A connection that sends ``data`` (and reads the answer) and then neither writes nor closes."""
    conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    conn.sendall(data)
    if answered:
        assert conn.recv(4096).startswith(b"HTTP/1.1 200")  # the server is closing its side now
    return conn


def test_other_requests_are_answered_while_closed_connections_stay_open(app_config, tmp_path):
    # Each held connection may keep one of the worker's threads (the production default is 8).
    server = GunicornServer(app_config["DATABASE_URL"], SECRET, tmp_path / "gunicorn.log", threads=4).start()
    held = []
    try:
        # Not HTTP at all (a TLS hello on the plain port), then a request that asks to close.
        hello = b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + bytes(40) + b"\n"
        held.append(_held_open(server.port, hello, answered=False))
        request = b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
        held.append(_held_open(server.port, request, answered=True))
        for _ in range(3):
            with urllib.request.urlopen(server.url + "/healthz", timeout=ANSWER_BEFORE_LINGER_ENDS_S) as response:
                assert response.status == 200
    finally:
        for conn in held:
            conn.close()
        server.stop()
