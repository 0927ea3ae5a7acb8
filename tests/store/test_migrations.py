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


def _priority_index(connection) -> str:
    """The priority index's definition as the database holds it."""
    if connection.dialect.name == "sqlite":
        return connection.execute(text(
            "SELECT sql FROM sqlite_master WHERE name = 'ix_record_check_priority'")).scalar()
    return connection.execute(text(
        "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_record_check_priority'")).scalar()


def _to_review_in_index_and_table(connection) -> tuple[int, int]:
    """The records to review counted through the index and through the table itself."""
    if connection.dialect.name == "sqlite":
        return (connection.execute(text("SELECT count(*) FROM record_check INDEXED BY ix_record_check_priority "
                                        "WHERE priority > 0")).scalar(),
                connection.execute(text("SELECT count(*) FROM record_check NOT INDEXED WHERE priority > 0")).scalar())
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    query = "SELECT count(*) FROM record_check WHERE priority > 0"
    assert "ix_record_check_priority" in "\n".join(connection.execute(text(f"EXPLAIN {query}")).scalars())
    in_index = connection.execute(text(query)).scalar()
    connection.execute(text("SET LOCAL enable_seqscan = on"))
    # priority + 0 does not match the index's predicate: the table's own rows
    return in_index, connection.execute(text("SELECT count(*) FROM record_check WHERE priority + 0 > 0")).scalar()


def test_the_priority_index_holds_only_the_records_to_review_also_after_a_full_check(db_url, met_file, monkeypatch):
    """Migration 0006; a full check run drops and rebuilds the index (store/verdict_store.py), which
    must give back the partial one."""
    from stopsearch_app.store import verdict_store
    from stopsearch_app.store.checks import run_check
    from tests.helpers import import_paths

    engine = open_database(db_url)
    with engine.connect() as connection:
        assert "priority > 0" in _priority_index(connection)
    import_paths(engine, met_file)
    monkeypatch.setattr(verdict_store, "REBUILD_INDEX_ABOVE", 0)  # the Met file alone is below the size
    run_check(engine, run_by="test")
    with engine.connect() as connection:
        assert "priority > 0" in _priority_index(connection)
        in_index, in_table = _to_review_in_index_and_table(connection)
        assert 0 < in_index == in_table < 12_447
        if connection.dialect.name == "sqlite":
            plan = connection.execute(text("EXPLAIN QUERY PLAN SELECT search_id FROM record_check "
                                           "WHERE priority > :zero ORDER BY priority DESC"), {"zero": 0}).all()
            assert "ix_record_check_priority" in str(plan)


def test_upgrading_from_0005_keeps_the_verdicts_and_makes_the_priority_index_partial(db_url, met_file):
    from alembic import command

    from stopsearch_app.store import database
    from stopsearch_app.store.checks import run_check
    from tests.helpers import import_paths

    engine = make_engine(db_url)
    config = database._alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
    import_paths(engine, met_file)
    run_check(engine, run_by="test")
    with engine.connect() as connection:
        assert "priority > 0" not in _priority_index(connection)
        before = connection.execute(text("SELECT search_id, verdicts, priority FROM record_check "
                                         "ORDER BY search_id")).all()
    engine.dispose()
    upgraded = open_database(db_url)
    with upgraded.connect() as connection:
        assert "priority > 0" in _priority_index(connection)
        assert connection.execute(text("SELECT search_id, verdicts, priority FROM record_check "
                                       "ORDER BY search_id")).all() == before
        in_index, in_table = _to_review_in_index_and_table(connection)
        assert in_index == in_table > 0
