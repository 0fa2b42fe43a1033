"""A locked database answers 503 with Retry-After, in the participant's language, never a raw 500."""

from __future__ import annotations

import sqlite3
from contextlib import contextmanager

import pytest
from result_payloads import PAYLOADS


@pytest.fixture
def app_config(app_config):
    if not app_config["DATABASE_URL"].startswith("sqlite"):
        pytest.skip("holds a SQLite write lock from a second connection")
    app_config["DATABASE_BUSY_TIMEOUT"] = 0.3
    return app_config


@contextmanager
def write_lock(database_url: str):
    """A second connection holding the database's write lock, as a long import or a backup would."""
    holder = sqlite3.connect(database_url.split("sqlite:///", 1)[1], timeout=1, isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")
    try:
        yield
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_results_posted_while_the_database_is_locked_get_503(app, client, make_participant):
    participant, token = make_participant(language="fr")
    body = {"run_id": "run-locked-000001", "checks": {"speakers": PAYLOADS["speakers"]}}
    with write_lock(app.config["DATABASE_URL"]):
        response = client.post(f"/c/{token}/results", json=body)
    assert response.status_code == 503
    assert response.headers["Retry-After"]


def test_a_page_that_writes_while_locked_gets_a_localised_503(app, client, make_participant):
    """Opening the link records first_opened_at (a write): 503 page in French, not a trace."""
    participant, token = make_participant(language="fr")
    with write_lock(app.config["DATABASE_URL"]):
        response = client.get(f"/c/{token}")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "30"
    page = response.get_data(as_text=True)
    assert "Traceback" not in page and 'lang="fr"' in page
