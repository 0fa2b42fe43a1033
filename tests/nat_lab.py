"""A media server behind a 1:1 NAT and a participant behind a masquerading NAT, in four network
namespaces of their own (nothing in this namespace changes). Needs root, ``ip`` and ``nft``.

    client 192.168.77.2 -- 192.168.77.1 [client router] 198.51.100.2
        == internet ==
    198.51.100.7 [server router] 10.66.0.1 -- 10.66.0.2 server

- The server router is the provider's 1:1 NAT: everything sent to the public address
  198.51.100.7 goes to 10.66.0.2 (DNAT), what the server sends out leaves as 198.51.100.7
  (SNAT, ports kept). Nothing else from the internet reaches the private network, as on the
  internet where private addresses are not routed; ``open_udp`` confines the DNAT'd UDP to a
  port range, as a cloud firewall (security group) would.
- The client router masquerades its private network and lets in only replies to what went out
  (conntrack): no unsolicited packet reaches the client.
So the only working path is the client's packets to the public address.

    python tests/nat_lab.py URL TOKEN [--post] [--full]   # the reference client's check, in the client namespace

prints one JSON line: the check's state and the candidates of the server's answers. The client takes
its ICE servers from ``/c/<token>/network/config`` as the page does; ``--post`` also posts the result
to ``/c/<token>/results`` and adds the judged finding; ``--full`` runs the page's full-length phases
instead of the tests' short ones.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid

PUBLIC = "198.51.100.7"  # the server's public address (its router's side of the internet link)
CLIENT_PUBLIC = "198.51.100.2"  # where the client's router masquerades to
SERVER_PRIVATE = "10.66.0.2"


def available() -> str | None:
    """Why the lab cannot be built here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    for tool in ("ip", "nft"):
        if shutil.which(tool) is None:
            return f"needs {tool}"
    return None


class NatLab:
    """Four namespaces: client, client router (masquerade), server router (1:1 NAT), server."""

    def __init__(self, http_port: int, open_udp: tuple[int, int] | None = None) -> None:
        tag = uuid.uuid4().hex[:6]
        self.client, self.client_router = f"pfn-c-{tag}", f"pfn-cr-{tag}"
        self.server_router, self.server = f"pfn-sr-{tag}", f"pfn-s-{tag}"
        self.http_port = http_port
        self.open_udp = open_udp

    def __enter__(self) -> "NatLab":
        try:
            for ns in (self.client, self.client_router, self.server_router, self.server):
                self._ip("netns", "add", ns)
                self._ip("-n", ns, "link", "set", "lo", "up")
            self._link(self.client, "eth0", "192.168.77.2/24", self.client_router, "lan0", "192.168.77.1/24")
            self._link(self.client_router, "wan0", f"{CLIENT_PUBLIC}/24", self.server_router, "wan0", f"{PUBLIC}/24")
            self._link(self.server_router, "lan0", "10.66.0.1/24", self.server, "eth0", f"{SERVER_PRIVATE}/24")
            self._ip("-n", self.client, "route", "add", "default", "via", "192.168.77.1")
            self._ip("-n", self.server, "route", "add", "default", "via", "10.66.0.1")
            for router in (self.client_router, self.server_router):
                self.run(router, "sysctl", "-qw", "net.ipv4.ip_forward=1")
            self._nft(self.client_router, self._masquerade())
            self._nft(self.server_router, self._one_to_one())
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for ns in (self.client, self.client_router, self.server_router, self.server):
            for pid in subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split():
                subprocess.run(["kill", "-9", pid], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)  # takes its veth ends with it

    def prefix(self, ns: str) -> list[str]:
        """The argv prefix that runs a command inside ``ns``."""
        return ["ip", "netns", "exec", ns]

    def run(self, ns: str, *command: str) -> str:
        """Run ``command`` in ``ns`` and return its output (raises on failure)."""
        done = subprocess.run([*self.prefix(ns), *command], check=True, capture_output=True, text=True, timeout=20)
        return done.stdout

    def _masquerade(self) -> str:
        return """
table inet pfnat {
  chain postrouting { type nat hook postrouting priority srcnat; oifname "wan0" masquerade; }
  chain forward {
    type filter hook forward priority filter; policy drop;
    iifname "lan0" oifname "wan0" accept
    iifname "wan0" oifname "lan0" ct state established,related accept
  }
}
"""

    def _one_to_one(self) -> str:
        udp = "meta l4proto udp" if self.open_udp is None else f"udp dport {self.open_udp[0]}-{self.open_udp[1]}"
        return f"""
table ip pfnat {{
  chain prerouting {{
    type nat hook prerouting priority dstnat; iifname "wan0" ip daddr {PUBLIC} dnat to {SERVER_PRIVATE}
  }}
  chain postrouting {{
    type nat hook postrouting priority srcnat; oifname "wan0" ip saddr {SERVER_PRIVATE} snat to {PUBLIC}
  }}
  chain forward {{
    type filter hook forward priority filter; policy drop;
    iifname "lan0" oifname "wan0" accept
    iifname "wan0" oifname "lan0" ct state established,related accept
    iifname "wan0" oifname "lan0" ct status dnat tcp dport {self.http_port} accept
    iifname "wan0" oifname "lan0" ct status dnat {udp} accept
  }}
}}
"""

    def _link(self, ns_a: str, name_a: str, addr_a: str, ns_b: str, name_b: str, addr_b: str) -> None:
        self._ip("-n", ns_a, "link", "add", name_a, "type", "veth", "peer", "name", name_b, "netns", ns_b)
        for ns, name, addr in ((ns_a, name_a, addr_a), (ns_b, name_b, addr_b)):
            self._ip("-n", ns, "addr", "add", addr, "dev", name)
            self._ip("-n", ns, "link", "set", name, "up")

    def _nft(self, ns: str, rules: str) -> None:
        subprocess.run([*self.prefix(ns), "nft", "-f", "-"], input=rules, check=True, capture_output=True, text=True)

    @staticmethod
    def _ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)


def _client(url: str, token: str, post_results: bool = False, full: bool = False) -> dict:
    """The reference client's check against ``url`` (as the page: link page first for the CSRF token,
    then the network config for the ICE servers)."""
    import asyncio
    import http.cookiejar
    import json
    import re
    import urllib.error
    import urllib.request

    from preflight.network.reference_client import Plan, page_payload, run_check

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = opener.open(f"{url}/c/{token}", timeout=20).read().decode()
    csrf = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    config = json.loads(opener.open(f"{url}/c/{token}/network/config", timeout=20).read())
    answers: list[str] = []

    def post(body: dict):
        request = urllib.request.Request(
            f"{url}/c/{token}/network/offer",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
        )
        try:
            with opener.open(request, timeout=30) as response:
                data = json.loads(response.read())
                answers.extend(answer["sdp"] for answer in data["answers"])
                return response.status, dict(response.headers), data
        except urllib.error.HTTPError as exc:
            return exc.code, dict(exc.headers), json.loads(exc.read() or b"null")

    async def post_offer(body: dict):
        return await asyncio.get_running_loop().run_in_executor(None, post, body)

    short = dict(idle_s=0.6, phase_cap_s=1.2, connect_s=6.0, summary_s=3.0, down=1, up=2)
    plan = Plan(ice_servers=config["ice_servers"], **({} if full else short))
    result = asyncio.run(run_check(post_offer, "run-nat-lab", plan))
    candidates = re.findall(r"^a=candidate:\S+ \d+ udp \d+ (\S+) (\d+) typ (\w+)", "".join(answers), re.M | re.I)
    out = {
        "state": result["state"],
        "http_status": result.get("http_status"),
        "connect_ms": result.get("connect_ms"),
        "rtt_ms": result.get("rtt_ms"),
        "download_kbps": result.get("download_kbps"),
        "upload_kbps": (result.get("server_record") or {}).get("upload_kbps"),
        "ice_remote": (result.get("server_record") or {}).get("ice_remote"),
        "selected": result.get("selected"),
        "gathered": result.get("candidates"),
        "candidates": [[address, int(port), kind] for address, port, kind in candidates],
    }
    if post_results:
        body = {"run_id": "run-nat-lab", "checks": {"network": page_payload(result)}}
        request = urllib.request.Request(
            f"{url}/c/{token}/results",
            data=json.dumps(body).encode(),
            headers={"Content-Type": "application/json", "X-CSRFToken": csrf},
        )
        with opener.open(request, timeout=30) as response:
            out["judged"] = json.loads(response.read())["results"]["network"]
    return out


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(_client(sys.argv[1], sys.argv[2], "--post" in sys.argv[3:], "--full" in sys.argv[3:])), flush=True)
