"""Opening a database: the URL, SQLite pragmas, and migrating to the newest schema with Alembic.

The default is a SQLite file in the user's data folder; any SQLAlchemy URL works (a team shares one
PostgreSQL database with the same code). Queries elsewhere use SQLAlchemy Core, nothing SQLite-only.
"""

from __future__ import annotations

import os
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from platformdirs import user_data_dir
from sqlalchemy import Engine, create_engine, event

from stopsearch_app.resources import migrations_dir

APP_NAME = "stopsearch-app"
DB_ENV = "STOPSEARCH_DB"


def default_database_url() -> str:
    folder = Path(user_data_dir(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'stopsearch.db'}"


def resolve_url(url: str | None) -> str:
    return url or os.environ.get(DB_ENV) or default_database_url()


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    # WAL keeps readers (the UI) going while an import writes; NORMAL is crash-safe in WAL mode.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA cache_size=-65536")
    cursor.close()


def make_engine(url: str | None = None) -> Engine:
    url = resolve_url(url)
    if url.startswith("sqlite"):
        path = url.split(":///", 1)[-1]
        if path and path != ":memory:":
            Path(path).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN; emit it ourselves so a whole import is
        # one transaction (SQLAlchemy docs, "Serializable isolation / Savepoints / Transactional DDL").
        event.listen(engine, "begin", lambda connection: connection.exec_driver_sql("BEGIN"))
        return engine
    return create_engine(url, pool_pre_ping=True)


def _alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def head_revision() -> str:
    return ScriptDirectory(str(migrations_dir())).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there)."""
    if current_revision(engine) == head_revision():
        return
    config = _alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def open_database(url: str | None = None) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine
