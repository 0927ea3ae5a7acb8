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
