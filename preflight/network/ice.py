"""ICE servers from the ``ICE_SERVERS`` setting, for the page and for the server's peers.

Entries are RTCIceServer objects (``urls``, ``username``, ``credential``). An entry may give
``secret`` instead of a fixed credential: coturn's ``use-auth-secret`` (TURN REST API)
scheme, where the username is ``<expiry>:<name>`` and the credential
base64(HMAC-SHA1(secret, username)), so participants never see a long-lived password.
Nothing is added by default: never a public STUN server behind the operator's back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from typing import Any

from aiortc import RTCIceServer

TURN_CREDENTIAL_TTL_S = 3600


def _urls(entry: dict[str, Any]) -> list[str]:
    urls = entry.get("urls")
    return [urls] if isinstance(urls, str) else [u for u in urls or [] if isinstance(u, str)]


def resolve(config: list[Any], name: str, now: float | None = None) -> list[dict[str, Any]]:
    """Browser-style RTCIceServer dicts, with ephemeral credentials for ``secret`` entries."""
    servers = []
    for entry in config or []:
        if not isinstance(entry, dict) or not _urls(entry):
            continue
        server: dict[str, Any] = {"urls": _urls(entry)}
        if entry.get("secret"):
            expiry = int((now or time.time()) + TURN_CREDENTIAL_TTL_S)
            username = f"{expiry}:{name}"
            digest = hmac.new(str(entry["secret"]).encode(), username.encode(), hashlib.sha1).digest()
            server.update(username=username, credential=base64.b64encode(digest).decode())
        elif entry.get("username") is not None:
            server.update(username=str(entry["username"]), credential=str(entry.get("credential", "")))
        servers.append(server)
    return servers


def for_aiortc(servers: list[dict[str, Any]]) -> list[RTCIceServer]:
    """The STUN part of the list as aiortc objects, for the server's own peers.

    The server needs STUN only when it sits behind NAT; a relay on its side would add a TURN
    allocation per peer connection for nothing (the page relays when its network needs it).
    """
    out = []
    for server in servers:
        stun = [u for u in server["urls"] if u.startswith(("stun:", "stuns:"))]
        if stun:
            out.append(RTCIceServer(urls=stun))
    return out
