"""Support-side fixtures (runs, webhook receiver, worker): see tests/support_factories.py."""

from support_factories import judged, make_run, offline_receiver, webhook_receiver, worker  # noqa: F401
