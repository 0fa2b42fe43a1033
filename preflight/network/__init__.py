"""The WebRTC network check's server side: a peer per running check, hosted in the app's own processes.

- ``host``: the asyncio loop thread (one per worker process, started lazily, again after a fork);
- ``registry``: live checks, the concurrency limit, close-all at worker exit;
- ``session``: one check's peer connections and what the server measures;
- ``offer``: validation of the page's signalling request;
- ``views``: ``/c/<token>/network/...`` endpoints (offer, close, plain-HTTPS fallbacks);
- ``sctp``: the one correction to aiortc's SCTP sender the measurement depends on;
- ``stats``, ``protocol``, ``summary``, ``ice``: pure helpers.
"""

from flask import Blueprint

bp = Blueprint("network", __name__)

from . import views  # noqa: E402,F401
