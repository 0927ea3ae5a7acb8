"""Rows straight from the driver's cursor, for queries that return hundreds of thousands of rows:
SQLAlchemy's row objects cost more than the query itself there (and pandas, probing each row for
named fields, made every probe raise and catch an exception: 10 s per two million rows, measured)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine


@contextmanager
def connected(bind: Engine | Connection) -> Iterator[Connection]:
    """The caller's connection as it is, or a new one from an engine. A check reads its parts inside
    its own write transaction: a second connection from an in-memory SQLite engine's pool is the same
    one, and closing it would roll that transaction back."""
    if isinstance(bind, Connection):
        yield bind
    else:
        with bind.connect() as connection:
            yield connection


def fetch_tuples(connection: Connection, query) -> list[tuple]:
    """All rows of a Core query as plain tuples, on the caller's connection (and transaction)."""
    dialect = connection.dialect
    compiled = query.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
    parameters = (tuple(compiled.params[name] for name in compiled.positiontup) if dialect.positional
                  else compiled.params)
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(compiled.string, parameters)
        return cursor.fetchall()
    finally:
        cursor.close()
