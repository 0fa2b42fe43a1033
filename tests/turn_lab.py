"""A participant behind a firewall that lets only TCP port 443 out, and coturn with a TLS listener
on 443 beside the media server: the check can only get through as TURN over TLS. Needs root,
``ip``, ``nft``, ``openssl`` and coturn's ``turnserver``.

    client 10.97.1.2  --  [this namespace routes]  --  server 10.97.2.2 (app, port 443)
      output: TCP 443 only                                    10.97.2.3 (coturn, TLS on 443)

Built on ``routed_path.RoutedPath``; the client's own nftables output chain is the corporate
firewall (UDP and every other TCP port dropped), so its packets to the server's UDP candidates
never leave. The page is served on port 443 too (plain HTTP in the lab: the firewall filters on
ports). coturn uses the shared-secret scheme (``use-auth-secret``), as docs/turn.md recommends, and
a certificate made here for its address; the client trusts it through ``SSL_CERT_FILE``.
Optionally the router's two egress links are shaped with tbf (``shape=(down_kbps, up_kbps)``).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

from routed_path import RoutedPath
from routed_path import available as routed_available

APP_IP = "10.97.2.2"
TURN_IP = "10.97.2.3"
PORT = 443
TURN_SECRET = "lab-turn-secret"
TURN_REALM = "preflight.lab"
RELAY_PORTS = (49160, 49200)

CLIENT_FIREWALL = f"""
table inet corp {{
  chain output {{
    type filter hook output priority filter; policy drop;
    oifname "lo" accept
    tcp dport {PORT} accept
    meta l4proto udp counter drop
    counter drop
  }}
}}
"""


def available() -> str | None:
    """Why the lab cannot be built here, or None when it can."""
    if (why := routed_available()) is not None:
        return why
    for tool, package in (("nft", "nftables"), ("openssl", "openssl"), ("turnserver", "coturn")):
        if shutil.which(tool) is None:
            return f"needs {tool} ({package})"
    return None


def make_certificate(workdir: Path, address: str = TURN_IP) -> tuple[Path, Path]:
    """A self-signed certificate for ``address`` (as an IP subjectAltName); returns (cert, key)."""
    cert, key = workdir / "turn-cert.pem", workdir / "turn-key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        + ["-days", "1", "-subj", "/CN=turn.preflight.lab", "-addext", f"subjectAltName=IP:{address}"]
        + ["-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
        timeout=20,
    )
    return cert, key


def ice_servers() -> list[dict]:
    """The app's ``ICE_SERVERS``: TURN over TLS on 443 only, with the shared secret (short-lived credentials)."""
    return [{"urls": [f"turns:{TURN_IP}:{PORT}?transport=tcp"], "secret": TURN_SECRET}]


class TurnLab(RoutedPath):
    """RoutedPath plus coturn's address in the server namespace and the firewall in the client's."""

    def __init__(self, workdir: Path, shape: tuple[int, int] | None = None) -> None:
        super().__init__()
        self.workdir = workdir
        self.shape = shape
        self.turn: subprocess.Popen | None = None
        self.cert, self.key = make_certificate(workdir)

    def __enter__(self) -> "TurnLab":
        super().__enter__()
        try:
            self._ip("-n", self.server, "addr", "add", f"{TURN_IP}/24", "dev", "eth0")
            subprocess.run(
                [*self.prefix(self.client), "nft", "-f", "-"],
                input=CLIENT_FIREWALL,
                check=True,
                capture_output=True,
                text=True,
                timeout=10,
            )
            if self.shape:
                # On the router's egress (toward the client = download, toward the server = upload), never
                # on a sender's own interface (see docs/netlab.md).
                for link, kbps in zip(self._links, self.shape):
                    subprocess.run(
                        ["tc", "qdisc", "add", "dev", link, "root", "tbf"]
                        + ["rate", f"{kbps}kbit", "burst", "15kb", "latency", "200ms"],
                        check=True,
                        capture_output=True,
                        timeout=10,
                    )
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        if self.turn is not None and self.turn.poll() is None:
            self.turn.terminate()
            try:
                self.turn.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.turn.kill()
                self.turn.wait()
        super().__exit__(*exc)

    def start_turn(self, timeout: float = 10) -> None:
        """coturn in the server namespace: TLS on TURN_IP:443 only (no UDP/TCP/DTLS listeners)."""
        log = open(self.workdir / "turnserver.log", "ab")
        argv = [shutil.which("turnserver"), "-n", "--no-cli", "--no-udp", "--no-tcp", "--no-dtls"]
        argv += ["--listening-ip", TURN_IP, "--relay-ip", TURN_IP, "--tls-listening-port", str(PORT)]
        argv += ["--cert", str(self.cert), "--pkey", str(self.key)]
        argv += ["--use-auth-secret", "--static-auth-secret", TURN_SECRET, "--realm", TURN_REALM]
        argv += ["--min-port", str(RELAY_PORTS[0]), "--max-port", str(RELAY_PORTS[1])]
        argv += ["--pidfile", str(self.workdir / "turnserver.pid"), "--userdb", str(self.workdir / "turndb")]
        argv += ["--log-file", "stdout", "--simple-log"]
        self.turn = subprocess.Popen(
            [*self.prefix(self.server), *argv], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.turn.poll() is not None:
                raise RuntimeError(f"coturn exited ({self.turn.returncode}):\n{self.turn_log()[-3000:]}")
            listening = subprocess.run(
                [*self.prefix(self.server), "ss", "-tlnH", "src", f"{TURN_IP}:{PORT}"], capture_output=True, text=True
            ).stdout
            if listening.strip():
                return
            time.sleep(0.1)
        raise RuntimeError(f"coturn did not listen on {TURN_IP}:{PORT}:\n{self.turn_log()[-3000:]}")

    def dropped_udp(self) -> int:
        """How many UDP packets the client's firewall has dropped so far."""
        listing = subprocess.run(
            [*self.prefix(self.client), "nft", "list", "chain", "inet", "corp", "output"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout
        found = re.search(r"meta l4proto udp counter packets (\d+)", listing)
        return int(found.group(1)) if found else 0

    def turn_log(self) -> str:
        """What coturn wrote so far."""
        path = self.workdir / "turnserver.log"
        return path.read_text(errors="replace") if path.exists() else ""


def _chromium(url: str, token: str) -> dict:
    """The page's network step in headless Chromium (bench/netlab's client), trusting any TURN certificate.

    ``--ignore-certificate-errors`` stands in for a certificate browsers accept: Chromium checks the
    TURN server's, and with the lab's self-signed one it gathers no relay candidate at all."""
    import sys

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench" / "netlab"))
    from playwright.sync_api import BrowserType

    launch = BrowserType.launch

    def trusting(self, **options):
        return launch(self, **{**options, "args": [*options.get("args", []), "--ignore-certificate-errors"]})

    BrowserType.launch = trusting
    import netlab_clients

    return netlab_clients.browser_client(url, token, 60)


if __name__ == "__main__":
    import json
    import sys

    # python tests/turn_lab.py URL TOKEN: one browser check, its judgement as one JSON line.
    print(json.dumps(_chromium(sys.argv[1], sys.argv[2])), flush=True)
