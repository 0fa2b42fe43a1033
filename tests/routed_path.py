"""A routed path on this machine: a client and a server network namespace, joined through this
namespace as their router (as in bench/netlab, without shaping). Needs root and ``ip``.

    with RoutedPath() as path:
        subprocess.run([*path.prefix(path.client), "node", ...])   # at 10.97.1.2, routed via 10.97.1.1
        # and a server bound to path.server_ip (10.97.2.2) inside path.server

Import it from a test as ``from routed_path import RoutedPath`` (``tests/`` is on ``sys.path``).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path


def available() -> str | None:
    """Why a routed path cannot be made here, or None when it can."""
    if os.geteuid() != 0:
        return "needs root (network namespaces)"
    if shutil.which("ip") is None:
        return "needs iproute2 (ip)"
    return None


class RoutedPath:
    """Two namespaces, each behind a veth pair into this namespace, with forwarding on between them."""

    client_ip, server_ip = "10.97.1.2", "10.97.2.2"

    def __init__(self) -> None:
        tag = uuid.uuid4().hex[:6]
        self.client, self.server = f"pft-c-{tag}", f"pft-s-{tag}"
        self._links = (f"pftc{tag}", f"pfts{tag}")
        self._forward = Path("/proc/sys/net/ipv4/ip_forward")
        self._forward_before = self._forward.read_text().strip()

    def __enter__(self) -> "RoutedPath":
        try:
            for ns, link, subnet in ((self.client, self._links[0], 1), (self.server, self._links[1], 2)):
                self._ip("netns", "add", ns)
                self._ip("link", "add", link, "type", "veth", "peer", "name", "eth0", "netns", ns)
                self._ip("addr", "add", f"10.97.{subnet}.1/24", "dev", link)
                self._ip("link", "set", link, "up")
                self._ip("-n", ns, "addr", "add", f"10.97.{subnet}.2/24", "dev", "eth0")
                self._ip("-n", ns, "link", "set", "eth0", "up")
                self._ip("-n", ns, "link", "set", "lo", "up")
                self._ip("-n", ns, "route", "add", "default", "via", f"10.97.{subnet}.1")
            self._forward.write_text("1")
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc) -> None:
        for ns in (self.client, self.server):
            for pid in subprocess.run(["ip", "netns", "pids", ns], capture_output=True, text=True).stdout.split():
                subprocess.run(["kill", "-9", pid], capture_output=True)
            subprocess.run(["ip", "netns", "del", ns], capture_output=True)
        for link in self._links:
            subprocess.run(["ip", "link", "del", link], capture_output=True)
        self._forward.write_text(self._forward_before)

    def prefix(self, ns: str) -> list[str]:
        """The argv prefix that runs a command inside ``ns``."""
        return ["ip", "netns", "exec", ns]

    @staticmethod
    def _ip(*args: str) -> None:
        subprocess.run(["ip", *args], check=True, capture_output=True, timeout=10)
