"""A columnar copy of the stored records, one Arrow IPC file per import batch, for checks and statistics.

Reading all columns of a million rows back out of SQLite costs 8-10 s whatever the driver
(shared/reference/measured-baselines.md); the same rows from an uncompressed Arrow file are read
(memory-mapped) in well under a second. Records are append-only per import batch, so each batch is
written once: by the importer as it inserts (SQLite, where the batch's ids are known to be
consecutive), or rebuilt from the database the first time a reader finds it missing or stale
(PostgreSQL clients, older databases, an import whose ids could not be proven). The database stays
the source of truth: a file is used only when its batch id, the batch file's SHA-256, its row count
and its first and last record ids all match the database; otherwise it is rebuilt.

The copy lives beside a SQLite database (``<db>.columnar/``) and, for PostgreSQL, in the user's cache
folder, one folder per database URL (a client-side cache).
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Collection, Sequence
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from platformdirs import user_cache_dir
from sqlalchemy import Connection, Engine, select

from stopsearch_app.store.driver_rows import connected
from stopsearch_app.store.queries import Labels
from stopsearch_app.store.schema import CODED_COLUMNS, PLAIN_COLUMNS, import_batch, search

FORMAT_VERSION = "1"
_BOOL_COLUMNS = ("part_of_operation", "outcome_linked", "removal_more_than_outer")
# The stored columns of `search` (as `store/frames.load_records` names them) and their Arrow types.
SCHEMA = pa.schema([
    ("search_id", pa.int64()), ("batch_id", pa.int32()), ("month", pa.string()), ("occurred_at", pa.int64()),
    ("source_ref", pa.string()), ("fingerprint", pa.int64()), ("occurrence", pa.int32()),
    *((column, pa.int32()) for column in CODED_COLUMNS.values()),
    ("part_of_operation", pa.bool_()), ("latitude", pa.float64()), ("longitude", pa.float64()),
    ("outcome_linked", pa.bool_()), ("removal_more_than_outer", pa.bool_()), ("age_years", pa.int16()),
])
COLUMNS = tuple(SCHEMA.names)
_DB_COLUMN = {"search_id": "id"}
REBUILD_ROWS = 200_000

# The columns the statistics group by (canonical field -> stored column).
ANALYTIC_FIELDS = {
    "force": "force_id", "month": "month", "age_range": "age_range_id", "child_band": "child_band_id",
    "sde_group": "sde_group_id", "officer_defined_ethnicity": "ode_id", "search_type": "search_type_id",
    "outcome": "outcome_id", "outcome_code": "outcome_code_id", "outcome_linked": "outcome_linked",
    "removal_more_than_outer": "removal_more_than_outer", "power": "power_id", "borough": "borough_id",
    "child_status": "child_status_id",
}


def cache_folder(engine: Engine) -> Path | None:
    """Where this database's batches are kept; None for an in-memory database (nothing to cache)."""
    url = engine.url
    if url.get_backend_name() == "sqlite":
        database = url.database or ""
        if database in ("", ":memory:") or database.startswith("file::memory:"):
            return None
        return Path(database).expanduser().resolve().with_name(Path(database).name + ".columnar")
    key = hashlib.sha256(url.render_as_string(hide_password=True).encode()).hexdigest()[:16]
    return Path(user_cache_dir("stopsearch-app", appauthor=False)) / "columnar" / key


def _file(folder: Path, batch_id: int) -> Path:
    return folder / f"batch-{batch_id}.arrow"


def _table_from_columns(columns: dict[str, Sequence]) -> pa.Table:
    count = len(next(iter(columns.values())))
    arrays = []
    for field in SCHEMA:
        values = columns.get(field.name)
        if values is None:
            arrays.append(pa.nulls(count, field.type))
        elif hasattr(values, "arrow"):  # a typed column of store/sqlite_bulk
            arrays.append(values.arrow(field.type))
        else:
            arrays.append(pa.array(values, type=field.type))
    return pa.Table.from_arrays(arrays, schema=SCHEMA)


def _write(folder: Path, batch_id: int, sha256: str, table: pa.Table) -> Path:
    """Write atomically (a temporary file, then a rename): two processes may build the same batch."""
    folder.mkdir(parents=True, exist_ok=True)
    ids = table.column("search_id")
    meta = {"format": FORMAT_VERSION, "batch_id": str(batch_id), "sha256": sha256, "rows": str(len(table)),
            "first_id": str(pc.min(ids).as_py() if len(table) else 0),
            "last_id": str(pc.max(ids).as_py() if len(table) else 0)}
    table = table.replace_schema_metadata(meta)
    target = _file(folder, batch_id)
    temporary = target.with_name(f"{target.name}.{os.getpid()}.tmp")
    with pa.OSFile(str(temporary), "wb") as sink, pa.ipc.new_file(sink, table.schema) as writer:
        writer.write_table(table, max_chunksize=REBUILD_ROWS)
    os.replace(temporary, target)
    return target


class BatchCopy:
    """The columnar copy of one batch as the importer writes it. Chunks are kept in memory (about 60
    bytes a record) and written only once the batch's transaction has committed (``publish``)."""

    def __init__(self, engine: Engine) -> None:
        self._folder = cache_folder(engine)
        self._sqlite = engine.url.get_backend_name() == "sqlite"
        self._tables: list[pa.Table] = []
        self.valid = self._folder is not None
        self.batch_id: int | None = None
        self.sha256 = ""

    def max_id(self, connection: Connection) -> int | None:
        """The highest record id, read before and after each insert to prove which ids a chunk got."""
        if not self.valid or not self._sqlite:
            return None
        return connection.execute(select(search.c.id).order_by(search.c.id.desc()).limit(1)).scalar()

    def add(self, columns: dict[str, Sequence], first_id_before: int | None, last_id_after: int | None,
            ids: Sequence[int] | None = None) -> None:
        """One chunk's inserted rows in insertion order. Without explicit ``ids`` they are taken as
        consecutive after ``first_id_before``, which SQLite guarantees only while this transaction
        holds the write lock: proven by the count, and never assumed on PostgreSQL."""
        if not self.valid:
            return
        count = len(next(iter(columns.values())))
        if ids is None:
            if not self._sqlite or last_id_after is None or (last_id_after - (first_id_before or 0)) != count:
                self.valid = False  # left to be rebuilt from the database on first read
                self._tables.clear()
                return
            ids = np.arange((first_id_before or 0) + 1, last_id_after + 1, dtype=np.int64)
        self._tables.append(_table_from_columns({**columns, "search_id": ids}))

    def blank_outcome_linked(self, force_id: int, month: str) -> None:
        """Mirror the importer's update of a force-month that does not record find flags."""
        self._tables = [table.set_column(
            table.schema.get_field_index("outcome_linked"), "outcome_linked",
            pc.if_else(pc.and_(pc.equal(table.column("force_id"), force_id), pc.equal(table.column("month"), month)),
                       pa.scalar(None, pa.bool_()), table.column("outcome_linked")))
            for table in self._tables]

    def publish(self) -> None:
        """After the commit: write the file (a failure only costs a rebuild later, never the import)."""
        if not self.valid or self.batch_id is None:
            return
        try:
            table = pa.concat_tables(self._tables) if self._tables else SCHEMA.empty_table()
            _write(self._folder, self.batch_id, self.sha256, table)
        except OSError:
            pass
        finally:
            self._tables.clear()


def _batches(connection: Connection) -> list[tuple[int, str, int]]:
    return [(row.id, row.sha256, row.imported) for row in connection.execute(
        select(import_batch.c.id, import_batch.c.sha256, import_batch.c.imported).order_by(import_batch.c.id))]


def _read_valid(connection: Connection, path: Path, batch_id: int, sha256: str, imported: int,
                columns: Sequence[str]) -> pa.Table | None:
    """The batch's table when the file matches the database, else None (missing, stale or damaged)."""
    try:
        with pa.memory_map(str(path)) as source:
            reader = pa.ipc.open_file(source)
            meta = {key.decode(): value.decode() for key, value in (reader.schema.metadata or {}).items()}
            if (meta.get("format") != FORMAT_VERSION or meta.get("batch_id") != str(batch_id)
                    or meta.get("sha256") != sha256 or meta.get("rows") != str(imported)):
                return None
            if imported:
                first, last = int(meta["first_id"]), int(meta["last_id"])
                ends = dict(connection.execute(select(search.c.id, search.c.batch_id)
                                               .where(search.c.id.in_([first, last]))).all())
                if ends.get(first) != batch_id or ends.get(last) != batch_id:
                    return None
            return reader.read_all().select(list(columns))
    except (OSError, pa.ArrowInvalid, KeyError, ValueError):
        return None


def _rebuild(connection: Connection, folder: Path | None, batches: dict[int, str]) -> dict[int, pa.Table]:
    """Read the given batches out of the database in one pass (in id order) and write their files."""
    names = [_DB_COLUMN.get(name, name) for name in COLUMNS]
    query = select(*(search.c[name] for name in names)).where(search.c.batch_id.in_(list(batches))) \
        .order_by(search.c.id)
    compiled = query.compile(dialect=connection.dialect, compile_kwargs={"render_postcompile": True})
    parameters = (tuple(compiled.params[name] for name in compiled.positiontup) if connection.dialect.positional
                  else compiled.params)
    pieces: dict[int, list[pa.Table]] = {batch_id: [] for batch_id in batches}
    cursor = connection.connection.driver_connection.cursor()
    try:
        cursor.execute(compiled.string, parameters)
        while rows := cursor.fetchmany(REBUILD_ROWS):
            frame = pd.DataFrame.from_records(rows, columns=list(COLUMNS), coerce_float=False)
            for column in _BOOL_COLUMNS:
                # SQLite hands booleans back as 0/1, PostgreSQL as bools; a column of bools with no
                # NULL mapped through a {0/1: bool} dict came out all NaN, so go through numbers.
                numbers = pd.to_numeric(frame[column].astype(object), errors="coerce")
                frame[column] = numbers.eq(1).astype(object).where(numbers.notna(), None)
            for batch_id, part in frame.groupby("batch_id", sort=False):
                pieces[int(batch_id)].append(_table_from_columns(
                    {name: part[name].astype(object).where(part[name].notna(), None).to_numpy() for name in COLUMNS}))
    finally:
        cursor.close()
    tables = {}
    for batch_id, parts in pieces.items():
        table = pa.concat_tables(parts) if parts else SCHEMA.empty_table()
        tables[batch_id] = table
        if folder is not None:
            try:
                _write(folder, batch_id, batches[batch_id], table)
            except OSError:
                pass  # a read-only folder: still answer, rebuild again next time
    return tables


def stored_table(engine: Engine | Connection, columns: Sequence[str] = COLUMNS,
                 batch_ids: Collection[int] | None = None) -> pa.Table:
    """Every stored record (``COLUMNS``, or the ones asked for), in record id order, from the columnar
    copy: files that match the database are read, the rest rebuilt from it first. ``batch_ids``: only
    the records of these import batches (a check by parts reads and rebuilds no more than its part)."""
    folder = cache_folder(engine.engine)
    columns = list(columns)
    tables: dict[int, pa.Table] = {}
    with connected(engine) as connection:
        batches = _batches(connection)
        if batch_ids is not None:
            wanted = set(batch_ids)
            batches = [batch for batch in batches if batch[0] in wanted]
        missing: dict[int, str] = {}
        for batch_id, sha256, imported in batches:
            table = None if folder is None else _read_valid(connection, _file(folder, batch_id), batch_id, sha256,
                                                            imported, columns)
            if table is None:
                missing[batch_id] = sha256
            else:
                tables[batch_id] = table
        if missing:
            tables.update({batch_id: table.select(columns)
                           for batch_id, table in _rebuild(connection, folder, missing).items()})
    if not tables:
        return SCHEMA.empty_table().select(columns)
    table = pa.concat_tables([tables[batch_id] for batch_id, _sha, _n in batches if batch_id in tables])
    if "search_id" in columns and len(table) > 1:
        # One transaction per batch makes batch order id order on SQLite; concurrent PostgreSQL
        # imports may interleave ids, and readers rely on id order.
        ids = table.column("search_id").to_numpy()
        if not (ids[1:] > ids[:-1]).all():
            table = table.take(pc.sort_indices(table.column("search_id")))
    return table


def batch_ids(engine: Engine | Connection) -> list[int]:
    """The import batches that hold records, in id order (to read ``stored_table`` a batch at a time)."""
    with connected(engine) as connection:
        return [batch_id for batch_id, _sha256, imported in _batches(connection) if imported]


def stored_frame(engine: Engine | Connection, columns: Sequence[str] = COLUMNS,
                 batch_ids: Collection[int] | None = None) -> pd.DataFrame:
    """``stored_table`` as pandas: ids and codes as numbers (NaN where blank), booleans as 1.0/0.0/NaN."""
    table = stored_table(engine, columns, batch_ids)
    arrays = {}
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_boolean(column.type):
            column = column.cast(pa.float64())
        elif name == "month":
            column = column.dictionary_encode()
        arrays[name] = column
    frame = pa.table(arrays).to_pandas(split_blocks=True, self_destruct=True)
    if "source_ref" in frame:  # None where blank, as the driver gives it
        frame["source_ref"] = frame["source_ref"].astype(object).where(frame["source_ref"].notna(), None)
    return frame


def analytic_frame(engine: Engine, labels: Labels | None = None,
                   fields: Sequence[str] = tuple(ANALYTIC_FIELDS)) -> pd.DataFrame:
    """The columns the statistics need, one row per stored record: ``search_id`` and the ``fields``
    asked for (default ``ANALYTIC_FIELDS``), vocabulary fields as Categoricals of their texts (blank =
    NaN), ``month`` as a Categorical of 'YYYY-MM', ``outcome_linked`` and ``removal_more_than_outer`` as
    nullable booleans (NA = not recorded)."""
    from stopsearch_app.store.frames import categorical_of_ids  # frames imports this module

    labels = labels or Labels(engine)
    stored = [ANALYTIC_FIELDS[name] for name in fields]
    table = stored_table(engine, ["search_id", *stored])
    out = {"search_id": table.column("search_id").to_numpy()}
    for name, column in zip(fields, stored):
        values = table.column(column)
        if column == "month":
            out[name] = pd.Categorical(values.to_pandas())
        elif pa.types.is_boolean(values.type):
            out[name] = pd.array(values.to_pandas(types_mapper={pa.bool_(): pd.BooleanDtype()}.get))
        else:
            out[name] = categorical_of_ids(values.fill_null(-1).to_numpy().astype(np.int64), labels)
    return pd.DataFrame(out)


def describe(engine: Engine) -> dict:
    """What the cache holds (for the bench and diagnostics)."""
    folder = cache_folder(engine)
    files = sorted(folder.glob("batch-*.arrow")) if folder and folder.exists() else []
    return {"folder": str(folder) if folder else None, "files": len(files),
            "bytes": sum(path.stat().st_size for path in files)}


__all__ = ["ANALYTIC_FIELDS", "BatchCopy", "COLUMNS", "analytic_frame", "cache_folder", "describe",
           "stored_frame", "stored_table"]
