"""Opening a database: the URL, SQLite pragmas, and migrating to the newest schema with Alembic.

The default is a SQLite file in the user's data folder; any SQLAlchemy URL works (a team shares one
PostgreSQL database with the same code). Queries elsewhere use SQLAlchemy Core, nothing SQLite-only.
"""

from __future__ import annotations

import os
import sqlite3
import weakref
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import closing, contextmanager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from platformdirs import user_data_dir
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.exc import DBAPIError

from stopsearch_app.resources import migrations_dir

if TYPE_CHECKING:
    from alembic.config import Config

APP_NAME = "stopsearch-app"
# The newest migration in db/versions (tests/store/test_migrations.py keeps the two equal). A database
# already there opens without importing Alembic: 0.2 s of every command's start (measured).
SCHEMA_HEAD = "0006"
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


_ENGINES: weakref.WeakSet[Engine] = weakref.WeakSet()


def dispose_all() -> None:
    """Close the pooled connections of every engine made here, at the end of a command. An engine no
    longer referenced is still in reference cycles until the garbage collector runs, so its
    connections would otherwise close only then (on SQLite the last close checkpoints the WAL)."""
    for engine in list(_ENGINES):
        engine.dispose()


def make_engine(url: str | None = None) -> Engine:
    engine = _make_engine(resolve_url(url))
    _ENGINES.add(engine)
    return engine


def _make_engine(url: str) -> Engine:
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


@contextmanager
def begin_writing_checked_ids(engine: Engine) -> Iterator[Connection]:
    """``engine.begin()`` for a transaction that writes rows whose foreign keys it has just read from
    the parent table under the same write lock (a check run's verdicts: every search id comes from
    the records it loaded). On SQLite the per-row parent lookups are switched off for this
    transaction only: a million of them into a million-row table cost 0.3-0.5 s (bench.bench_scale).
    The pragma is set on the driver connection before BEGIN (inside a transaction it is a no-op) and
    set back before the connection returns to the pool."""
    if engine.dialect.name != "sqlite":
        with engine.begin() as connection:
            yield connection
        return
    with engine.connect() as connection:
        driver = connection.connection.driver_connection
        driver.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                yield connection
        finally:
            driver.execute("PRAGMA foreign_keys=ON")


def _alembic_config(engine: Engine) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))
    return config


def head_revision() -> str:
    from alembic.script import ScriptDirectory

    return ScriptDirectory(str(migrations_dir())).get_current_head()


def current_revision(engine: Engine) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def _at_schema_head(engine: Engine) -> bool:
    """The database's one stored revision is SCHEMA_HEAD (read as Alembic stores it)."""
    try:
        with engine.connect() as connection:
            stored = connection.execute(text("SELECT version_num FROM alembic_version")).scalars().all()
    except DBAPIError:  # no version table yet: a new database
        return False
    return stored == [SCHEMA_HEAD]


class DatabaseUpgradeError(ValueError):
    """The database cannot be brought to this version's schema; the message is one line, says the file
    was left as it was and, when a backup was made, where it is."""


_notice_handlers: list[Callable[[str], None]] = []


def on_notice(handler: Callable[[str], None]) -> None:
    """Call ``handler`` with each notice about a database (a backup made before an upgrade): the CLI
    prints them on stderr, the app shows them."""
    if handler not in _notice_handlers:
        _notice_handlers.append(handler)


def _notice(message: str) -> None:
    for handler in list(_notice_handlers):
        handler(message)


def _sqlite_file(engine: Engine) -> Path | None:
    database = engine.url.database
    if engine.dialect.name != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        return None
    path = Path(database).expanduser()
    return path if path.is_file() and path.stat().st_size > 0 else None


def _sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy through SQLite's backup API (a plain file copy can miss what is in the WAL)."""
    with closing(sqlite3.connect(source)) as src, closing(sqlite3.connect(target)) as dst:
        src.backup(dst)


def backup_before_upgrade(path: Path, revision: str, now: datetime | None = None) -> Path:
    stamp = (now or datetime.now()).strftime("%Y-%m-%d-%H%M%S")
    backup = path.with_name(f"{path.stem}.before-upgrade-from-{revision}-{stamp}{path.suffix or '.db'}")
    _sqlite_copy(path, backup)
    os.chmod(backup, 0o600)
    return backup


def migrate(engine: Engine) -> None:
    """Bring the schema to the newest revision (a no-op when it is already there). An existing SQLite
    database is first copied beside itself (named with its revision and the date) and a notice says so;
    a database of a newer version, or a migration that fails, raises :class:`DatabaseUpgradeError`
    with the file as it was (restored from the backup) and the backup named."""
    if _at_schema_head(engine):
        return
    from alembic import command
    from alembic.script import ScriptDirectory

    current, head = current_revision(engine), head_revision()
    if current == head:
        return
    where = engine.url.render_as_string(hide_password=True)
    scripts = ScriptDirectory(str(migrations_dir()))
    if current is not None:
        try:
            scripts.get_revision(current)
        except Exception:  # noqa: BLE001 - alembic raises several kinds for an unknown revision
            raise DatabaseUpgradeError(
                f"{where} was made by a newer version of stopsearch-app (schema revision {current!r}; this "
                f"version knows up to {head!r}): nothing was changed; open it with the newer version") from None
    path = _sqlite_file(engine) if current is not None else None
    backup = backup_before_upgrade(path, current) if path is not None else None
    if backup is not None:
        _notice(f"database upgraded (schema {current} to {head}); the old one is kept at {backup}")
    config = _alembic_config(engine)
    try:
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    except Exception as error:  # noqa: BLE001 - any failure: put the file back and say why in one line
        reason = " ".join(str(error).split())[:300] or type(error).__name__
        if backup is not None and path is not None:
            engine.dispose()
            _sqlite_copy(backup, path)
            raise DatabaseUpgradeError(f"upgrading {where} from schema {current} to {head} failed ({reason}); "
                                       f"the database was restored as it was, and a copy is at {backup}") from error
        raise DatabaseUpgradeError(f"upgrading {where} to schema {head} failed ({reason}); the upgrade ran in "
                                   "one transaction and was rolled back") from error


def open_database(url: str | None = None) -> Engine:
    engine = make_engine(url)
    migrate(engine)
    return engine
