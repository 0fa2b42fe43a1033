"""Database engine and the one-session-per-request unit of work.

Views only ``add`` and ``flush``; the session is committed once after a
successful response and rolled back otherwise, here and nowhere else.
"""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from flask import Flask, current_app, g
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

_ENGINE_KEY = "preflight_engine"


def make_engine(url: str, busy_timeout_s: float = 15) -> Engine:
    """Create an engine with settings that suit each backend (SQLite waits ``busy_timeout_s`` for a lock)."""
    if url.startswith("sqlite"):
        busy_ms = int(busy_timeout_s * 1000)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": busy_timeout_s})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cursor = dbapi_conn.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            # WAL lets the dashboard read while participants write.
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA busy_timeout={busy_ms}")
            cursor.close()

        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=5, max_overflow=10)


def default_database_url(app: Flask) -> str:
    """SQLite file under the instance folder."""
    return f"sqlite:///{Path(app.instance_path) / 'preflight.sqlite3'}"


def init_app(app: Flask) -> None:
    """Bind the engine to the app and register the unit-of-work hooks."""
    url = app.config.get("DATABASE_URL") or default_database_url(app)
    app.config["DATABASE_URL"] = url
    app.extensions[_ENGINE_KEY] = make_engine(url, app.config.get("DATABASE_BUSY_TIMEOUT", 15))

    @app.after_request
    def _commit(response):
        session = g.pop("db_session", None)
        if session is not None:
            try:
                if response.status_code < 400:
                    session.commit()
                else:
                    session.rollback()
            finally:
                session.close()
        return response

    @app.teardown_request
    def _discard(_exc):
        # Reached with a session still open only when the view raised.
        session = g.pop("db_session", None)
        if session is not None:
            session.rollback()
            session.close()


def reset_request_session() -> None:
    """Roll back the request's session so error pages can still read (participant, language).

    After a failed flush (a locked database, a lost connection) the session refuses every
    query until rolled back; an error page that looks up the participant's language would
    then fail in turn and turn a 503 into a 500. The session stays open: objects already
    loaded refresh on their next use, and the request still ends in the rollback below.
    """
    session = g.get("db_session")
    if session is not None:
        session.rollback()


def get_engine() -> Engine:
    """The current app's engine."""
    return current_app.extensions[_ENGINE_KEY]


def get_session() -> Session:
    """The request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


@contextmanager
def session_scope() -> Iterator[Session]:
    """A session for CLI commands and background work: commit on success, rollback on error."""
    session = Session(get_engine(), expire_on_commit=False)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()
