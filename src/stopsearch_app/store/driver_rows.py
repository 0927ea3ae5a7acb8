"""Rows straight from the driver's cursor, for queries that return hundreds of thousands of rows:
SQLAlchemy's row objects cost more than the query itself there (and pandas, probing each row for
named fields, made every probe raise and catch an exception: 10 s per two million rows, measured)."""

from __future__ import annotations

from sqlalchemy import Connection


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
