"""Shared fixtures: a migrated database per test session (SQLite, or PostgreSQL when
``PREFLIGHT_TEST_DATABASE_URL`` is set), emptied after every test; the app, its
client and CLI runner; factories for events, participants and staff.
"""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import argon2
import pytest
from jinja2 import FileSystemBytecodeCache
from sqlalchemy import create_engine, inspect, text
from sqlmodel import select

from dbutil import temporary_database
from preflight import create_app
from preflight import migrate as migrations
from preflight.auth import passwords
from preflight.auth.passwords import hash_password
from preflight.db import session_scope
from preflight.links import issue_link
from preflight.models import Event, EventMember, Participant, StaffUser, metadata, utcnow
from support_factories import SMTPSink, free_port

PASSWORD = "correct-horse-42-battery"
SECRET = "test-secret-key-that-is-long-enough-for-production-0123456789"


# Under pytest-xdist (``make test`` runs two workers, ``--dist loadgroup``) every test that drives a
# browser, measures a network path or builds a namespace lab runs in one group, one after another
# on one worker, while the other worker takes the rest (most of it CPU-bound unit tests). Two
# measurements side by side on two cores would each see the other's load (a loaded round trip on
# loopback that reads as bufferbloat); the namespace labs share names and addresses; and a test
# that calls ``asyncio.run()`` in the main thread must come before that worker's first Playwright
# test (tests/e2e/conftest.py), which the group's collection order keeps. The group is the
# largest unit, so xdist hands it out first.
SERIAL_MARKERS = ("e2e", "lab", "firefox", "webkit", "own_loop")


def _serial(item) -> bool:
    return any(item.get_closest_marker(name) for name in SERIAL_MARKERS)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    """Puts the tests that must not run beside each other (SERIAL_MARKERS) in one xdist group."""
    for item in items:
        if _serial(item):
            item.add_marker(pytest.mark.xdist_group("serial"))


_priority: int | None = None


def _set_priority(value: int) -> None:
    """Every thread of this process at nice ``value`` (Linux keeps a nice value per thread, and
    the live server's and the WebRTC loop's threads may already run). Raising it back needs
    root: elsewhere the first value holds."""
    global _priority
    try:
        threads = [int(tid) for tid in os.listdir("/proc/self/task")]
    except OSError:
        threads = [0]
    for tid in threads:
        try:
            os.setpriority(os.PRIO_PROCESS, tid, value)
        except ProcessLookupError:
            continue  # the thread ended meanwhile
        except PermissionError:
            return  # not root: the nice value can only go up
    _priority = value


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    """Under xdist a test outside the serial group runs at nice 19, and the serial group's at nice
    0, whichever worker runs them: the browsers and network checks get the CPU they need, and
    their figures stay those of a quiet machine (a loopback upload measures the server's CPU)."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    wanted = 0 if _serial(item) else 19
    if _priority is None and wanted == 0:
        return  # never lowered: nothing to restore
    if _priority != wanted:
        _set_priority(wanted)


@pytest.fixture(scope="session", autouse=True)
def _cheap_password_hashes():
    """Argon2id at its cheapest cost: the production cost (~0.1 s a hash) spent on every login
    would be minutes of the suite, and no test measures the cost itself."""
    cheap = argon2.PasswordHasher.from_parameters(argon2.profiles.CHEAPEST)
    real, passwords._hasher = passwords._hasher, cheap
    yield
    passwords._hasher = real


@pytest.fixture(scope="session")
def template_bytecode(tmp_path_factory):
    """One compiled-template cache for every test app: each test builds its own app, and parsing
    and compiling every template again per app was a third of a web test's time."""
    return FileSystemBytecodeCache(str(tmp_path_factory.mktemp("jinja")))


@pytest.fixture(scope="session")
def database_url(tmp_path_factory):
    """A fresh, empty database for this test session."""
    with temporary_database(os.environ.get("PREFLIGHT_TEST_DATABASE_URL"), tmp_path_factory.mktemp("db")) as url:
        yield url


@pytest.fixture(scope="session")
def migrated_database(database_url):
    """The session's database, migrated to head once."""
    engine = create_engine(database_url)
    migrations.upgrade(engine)
    engine.dispose()
    return database_url


# Restarts every sequence of the test schema in one statement, so ids start at 1 in each test.
_RESTART_SEQUENCES = text(
    "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c "
    "WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
)


@pytest.fixture(scope="session")
def empty_database(migrated_database):
    """Empties the session's database after a test: rows deleted child tables first, sequences
    restarted. (A ``TRUNCATE`` of every table cost PostgreSQL ~0.15 s a test; deleting a few rows
    costs next to nothing.)"""
    engine = create_engine(migrated_database)
    existing = set(inspect(engine).get_table_names())
    tables = [t for t in reversed(metadata.sorted_tables) if t.name in existing]

    def empty() -> None:
        with engine.begin() as conn:
            for table in tables:
                conn.execute(table.delete())
            if engine.dialect.name == "postgresql":
                conn.execute(_RESTART_SEQUENCES)

    yield empty
    engine.dispose()


@pytest.fixture
def app_config(migrated_database, tmp_path):
    """Settings for the test app; tests may tweak them before ``app`` is built."""
    return {
        "TESTING": True,
        "DATABASE_URL": migrated_database,
        "SECRET_KEY": SECRET,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
        "BASE_URL": "http://localhost",
        "SMTP_HOST": "",
        # The suite's webhook receivers listen on loopback: allowed here as an operator would allow
        # an internal receiver; tests of the SSRF guard clear it.
        "WEBHOOK_ALLOWED_HOSTS": ["127.0.0.1"],
        # Every test client is 127.0.0.1; tests of the per-address share set their own.
        "MAX_CHECKS_PER_ADDRESS": 100,
        "TEST_TMP": str(tmp_path),
    }


@pytest.fixture
def app(app_config, tmp_path, request, template_bytecode, empty_database):
    """The application bound to the test database, emptied afterwards."""
    if request.node.get_closest_marker("csrf"):
        app_config["WTF_CSRF_ENABLED"] = True
    if request.node.get_closest_marker("ratelimit"):
        app_config["RATELIMIT_ENABLED"] = True
    application = create_app(app_config)
    application.jinja_env.bytecode_cache = template_bytecode
    application.instance_path = str(tmp_path / "instance")
    os.makedirs(application.instance_path, exist_ok=True)
    yield application
    application.extensions["preflight_engine"].dispose()
    empty_database()


@pytest.fixture
def client(app):
    """A test client."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner."""
    return app.test_cli_runner()


@pytest.fixture
def make_event(app):
    """Factory: ``make_event(agents="all", **fields) -> Event`` (committed).

    Every existing agent works on the new event unless ``agents=None`` (tests of per-event scoping).
    """

    def _make(agents="all", **fields):
        starts = utcnow() + timedelta(days=2)
        values = dict(
            name="Test webinar",
            starts_at=starts,
            ends_at=starts + timedelta(hours=1),
            timezone="Europe/Paris",
            platform="zoom",
            support_email="help@example.org",
        )
        values.update(fields)
        with app.app_context(), session_scope() as session:
            event = Event(**values)
            session.add(event)
            session.flush()
            if agents == "all":
                for agent_id in session.exec(select(StaffUser.id).where(StaffUser.role == "agent")):
                    session.add(EventMember(event_id=event.id, staff_user_id=agent_id))
            return event

    return _make


@pytest.fixture
def make_participant(app, make_event):
    """Factory: ``make_participant(event=None, **fields) -> (Participant, token)``."""
    counter = iter(range(1, 100000))

    def _make(event=None, **fields):
        event = event or make_event()
        n = next(counter)
        values = dict(name=f"Participant {n}", email=f"p{n}@example.org", language="en", role="attendee")
        values.update(fields)
        with app.app_context(), session_scope() as session:
            participant = Participant(event_id=event.id, **values)
            token = issue_link(participant)
            session.add(participant)
            session.flush()
            return participant, token

    return _make


@pytest.fixture
def make_staff(app):
    """Factory: ``make_staff(role="agent", email=None, events="all") -> StaffUser`` with password ``PASSWORD``.

    A new agent works on every existing event unless ``events=None`` (tests of per-event scoping).
    """
    _hash = hash_password(PASSWORD)

    def _make(role="agent", email=None, events="all", **fields):
        with app.app_context(), session_scope() as session:
            user = StaffUser(
                email=email or f"{role}-{uuid.uuid4().hex[:6]}@example.org",
                name=role.title(),
                role=role,
                password_hash=_hash,
                **fields,
            )
            session.add(user)
            session.flush()
            if role == "agent" and events == "all":
                for event_id in session.exec(select(Event.id)):
                    session.add(EventMember(event_id=event_id, staff_user_id=user.id))
            return user

    return _make


class Auth:
    """Sign staff in and out through the real login form."""

    def __init__(self, client, make_staff):
        self._client = client
        self._make_staff = make_staff

    def login(self, role="agent", user=None):
        user = user or self._make_staff(role)
        response = self._client.post("/staff/login", data={"email": user.email, "password": PASSWORD})
        assert response.status_code == 302, response.data
        return user

    def logout(self):
        return self._client.post("/staff/logout")


@pytest.fixture
def staff_password():
    """The password every ``make_staff`` user has."""
    return PASSWORD


@pytest.fixture
def auth(client, make_staff):
    """Helper to sign in as a staff member of a given role."""
    return Auth(client, make_staff)


@pytest.fixture
def smtp_server(app_config):
    """Start an SMTP server on 127.0.0.1 and point the app at it; yields the sink."""
    from aiosmtpd.controller import Controller

    sink = SMTPSink()
    port = free_port()
    controller = Controller(sink, hostname="127.0.0.1", port=port)
    controller.start()
    app_config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=port)
    sink.port = port
    try:
        yield sink
    finally:
        controller.stop()
