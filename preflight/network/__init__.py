"""The WebRTC network check's server side: a peer per running check, hosted in the app's own processes.

- ``host``: the asyncio loop thread (one per worker process, started lazily, again after a fork);
- ``registry``: live checks, the concurrency limit, close-all at worker exit;
- ``offer``: validation of the page's signalling request;
- ``views``: ``/c/<token>/network/...`` endpoints (offer, close, plain-HTTPS fallbacks);
- ``sctp``: the one correction to aiortc's SCTP sender the measurement depends on;
- ``session``: one check (set-up, the control state machine, the watchdog, the signed summary),
  with ``download`` (the paced sender) and ``upload`` (the meter) for the bulk phases;
- ``aiortc_internals``: every use of aiortc's private attributes (re-check at each upgrade);
- ``reference_client``: the protocol's reference client in Python (tests, benches);
- ``ice``: ICE servers and TURN credentials; ``timing``: the clock and the benches' trace.

The pure rules (protocol, statistics, the signed summary) are in ``preflight.netrules``.
"""

from flask import Blueprint

bp = Blueprint("network", __name__)

from . import views  # noqa: E402,F401
