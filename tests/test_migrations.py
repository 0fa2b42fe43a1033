"""The schema comes only from migrations, on SQLite and PostgreSQL alike."""

import os

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from dbutil import temporary_database
from sqlalchemy import create_engine, inspect

from preflight import migrate as migrations
from preflight.models import metadata


@pytest.fixture
def empty_database(tmp_path):
    with temporary_database(os.environ.get("PREFLIGHT_TEST_DATABASE_URL"), tmp_path, "preflight_mig") as url:
        yield url


def test_single_head():
    heads = ScriptDirectory.from_config(migrations.alembic_config()).get_heads()
    assert len(heads) == 1, heads


def test_empty_to_head_down_and_up_again(empty_database):
    engine = create_engine(empty_database)
    try:
        assert inspect(engine).get_table_names() == []
        migrations.upgrade(engine)
        tables = set(inspect(engine).get_table_names())
        assert {"event", "participant", "staff_user", "participant_message", "check_run", "check_result"} <= tables
        migrations.downgrade(engine, "base")
        assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
        migrations.upgrade(engine)
    finally:
        engine.dispose()


def test_models_match_migrations(migrated_database):
    engine = create_engine(migrated_database)
    try:
        with engine.connect() as conn:
            diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": False}), metadata)
    finally:
        engine.dispose()
    assert diff == [], "models changed without a migration: " + repr(diff)
