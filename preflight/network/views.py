"""Signalling and plain-HTTPS measurement endpoints, authorised by the participant's link."""

from __future__ import annotations

import asyncio
import logging
import os

from flask import current_app, g, jsonify, request

from .. import metrics
from ..extensions import compress, csrf, limiter
from ..participant.access import link_required
from ..profiles import get_profile
from . import bp, ice
from ..netrules import protocol as P
from .host import get_host
from .offer import OfferError, parse_request, request_json
from .registry import Busy, registry
from .session import CheckSession
from ..netrules.summary import sign
from .udp_ports import PortsExhausted

log = logging.getLogger(__name__)

# How long a view waits for the loop to answer an offer before giving up (and closing it).
ANSWER_TIMEOUT_S = 10.0
HTTP_DOWN_MAX_BYTES = 4 * 1024 * 1024
HTTP_UP_MAX_BYTES = 4 * 1024 * 1024
_HTTP_BLOCK = os.urandom(64 * 1024)
# Sessions being closed after a failed set-up: strong references until their close finishes.
_closing: set[asyncio.Task] = set()


def _public_limit() -> str:
    return current_app.config["RATELIMIT_PUBLIC"]


def _error(status: int, code: str, message: str, **headers):
    response = jsonify(error=code, message=message)
    response.status_code = status
    response.headers.update(headers)
    return response


class SignallingTimeout(Exception):
    """The server's peers did not produce answers in time."""


async def _open(limit: int, make, offers, negotiated: bool, **admission):
    """Admit a session and answer its offers on the loop; anything that goes wrong closes it."""
    checks = registry()
    session = await checks.admit(limit, make, **admission)
    try:
        answers = await asyncio.wait_for(session.accept(offers, negotiated), ANSWER_TIMEOUT_S)
    except PortsExhausted as exc:
        # A full MEDIA_UDP_PORTS is a full server: the page waits and retries as for busy slots.
        log.warning("network check refused: %s (widen PREFLIGHT_MEDIA_UDP_PORTS)", exc)
        await session.close("udp_ports_full")
        raise Busy(checks.retry_after(), reason="udp_ports") from None
    except asyncio.TimeoutError:
        await session.close("answer_timeout")
        raise SignallingTimeout() from None
    except asyncio.CancelledError:
        # The waiting view gave up: close in a task of its own so the cancellation cannot stop it.
        task = asyncio.ensure_future(session.close("cancelled"))
        _closing.add(task)
        task.add_done_callback(_closing.discard)
        raise
    except Exception as exc:  # aiortc rejects what the syntax check let through
        await session.close("bad_offer")
        raise OfferError("offer_rejected", f"the offer was refused: {type(exc).__name__}") from None
    return session.id, session.close_key, answers


@bp.get("/c/<token>/network/config")
@limiter.limit(_public_limit)
@link_required
def config(token: str):
    """What the page needs before it creates its offers: ICE servers, bulk connections, limits."""
    servers = ice.resolve(current_app.config["ICE_SERVERS"], f"p{g.participant.id}")
    return jsonify(
        ice_servers=servers,
        # Above this idle round trip the loaded one cannot change the verdict (checks/network.py:
        # bufferbloat is judged only without high_latency), so the page skips filling the queues.
        loaded_rtt_below_ms=get_profile(g.event.platform).rtt_ms.fail,
        down=P.DOWN_CONNECTIONS,
        up=P.UP_CONNECTIONS,
        up_long_rtt=P.UP_CONNECTIONS_LONG_RTT,
        long_rtt_ms=P.LONG_RTT_CONFIG_MS,
        time_limit=current_app.config["CHECK_TIME_LIMIT"],
        rate_cap_kbps=current_app.config["NETWORK_RATE_CAP_KBPS"],
    )


@bp.post("/c/<token>/network/offer")
@limiter.limit(_public_limit)
@link_required
@compress.compressed()  # two dozen answers: one flight of a new TCP window instead of two or three
def offer(token: str):
    """Answer the page's offers in one request (its body may be gzipped); 400 for a bad offer,
    415 for an unknown Content-Encoding, 503 + Retry-After when full."""
    if request.content_length is None or request.content_length > P.MAX_OFFER_REQUEST_BYTES:
        return _error(400, "offer_too_large", f"the signalling request is limited to {P.MAX_OFFER_REQUEST_BYTES} bytes")
    try:
        data = request_json(request.get_data(), request.headers.get("Content-Encoding"))
        parsed = parse_request(data if request.is_json else None)
    except OfferError as exc:
        return _error(415 if exc.code == "offer_encoding" else 400, exc.code, str(exc))
    app = current_app
    secret = app.config["SECRET_KEY"]
    servers = ice.for_aiortc(ice.resolve(app.config["ICE_SERVERS"], "server"))

    def make(on_closed):
        return CheckSession(
            participant_id=g.participant.id,
            run_id=parsed.run_id,
            http_addr=request.remote_addr,
            ice=servers,
            time_limit_s=app.config["CHECK_TIME_LIMIT"],
            sign=lambda record: sign(secret, record),
            on_closed=on_closed,
            public_addresses=app.config["MEDIA_PUBLIC_ADDRESS"],
            udp_ports=app.config["MEDIA_UDP_PORTS"],
            rate_cap_kbps=app.config["NETWORK_RATE_CAP_KBPS"],
        )

    try:
        session_id, close_key, answers = get_host().run(
            _open(
                app.config["MAX_CONCURRENT_CHECKS"],
                make,
                parsed.offers,
                parsed.negotiated,
                participant_id=g.participant.id,
                address=request.remote_addr,
                per_address=app.config["MAX_CHECKS_PER_ADDRESS"],
            ),
            timeout=ANSWER_TIMEOUT_S + 5,
        )
    except Busy as busy:
        metrics.NETWORK_CHECKS_REJECTED.labels(reason=busy.reason).inc()
        return _error(
            503, "busy", "every network-check slot is busy; retry shortly", **{"Retry-After": str(busy.retry_after)}
        )
    except OfferError as exc:
        return _error(400, exc.code, str(exc))
    except (SignallingTimeout, TimeoutError):
        metrics.NETWORK_CHECKS_REJECTED.labels(reason="answer_timeout").inc()
        return _error(
            503, "answer_timeout", "the server could not answer in time; retry shortly", **{"Retry-After": "2"}
        )
    return jsonify(session=session_id, close_key=close_key, answers=answers, time_limit=app.config["CHECK_TIME_LIMIT"])


async def _close(session_id: str, key: str) -> bool:
    session = registry().get(session_id)
    if session is None or session.close_key != key:
        return False
    await session.close("page_request")
    return True


@bp.post("/c/<token>/network/<session_id>/close")
@csrf.exempt  # sent by navigator.sendBeacon on page close (no custom header); the close key authorises it
@limiter.limit(_public_limit)
@link_required
def close(token: str, session_id: str):
    """Close a running check early (page closed or step aborted). 204 whether or not it was found here."""
    data = request.get_json(silent=True, force=True) if (request.content_length or 0) <= 1024 else None
    key = data.get("key") if isinstance(data, dict) else None
    host = get_host()
    if isinstance(key, str) and host.running:
        host.run(_close(session_id, key), timeout=10)
    return "", 204


@bp.get("/c/<token>/network/http-ping")
@limiter.limit(_public_limit)
@link_required
def http_ping(token: str):
    """The smallest possible answer, to time a plain HTTPS round trip."""
    return "", 204


@bp.get("/c/<token>/network/http-down")
@limiter.limit(_public_limit)
@link_required
def http_down(token: str):
    """``?bytes=N`` random bytes (at most 4 MiB), to time a plain HTTPS download."""
    size = request.args.get("bytes", default=1024 * 1024, type=int)
    size = max(1, min(size or 1, HTTP_DOWN_MAX_BYTES))

    def body():
        left = size
        while left > 0:
            block = _HTTP_BLOCK[: min(left, len(_HTTP_BLOCK))]
            left -= len(block)
            yield block

    response = current_app.response_class(body(), mimetype="application/octet-stream")
    response.headers["Content-Length"] = str(size)
    response.headers["Content-Encoding"] = "identity"
    return response


@bp.post("/c/<token>/network/http-up")
@limiter.limit(_public_limit)
@link_required
def http_up(token: str):
    """Swallow up to 4 MiB and say how many bytes arrived, to time a plain HTTPS upload."""
    if (request.content_length or 0) > HTTP_UP_MAX_BYTES:
        return _error(400, "too_large", f"at most {HTTP_UP_MAX_BYTES} bytes")
    received = 0
    stream = request.stream
    while chunk := stream.read(64 * 1024):
        received += len(chunk)
    return jsonify(bytes=received)
