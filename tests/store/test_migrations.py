"""Alembic migrations produce exactly the schema of store/schema.py, and re-opening is a no-op."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect, text

from stopsearch_app.store.database import current_revision, head_revision, make_engine, migrate, open_database
from stopsearch_app.store.schema import metadata


def test_migrated_schema_matches_the_models(db_url):
    engine = open_database(db_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), metadata)
    assert differences == []
    assert current_revision(engine) == head_revision()


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = open_database(f"sqlite:///{tmp_path / 'wal.db'}")  # SQLite's own setting, whatever db_url is
    with engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"


def test_opening_twice_keeps_the_data(db_url, met_file):
    from tests.helpers import import_paths

    engine = open_database(db_url)
    import_paths(engine, met_file)
    engine.dispose()
    again = make_engine(db_url)
    migrate(again)
    with again.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM search")).scalar() == 12_447
    assert "search" in inspect(again).get_table_names()


def test_the_schema_head_constant_is_the_newest_migration():
    from stopsearch_app.store.database import SCHEMA_HEAD

    assert SCHEMA_HEAD == head_revision()


def test_a_database_at_the_newest_schema_opens_without_alembic(db_url):
    """Alembic is imported only to create or upgrade a database (it costs every command 0.2 s)."""
    import subprocess
    import sys

    open_database(db_url).dispose()  # created and migrated here
    probe = ("import sys; from stopsearch_app.store.database import open_database; "
             f"open_database({db_url!r}).dispose(); print(sorted(m for m in sys.modules if m.startswith('alembic')))")
    completed = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert completed.stdout.strip() == "[]"
