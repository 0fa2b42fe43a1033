"""Throw-away databases for tests: a SQLite file, or a private PostgreSQL database."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url


@contextmanager
def temporary_database(postgres_url: str | None, sqlite_dir: Path, prefix: str = "preflight_test") -> Iterator[str]:
    """Yield the URL of an empty database, dropped afterwards (PostgreSQL) or left in ``sqlite_dir``."""
    if not postgres_url:
        yield f"sqlite:///{sqlite_dir / (prefix + '.sqlite3')}"
        return
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
        # A throw-away database needs no flush to disk at every commit: waiting for it was a third
        # of the suite's time on PostgreSQL. Transactions and locking are unchanged.
        conn.execute(text(f'ALTER DATABASE "{name}" SET synchronous_commit = off'))
    try:
        yield make_url(postgres_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
