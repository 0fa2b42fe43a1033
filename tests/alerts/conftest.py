"""Support-side fixtures (runs, webhook receiver, worker): see tests/support_factories.py."""

from support_factories import run_check, offline_receiver, webhook_receiver, worker  # noqa: F401
