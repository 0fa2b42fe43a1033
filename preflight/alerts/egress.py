"""Outgoing webhook posts that cannot be turned against the server's own network (SSRF).

Staff type a webhook URL; the worker then posts to it from inside the hosting network. Without a
guard that URL could name Redis on loopback, a cloud metadata service (169.254.169.254) or any
private host, and the error shown back on the dashboard would tell a port scanner what answered.

The guard:

- accepts only ``http``/``https`` URLs whose every resolved address is a public (global unicast)
  address, unless the host or address is on the operator's allow-list (``WEBHOOK_ALLOWED_HOSTS``:
  host names, addresses or networks, comma-separated), checked when the URL is saved and again
  when each post is sent;
- resolves the name itself at connection time and connects to the address it checked (so a DNS
  answer that changes between the check and the connection, "DNS rebinding", gains nothing); TLS
  still verifies the certificate against the host name;
- follows no redirects (a public receiver cannot bounce the post to a private address);
- reports failures in a few fixed words, never the socket's own error text.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from flask import current_app


class UnsafeURL(ValueError):
    """The URL may not be posted to; the message is fit to show to staff."""


Address = ipaddress.IPv4Address | ipaddress.IPv6Address


def _allow_list() -> tuple[set[str], list[ipaddress.IPv4Network | ipaddress.IPv6Network]]:
    names, networks = set(), []
    for item in current_app.config.get("WEBHOOK_ALLOWED_HOSTS") or []:
        item = item.strip().lower()
        if not item:
            continue
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            names.add(item.rstrip("."))
    return names, networks


def _public(address: Address) -> bool:
    # is_global is False for loopback, private, link-local (metadata services), shared (CGNAT),
    # reserved and unspecified ranges; multicast is "global" for some ranges, so refuse it too.
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not address.is_multicast


def allowed_address(host: str, address: Address) -> bool:
    """Whether posting to ``address`` (resolved from ``host``) is allowed."""
    names, networks = _allow_list()
    if host.lower().rstrip(".") in names or any(address in network for network in networks):
        return True
    return _public(address)


def resolve(host: str, port: int) -> list[Address]:
    """Every address ``host`` resolves to (UnsafeURL when it does not resolve)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise UnsafeURL("the receiver's host name could not be resolved") from None
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def split(url: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a webhook URL; UnsafeURL for anything but http(s) with a host."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise UnsafeURL("the webhook URL is not valid") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise UnsafeURL("the webhook URL must start with http:// or https:// and name a host")
    if parts.username or parts.password:
        raise UnsafeURL("the webhook URL must not carry a user name or password")
    return parts.scheme, parts.hostname, port or (443 if parts.scheme == "https" else 80)


def check_url(url: str, *, resolve_names: bool = True) -> None:
    """Raise UnsafeURL unless every address of the URL's host may receive posts.

    With ``resolve_names=False`` (saving a form) a name that does not resolve is accepted:
    the receiver may not exist yet, and every post checks again before connecting.
    """
    _scheme, host, port = split(url)
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = resolve(host, port)
        except UnsafeURL:
            if resolve_names:
                raise
            return
    if not all(allowed_address(host, address) for address in addresses):
        raise UnsafeURL("the webhook URL points to a private, loopback or reserved address")


def _connect(host: str, port: int, timeout: float | None) -> socket.socket:
    """A socket to the first allowed address of ``host`` (each address checked before connecting)."""
    addresses = resolve(host, port)
    allowed = [address for address in addresses if allowed_address(host, address)]
    if not allowed or len(allowed) != len(addresses):
        raise UnsafeURL("the webhook URL points to a private, loopback or reserved address")
    last_error: OSError | None = None
    for address in allowed:
        try:
            return socket.create_connection((str(address), port), timeout=timeout)
        except OSError as exc:
            last_error = exc
    raise last_error or OSError("no address to connect to")


class _GuardedHTTPConnection(http.client.HTTPConnection):
    def connect(self):
        self.sock = _connect(self.host, self.port, self.timeout)


class _GuardedHTTPSConnection(http.client.HTTPSConnection):
    def connect(self):
        sock = _connect(self.host, self.port, self.timeout)
        self.sock = self._context.wrap_socket(sock, server_hostname=self.host)


class _GuardedHTTPHandler(urllib.request.HTTPHandler):
    def http_open(self, req):
        return self.do_open(_GuardedHTTPConnection, req)


class _GuardedHTTPSHandler(urllib.request.HTTPSHandler):
    def __init__(self):
        super().__init__(context=ssl.create_default_context())

    def https_open(self, req):
        return self.do_open(_GuardedHTTPSConnection, req, context=self._context)


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # the 3xx then surfaces as an HTTPError: a failed attempt


_OPENER = urllib.request.build_opener(_GuardedHTTPHandler, _GuardedHTTPSHandler, _NoRedirect)


class PostFailed(RuntimeError):
    """The post did not reach a receiver that took it; the message is fixed text fit for staff."""


def post(url: str, body: bytes, headers: dict[str, str], timeout: float) -> None:
    """POST ``body`` to ``url`` through the guard; PostFailed with a generic reason otherwise."""
    try:
        check_url(url)
        request = urllib.request.Request(url, data=body, method="POST", headers=headers)
        with _OPENER.open(request, timeout=timeout) as response:
            response.read(1024)
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400:
            raise PostFailed(
                f"the receiver answered with a redirect (HTTP {exc.code}), which is not followed"
            ) from None
        raise PostFailed(f"the receiver answered HTTP {exc.code}") from None
    except UnsafeURL as exc:
        raise PostFailed(str(exc)) from None
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, UnsafeURL):
            raise PostFailed(str(exc.reason)) from None
        raise PostFailed("could not connect to the receiver") from None
    except (OSError, http.client.HTTPException, ValueError):
        raise PostFailed("could not connect to the receiver") from None
