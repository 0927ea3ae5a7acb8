"""Writing parsed files into the database: one transaction and one batch row per file.

Identity follows shared/spec/records.md: a record already stored with the same force, month,
fingerprint and occurrence (or, for a local extract, the same force and source_ref) is counted as a
duplicate and not written again. Rows pass to the driver as tuples of small integers straight from
column arrays (``executemany``, ten rows per statement), several times faster than
``DataFrame.to_sql``.
"""

from __future__ import annotations

import gc
import getpass
import queue
import threading
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, select

from stopsearch_app import __version__
from stopsearch_app.domain.places import place_in_boroughs
from stopsearch_app.domain.records import FIELD_BY_NAME, FieldKind, SourceFormat
from stopsearch_app.domain.vocab import as_categorical
from stopsearch_app.io.errors import ImportCancelled, ImportRefused
from stopsearch_app.io.parsed import Chunk, FileStream, QuarantinedRow
from stopsearch_app.io.sources import SourceFile
from stopsearch_app.store import coverage, sqlite_bulk
from stopsearch_app.store.columnar import BatchCopy
from stopsearch_app.store.driver_rows import fetch_tuples
from stopsearch_app.store.schema import (CODED_COLUMNS, LOCAL_DETAIL_FIELDS, PLAIN_COLUMNS, import_batch,
                                         quarantine, search, search_local, vocabulary)

Progress = Callable[[int, int, str], None]  # rows done, rows in this file, message
PACKED_SQLITE = True  # store/sqlite_bulk for police.uk rows on SQLite (tests compare it with the plain path)
IsCancelled = Callable[[], bool]


@dataclass
class FileReport:
    path: str
    format: str = ""
    force: str = ""
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    batch_id: int | None = None

    def as_json(self) -> dict:
        return {"path": self.path, "format": self.format, "force": self.force, "rows_read": self.rows_read,
                "imported": self.imported, "duplicates": self.duplicates, "quarantined": self.quarantined,
                "error": self.error, "warnings": self.warnings}


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    cancelled: bool = False

    @property
    def imported(self) -> int:
        return sum(report.imported for report in self.files)

    @property
    def duplicates(self) -> int:
        return sum(report.duplicates for report in self.files)

    @property
    def quarantined(self) -> int:
        return sum(report.quarantined for report in self.files)

    @property
    def failed(self) -> list[FileReport]:
        return [report for report in self.files if report.error]

    def as_json(self) -> dict:
        return {"imported": self.imported, "duplicates": self.duplicates, "quarantined": self.quarantined,
                "cancelled": self.cancelled, "files": [report.as_json() for report in self.files]}

    def to_dict(self) -> dict:
        """Everything, for handing a report from one process to another."""
        return {"cancelled": self.cancelled, "files": [asdict(report) for report in self.files]}

    @classmethod
    def from_dict(cls, data: dict) -> ImportReport:
        return cls(files=[FileReport(**item) for item in data["files"]], cancelled=data["cancelled"])


class VocabularyIds:
    """Maps (field, text) to vocabulary ids inside one transaction, adding new values as it meets them."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._ids: dict[tuple[str, str], int] = {
            (row.field, row.value): row.id for row in connection.execute(select(vocabulary))
        }

    def existing_ids(self, field_name: str, texts: list[str]) -> list[int]:
        return [self._ids[(field_name, text)] for text in texts if (field_name, text) in self._ids]

    def ids(self, field_name: str, values: pd.Series) -> np.ndarray:
        """Ids for a column (object array of Python ints; None where the value is blank)."""
        return _id_objects(self.int_ids(field_name, values))

    def int_ids(self, field_name: str, values: pd.Series) -> np.ndarray:
        """Ids for a column as int64, -1 where the value is blank."""
        categorical = as_categorical(values)
        texts = [str(value)[:500] for value in categorical.cat.categories]
        missing = sorted({text for text in texts if (field_name, text) not in self._ids})
        if missing:
            self._connection.execute(vocabulary.insert(), [{"field": field_name, "value": text} for text in missing])
            for start in range(0, len(missing), 500):
                new = self._connection.execute(select(vocabulary.c.id, vocabulary.c.value).where(
                    vocabulary.c.field == field_name, vocabulary.c.value.in_(missing[start:start + 500])))
                self._ids.update({(field_name, value): id_ for id_, value in new})
        lookup = np.array([self._ids[(field_name, text)] for text in texts] + [-1], dtype=np.int64)
        return lookup[categorical.cat.codes.to_numpy()]  # code -1 (blank) takes the trailing -1


def _id_objects(ids: np.ndarray) -> np.ndarray:
    """int64 vocabulary ids (-1: blank) as Python ints and None, for the driver."""
    out = ids.astype(object)
    out[ids < 0] = None
    return out


_BOOL_OBJECTS = np.array([False, True, None], dtype=object)


def _nullable(series: pd.Series, kind: FieldKind) -> np.ndarray:
    """Python values for the driver, None where blank (never numpy scalars: psycopg rejects them).
    Built with array operations: a million rows must not cost a million Python calls."""
    blank = pd.isna(series).to_numpy()
    if kind is FieldKind.BOOL:
        state = np.where(blank, 2, series.astype("boolean").fillna(False).to_numpy(dtype=bool).astype(np.int8))
        return _BOOL_OBJECTS[state]
    if kind is FieldKind.DATETIME:
        out = series.dt.as_unit("ms").astype("int64").to_numpy().astype(object)
    elif kind is FieldKind.INT:
        out = series.astype("Int64").fillna(0).to_numpy(dtype=np.int64).astype(object)
    elif kind is FieldKind.FLOAT:
        out = series.astype("Float64").fillna(0.0).to_numpy(dtype=np.float64).astype(object)
    else:
        out = series.astype(object).to_numpy().copy()
    out[blank] = None
    return out


def _placeholder(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle in ("qmark", "numeric") else "%s"


class _StoredBefore:
    """Which forces held records before this file began. A file's own identities are unique (the
    reader numbers repeats across all its chunks), so for a force new to the database no lookup is
    needed: without this, each chunk of a file spanning 36 months re-read every key the file had
    written so far."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._known: dict[int, bool] = {}

    def note(self, force_ids: Iterable[int]) -> None:
        """Called with a chunk's forces before any of its rows is written."""
        for force_id in force_ids:
            if force_id not in self._known:
                self._known[force_id] = self._connection.execute(
                    select(search.c.id).where(search.c.force_id == force_id).limit(1)).first() is not None

    def any(self, force_id: int) -> bool:
        return self._known.get(force_id, True)


class _KeysRead:
    """The stored identity keys already read for this file, per force, with the time span they cover:
    a later chunk reads only the part of its span not covered yet. (A shuffled file's chunks each span
    all its months: without this a re-import re-read every stored key once per chunk.) Keys this
    file wrote meanwhile are never in the cache, and need not be: a file's own identities are unique."""

    def __init__(self) -> None:
        self._spans: dict[int, tuple[int, int]] = {}
        self._keys: dict[int, list[np.ndarray]] = {}

    def missing(self, force_id: int, low: int, high: int) -> list[tuple[int, int]]:
        if force_id not in self._spans:
            return [(low, high)]
        covered_low, covered_high = self._spans[force_id]
        return [*([(low, covered_low - 1)] if low < covered_low else []),
                *([(covered_high + 1, high)] if high > covered_high else [])]

    def add(self, force_id: int, low: int, high: int, keys: np.ndarray) -> None:
        covered = self._spans.get(force_id, (low, high))
        self._spans[force_id] = (min(covered[0], low), max(covered[1], high))
        self._keys.setdefault(force_id, []).append(keys)

    def keys(self, force_id: int) -> np.ndarray:
        parts = self._keys.get(force_id, [])
        if len(parts) > 1:
            self._keys[force_id] = parts = [np.concatenate(parts)]
        return parts[0] if parts else np.empty((0, 3), dtype=np.int64)


def _existing_public_keys(connection: Connection, keys: pd.DataFrame, stored_before: _StoredBefore | None = None,
                          keys_read: _KeysRead | None = None) -> pd.DataFrame:
    """Identity keys already stored in the time span of ``keys``, force by force (an index range scan)."""
    keys_read = keys_read or _KeysRead()
    found = []
    for force_code, span in keys.groupby("force_id", sort=False)["occurred_at"]:
        force_id = int(force_code)  # a Python int: psycopg binds no numpy scalars
        if stored_before is not None and not stored_before.any(force_id):
            continue
        for low, high in keys_read.missing(force_id, int(span.min()), int(span.max())):
            rows = fetch_tuples(connection, select(search.c.force_id, search.c.fingerprint, search.c.occurrence)
                                .where(and_(search.c.force_id == force_id, search.c.occurred_at >= low,
                                            search.c.occurred_at <= high, search.c.source_ref.is_(None))))
            keys_read.add(force_id, low, high, np.array(rows, dtype=np.int64).reshape(-1, 3))
        found.append(keys_read.keys(force_id))
    stored = np.concatenate(found) if found else np.empty((0, 3), dtype=np.int64)
    return pd.DataFrame({"force_id": stored[:, 0], "fingerprint": stored[:, 1], "occurrence": stored[:, 2]})


def _existing_local_refs(connection: Connection, force_ids: Iterable[int], refs: list[str]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for start in range(0, len(refs), 500):
        chunk = refs[start:start + 500]
        rows = connection.execute(select(search.c.force_id, search.c.source_ref).where(
            search.c.force_id.in_(list(force_ids)), search.c.source_ref.in_(chunk)))
        found.update((row.force_id, row.source_ref) for row in rows)
    return found


class _ChunkProducer:
    """Parses the file's chunks on a thread of its own while the caller writes the previous ones:
    Arrow, pandas and SQLite release the GIL for much of their work, so the two cores overlap."""

    _DONE = object()

    def __init__(self, chunks: Iterator[Chunk]) -> None:
        self._queue: queue.Queue = queue.Queue(maxsize=2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, args=(chunks,), name="import-reader", daemon=True)
        self._thread.start()

    def _run(self, chunks: Iterator[Chunk]) -> None:
        try:
            with cyclic_gc_paused():
                for chunk in chunks:
                    while not self._stop.is_set():
                        try:
                            self._queue.put(chunk, timeout=0.1)
                            break
                        except queue.Full:
                            continue
                    if self._stop.is_set():
                        return
            self._queue.put(self._DONE)
        except BaseException as error:  # noqa: BLE001 - handed to the writing thread, which raises it
            self._queue.put(error)

    def __iter__(self) -> Iterator[Chunk]:
        while True:
            item = self._queue.get()
            if item is self._DONE:
                return
            if isinstance(item, BaseException):
                raise item
            yield item

    def close(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)


def write_stream(connection: Connection, stream: FileStream, report: FileReport, *, imported_by: str,
                 mapping_profile: str | None = None, progress: Progress | None = None,
                 is_cancelled: IsCancelled | None = None, copy: BatchCopy | None = None) -> None:
    """Write one file inside the caller's transaction, chunk by chunk; ImportCancelled rolls it back."""
    batch_id = connection.execute(import_batch.insert().values(
        file_name=stream.name, sha256=stream.sha256, format=str(stream.format), rows_read=0,
        mapped_fields=json.dumps(sorted(stream.mapped_fields)), mapping_profile=mapping_profile,
        imported_by=imported_by, imported_at=datetime.now(UTC), app_version=__version__)).inserted_primary_key[0]
    report.batch_id = batch_id
    report.format = str(stream.format)
    vocab = VocabularyIds(connection)
    stored_before = _StoredBefore(connection)
    keys_read = _KeysRead()
    counts = coverage.WrittenCounts()
    quarantined: list[QuarantinedRow] = []
    forces: set[str] = set()
    months: set[str] = set()
    span: list[int] = []
    producer = _ChunkProducer(stream.chunks)
    try:
        for chunk in producer:
            if is_cancelled and is_cancelled():
                raise ImportCancelled(stream.name)
            report.rows_read += chunk.rows_read
            quarantined.extend(chunk.quarantined)
            if len(chunk.records):
                forces.update(str(force) for force in pd.unique(chunk.records["force"]))
                months.update(str(month) for month in pd.unique(chunk.records["month"].dropna()))
                times = chunk.records["occurred_at"].dropna()
                if len(times):
                    span.extend((int(times.min().value // 1_000_000), int(times.max().value // 1_000_000)))
                if "geo_borough" not in chunk.records:  # the reader process places its chunks itself
                    place_in_boroughs(chunk.records)
                written = _write_records(connection, vocab, chunk.records, batch_id,
                                         local=stream.format is SourceFormat.LOCAL, stored_before=stored_before,
                                         keys_read=keys_read, written=counts, copy=copy)
                report.imported += written
                report.duplicates += len(chunk.records) - written
            if progress:
                done = chunk.bytes_done or stream.total_bytes
                progress(done, max(stream.total_bytes, done), f"{stream.name}: {report.imported:,} records written, "
                         f"{report.duplicates:,} duplicates")
    finally:
        producer.close()
    if is_cancelled and is_cancelled():
        raise ImportCancelled(stream.name)
    constant_false = []
    for force, month in stream.blank_find_flags:
        force_ids = vocab.existing_ids("force", [force])
        if force_ids:
            connection.execute(search.update().where(and_(
                search.c.batch_id == batch_id, search.c.force_id == force_ids[0], search.c.month == month))
                .values(outcome_linked=None))
            constant_false.append((force_ids[0], month, "outcome_linked"))
            counts.blank_outcome_linked(force_ids[0], month)
            if copy is not None:
                copy.blank_outcome_linked(force_ids[0], month)
    if span:
        coverage.rebuild(connection, vocab.existing_ids("force", sorted(forces)), (min(span), max(span)), months,
                         constant_false=constant_false, written=counts)
    if quarantined:
        quarantined.sort(key=lambda row: row.row_number)
        connection.execute(quarantine.insert(), [
            {"batch_id": batch_id, "row_number": row.row_number, "raw_text": row.raw_text, "reason": row.reason}
            for row in quarantined])
    report.quarantined = len(quarantined)
    report.force = ",".join(sorted(forces))
    report.warnings = list(stream.warnings)
    connection.execute(import_batch.update().where(import_batch.c.id == batch_id).values(
        sha256=stream.sha256, rows_read=report.rows_read, imported=report.imported, duplicates=report.duplicates,
        quarantined=report.quarantined, forces=",".join(sorted(forces)), months=",".join(sorted(months)),
        warnings=json.dumps(stream.warnings)))
    if copy is not None:
        copy.batch_id, copy.sha256 = batch_id, stream.sha256


def _write_records(connection: Connection, vocab: VocabularyIds, records: pd.DataFrame, batch_id: int, *,
                   local: bool = False, stored_before: _StoredBefore | None = None,
                   keys_read: _KeysRead | None = None, written: coverage.WrittenCounts | None = None,
                   copy: BatchCopy | None = None) -> int:
    """Insert the records not stored yet; returns how many were inserted."""
    count = len(records)
    coded_int = {column: vocab.int_ids(name, records[name]) if name in records else np.full(count, -1, dtype=np.int64)
                 for name, column in CODED_COLUMNS.items()}
    if records["occurred_at"].isna().any():  # the readers quarantine such rows: never store a guess
        raise ValueError("a record without its date and time reached the writer")
    # The keys as integers (force id -1: none); Python objects are made only for the plain insert below.
    keys = pd.DataFrame({"force_id": coded_int["force_id"],
                         "occurred_at": records["occurred_at"].dt.as_unit("ms").astype("int64").to_numpy(),
                         "fingerprint": records["fingerprint"].to_numpy(dtype=np.int64),
                         "occurrence": records["occurrence"].to_numpy(dtype=np.int64)})
    by_reference = "source_ref" in records and records["source_ref"].notna().all()
    if by_reference:
        refs = records["source_ref"].astype(str).tolist()
        force_ids = coded_int["force_id"].tolist()
        existing = _existing_local_refs(connection, set(force_ids), refs)
        new_mask = np.array([(force_id, ref) not in existing for force_id, ref in zip(force_ids, refs)], dtype=bool)
    else:
        if stored_before is not None:
            stored_before.note(pd.unique(keys["force_id"]).tolist())
        existing = _existing_public_keys(connection, keys, stored_before, keys_read)
        if existing.empty:
            new_mask = np.ones(count, dtype=bool)
        else:
            identity = ["force_id", "fingerprint", "occurrence"]
            new_mask = ~pd.MultiIndex.from_frame(keys[identity].astype("int64")).isin(
                pd.MultiIndex.from_frame(existing[identity]))
    positions = np.flatnonzero(new_mask)
    if not len(positions):
        return 0
    if written is not None:
        _count_written(written, records, coded_int, keys, positions)
    if not by_reference:
        # Insert in identity-index order: a file in random date order then fills the unique index in
        # runs of neighbouring keys instead of one random page per row (measured in bench.bench_scale).
        order = np.lexsort((keys["occurrence"].to_numpy()[positions], keys["fingerprint"].to_numpy()[positions],
                            keys["occurred_at"].to_numpy(dtype=np.int64)[positions],
                            keys["force_id"].to_numpy(dtype=np.int64)[positions]))
        positions = positions[order]
        if PACKED_SQLITE and connection.dialect.name == "sqlite" and not local:
            return _insert_sqlite_packed(connection, records, coded_int, keys, batch_id, positions, copy)
    coded = {column: _id_objects(ids) for column, ids in coded_int.items()}
    occurred_at = keys["occurred_at"].to_numpy().astype(object)
    plain = {name: _nullable(records[name], FIELD_BY_NAME[name].kind) if name in records
             else np.full(count, None, dtype=object) for name in PLAIN_COLUMNS}
    columns = {
        "batch_id": np.full(count, batch_id, dtype=object),
        "month": records["month"].astype(object).to_numpy(),
        "fingerprint": keys["fingerprint"].to_numpy().astype(object),
        "occurrence": keys["occurrence"].to_numpy().astype(object),
        "source_ref": _nullable(records["source_ref"], FieldKind.TEXT) if "source_ref" in records
        else np.full(count, None, dtype=object),
        "occurred_at": occurred_at,
        **coded,
        **plain,
    }
    # Columns blank in the whole chunk are left to their NULL default: fewer values to bind per row.
    # (Blankness is read from the typed pandas columns: testing the object arrays costs more.)
    source_of = {**{column: name for name, column in CODED_COLUMNS.items()}, **{name: name for name in PLAIN_COLUMNS},
                 "source_ref": "source_ref"}
    everything_new = len(positions) == count and bool((positions[1:] > positions[:-1]).all())
    names = [name for name in columns
             if name not in source_of
             or (source_of[name] in records
                 and not (records[source_of[name]] if everything_new
                          else records[source_of[name]].iloc[positions]).isna().all())]
    if local:
        # Local extracts are thousands of rows, not millions: insert with RETURNING to link the detail rows.
        rows = zip(*((columns[name] if everything_new else columns[name][positions]).tolist() for name in names))
        ids = connection.execute(search.insert().returning(search.c.id, sort_by_parameter_order=True),
                                 [dict(zip(names, row)) for row in rows]).scalars().all()
        _write_local_detail(connection, records.iloc[positions], ids)
        if copy is not None:
            copy.add({name: columns[name][positions] for name in names}, None, None, ids=ids)
        return int(len(positions))
    chosen = [columns[name] if everything_new else columns[name][positions] for name in names]
    before = copy.max_id(connection) if copy is not None else None
    _insert_many(connection, names, chosen)
    if copy is not None:
        copy.add(dict(zip(names, chosen)), before, copy.max_id(connection))
    return int(len(positions))


def _count_written(written: coverage.WrittenCounts, records: pd.DataFrame, coded_int: dict[str, np.ndarray],
                   keys: pd.DataFrame, positions: np.ndarray) -> None:
    """The coverage counts of the rows about to be written (``coverage._RECORDED`` in arrays)."""
    def present(name: str) -> np.ndarray:
        return (records[name].notna().to_numpy()[positions] if name in records
                else np.zeros(len(positions), dtype=bool))

    def coded(column: str) -> np.ndarray:
        return coded_int[column][positions]

    removal = records["removal_more_than_outer"] if "removal_more_than_outer" in records else None
    written.add(
        force_id=coded("force_id"), month=records["month"].to_numpy()[positions],
        occurred_at=keys["occurred_at"].to_numpy(dtype=np.int64)[positions],
        recorded={"age_range": coded("age_range_id") >= 0, "self_defined_ethnicity": coded("sde_id") >= 0,
                  "officer_defined_ethnicity": coded("ode_id") >= 0,
                  "location": present("latitude") & present("longitude"),
                  "outcome_linked": present("outcome_linked"),
                  "removal_more_than_outer": present("removal_more_than_outer"),
                  "legislation": coded("legislation_id") >= 0},
        removal_true=(np.zeros(len(positions), dtype=bool) if removal is None
                      else removal.astype("boolean").fillna(False).to_numpy(dtype=bool)[positions]),
        categories={"self_defined_ethnicity": coded("sde_group_id"), "officer_defined_ethnicity": coded("ode_id")})


def _insert_sqlite_packed(connection: Connection, records: pd.DataFrame, coded_int: dict[str, np.ndarray],
                          keys: pd.DataFrame, batch_id: int, positions: np.ndarray, copy: BatchCopy | None) -> int:
    """The new police.uk rows through store/sqlite_bulk (a third of the values bound per row)."""
    Column = sqlite_bulk.Column
    columns: dict[str, sqlite_bulk.Column] = {
        "occurred_at": Column(keys["occurred_at"].to_numpy(dtype=np.int64)),
        "fingerprint": Column(keys["fingerprint"].to_numpy(dtype=np.int64)),
        "occurrence": Column(keys["occurrence"].to_numpy(dtype=np.int64)),
        **{column: Column(ids, ids >= 0) for column, ids in coded_int.items()},
    }
    for name in PLAIN_COLUMNS:
        kind = FIELD_BY_NAME[name].kind
        if name not in records:
            columns[name] = Column(np.zeros(len(records), dtype=np.int64), np.zeros(len(records), dtype=bool))
            continue
        valid = records[name].notna().to_numpy()
        if kind is FieldKind.BOOL:
            values = records[name].astype("boolean").fillna(False).to_numpy(dtype=bool).astype(np.int64)
        elif kind is FieldKind.FLOAT:
            values = records[name].astype("Float64").fillna(0.0).to_numpy(dtype=np.float64)
        else:
            values = records[name].astype("Int64").fillna(0).to_numpy(dtype=np.int64)
        columns[name] = Column(values, valid)
    columns = {name: column.take(positions) for name, column in columns.items()}
    month = records["month"].to_numpy()[positions].astype(object)
    before = copy.max_id(connection) if copy is not None else None
    cursor = connection.connection.cursor()
    try:
        sqlite_bulk.insert(cursor, columns, small=("occurrence", *coded_int, "part_of_operation",
                                                   "outcome_linked", "removal_more_than_outer", "age_years"),
                           wide_int=("occurred_at", "fingerprint"), wide_float=("latitude", "longitude"),
                           constants={"batch_id": batch_id}, texts={"month": month})
    finally:
        cursor.close()
    if copy is not None:
        copy.add({**columns, "month": month,
                  "batch_id": np.full(len(positions), batch_id, dtype=np.int64)}, before, copy.max_id(connection))
    return int(len(positions))


ROWS_PER_STATEMENT = 10


def _insert_many(connection: Connection, names: list[str], columns: list[np.ndarray]) -> None:
    """INSERT the rows given as columns of Python values, ten rows per statement: the driver then
    steps one statement per ten rows (measured: 0.6 s less per million rows than one row per
    statement; 250 parameters stay far below every driver's limit)."""
    count = len(columns[0])
    table = np.empty((count, len(names)), dtype=object)
    for position, column in enumerate(columns):
        table[:, position] = column
    row = f"({', '.join([_placeholder(connection)] * len(names))})"
    insert = f"INSERT INTO search ({', '.join(names)}) VALUES "
    whole = count - count % ROWS_PER_STATEMENT
    cursor = connection.connection.cursor()
    try:
        if whole:
            cursor.executemany(insert + ", ".join([row] * ROWS_PER_STATEMENT),
                               table[:whole].reshape(whole // ROWS_PER_STATEMENT, -1).tolist())
        if whole < count:
            cursor.executemany(insert + row, table[whole:].tolist())
    finally:
        cursor.close()


def _write_local_detail(connection: Connection, records: pd.DataFrame, search_ids: list[int]) -> None:
    values = {name: _nullable(records[name], FIELD_BY_NAME[name].kind) if name in records
              else np.full(len(records), None, dtype=object) for name in LOCAL_DETAIL_FIELDS}
    rows = [{"search_id": search_id, **{name: values[name][index] for name in LOCAL_DETAIL_FIELDS}}
            for index, search_id in enumerate(search_ids)]
    for start in range(0, len(rows), 5_000):
        connection.execute(search_local.insert(), rows[start:start + 5_000])


@contextmanager
def cyclic_gc_paused():
    """Pause the cyclic garbage collector while millions of small objects (row tuples) are made:
    they hold no cycles, and the collector re-scanning them cost 2 s of every million rows
    (measured). Reference counting still frees everything as usual."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on this platform: still import
        return "unknown user"


def import_sources(engine: Engine, sources: Iterable[SourceFile], read: Callable[[SourceFile], FileStream], *,
                   imported_by: str | None = None, mapping_profile: str | None = None,
                   progress: Progress | None = None, is_cancelled: IsCancelled | None = None) -> ImportReport:
    """Import each source in its own transaction. A refused file is reported and the rest go on;
    cancelling rolls back the file in progress and stops."""
    report = ImportReport()
    user = imported_by or default_user()
    for source in sources:
        file_report = FileReport(path=source.display_name)
        report.files.append(file_report)
        if is_cancelled and is_cancelled():
            report.cancelled = True
            file_report.error = "cancelled before it started"
            break
        try:
            if progress:
                progress(0, 0, f"reading {source.display_name}")
            with cyclic_gc_paused():
                stream = read(source)
                copy = BatchCopy(engine)
                with engine.begin() as connection:
                    write_stream(connection, stream, file_report, imported_by=user,
                                 mapping_profile=mapping_profile, progress=progress, is_cancelled=is_cancelled,
                                 copy=copy)
                copy.publish()
        except ImportRefused as refused:
            _reset(file_report)
            file_report.error = refused.reason
        except ImportCancelled:
            _reset(file_report)
            report.cancelled = True
            file_report.error = "cancelled: nothing from this file was kept"
            break
        except OSError as error:
            _reset(file_report)
            file_report.error = f"cannot read the file: {error.strerror or error}"
    return report


def _reset(report: FileReport) -> None:
    """The file's transaction rolled back: nothing of it was kept."""
    report.imported = report.duplicates = report.quarantined = 0
    report.batch_id = None
