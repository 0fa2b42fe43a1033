"""Survey fixtures (worker, SMTP): see tests/support_factories.py."""

from support_factories import worker  # noqa: F401
