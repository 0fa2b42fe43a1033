"""Alerts to the support team and the outbox worker that delivers everything the support side sends.

Hook for the results endpoint: ``on_run_judged(session, run)`` after a run's
verdicts are stored (same transaction). Worker: ``flask worker`` (``--once`` for one pass).
"""

from flask import Blueprint

bp = Blueprint("alerts", __name__, cli_group=None)


def on_run_judged(session, run) -> bool:
    """Record a failing run for its event's next digest; cheap, idempotent, safe to call on every post."""
    if getattr(run, "overall", None) != "fail" or run.id is None:
        return False
    from .digest import record_failure

    return record_failure(session, run)


from . import worker  # noqa: E402,F401  (registers the CLI command)

__all__ = ["bp", "on_run_judged"]
