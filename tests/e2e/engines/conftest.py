"""Fixtures shared by the Firefox and WebKit flows: a staged server for the network verdict.

The staged server is the live app behind a thin WSGI layer that swaps two of the page's scripts:
``check-steps.js`` for nothing (the device steps stay out) and ``network.js`` for a stub step that
asks this layer for a network payload, signed for the page's own run as the aiortc peer signs it.
The real ``check.js`` then posts it and shows the server's verdict: a blocked or relay-only
network's wording rendered in the engine, without a blocked network. WebKitWebDriver has no request
interception, hence a server-side swap that works the same for both engines.

MiniBrowser's window cannot be made narrower than about 450 px (its toolbar), so ``PHONE_PATH`` frames
a page in a 360 x 740 iframe: a layout viewport of a phone's width, media queries included. The
staged server lets its pages be framed for that (no ``X-Frame-Options``, no ``frame-ancestors``).
"""

from __future__ import annotations

import html
import json
import re
import threading
from urllib.parse import parse_qs

import pytest
from engine_support import staged_network
from support_factories import run_check  # noqa: F401  (a complete check posted as a page does)
from werkzeug.serving import make_server

STAGE_PATH = "/__stage__/network"  # also in STUB_NETWORK
PHONE_PATH = "/__stage__/phone"  # ?src=<path#fragment> framed 360 px wide
PHONE = '<!doctype html><title>phone</title><iframe src="%s" width="360" height="740" frameborder="0"></iframe>'
# The page's scripts are fingerprinted (network.f84cbaa3d99a.js): the two swapped ones, by name.
SWAPPED = re.compile(r"/static/js/(check-steps|network)(\.[0-9a-f]+)?\.js")
# The stub network step: the payload named in the page's fragment (#network=<kind>&pid=<id>).
STUB_NETWORK = """(function () {
"use strict";
window.Preflight.registerStep("network", { run: async function (ctx) {
  var hash = new URLSearchParams(location.hash.slice(1));
  var url = "/__stage__/network?kind=" + hash.get("network") + "&pid=" + hash.get("pid") +
    "&run=" + encodeURIComponent(ctx.runId);
  return (await fetch(url)).json();
} });
}());"""


def _frameable(start_response):
    """Drop the app's framing refusal (only this test server frames its pages)."""

    def start(status, headers, exc_info=None):
        kept = []
        for name, value in headers:
            if name.lower() == "x-frame-options":
                continue
            if name.lower() == "content-security-policy":
                value = "; ".join(d for d in value.split("; ") if not d.startswith("frame-ancestors"))
            kept.append((name, value))
        return start_response(status, kept, exc_info)

    return start


def _staged(app):
    def wsgi(environ, start_response):
        path = environ.get("PATH_INFO", "")
        query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
        swapped = SWAPPED.fullmatch(path)
        if path == STAGE_PATH:
            body = json.dumps(staged_network(app.config["SECRET_KEY"], query["kind"], int(query["pid"]), query["run"]))
            kind = "application/json"
        elif path == PHONE_PATH:
            body, kind = PHONE % html.escape(query["src"]), "text/html; charset=utf-8"
        elif swapped:
            body, kind = (STUB_NETWORK if swapped.group(1) == "network" else ""), "text/javascript"
        else:
            return app(environ, _frameable(start_response))
        start_response("200 OK", [("Content-Type", kind), ("Cache-Control", "no-store")])
        return [body.encode()]

    return wsgi


@pytest.fixture(scope="session")
def staged_server(live_app):
    """``http://127.0.0.1:<port>``: the live app with the network step staged (see the module's docstring)."""
    server = make_server("127.0.0.1", 0, _staged(live_app), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="staged-server", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)
