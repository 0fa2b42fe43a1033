"""Support-side fixtures (runs, help requests, survey answers, webhooks, worker): see tests/support_factories.py."""

from support_factories import (  # noqa: F401
    answer_survey,
    ask_for_help,
    offline_receiver,
    run_check,
    webhook_receiver,
    worker,
)
