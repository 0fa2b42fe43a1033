"""Security-test fixtures: help requests asked through the participant's page (tests/support_factories.py)."""

from support_factories import ask_for_help  # noqa: F401
