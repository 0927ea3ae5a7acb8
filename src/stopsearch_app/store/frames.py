"""Stored records back as a canonical DataFrame (the shape importers produce and rules consume).

Rows come from the driver as tuples of small integers; vocabulary ids become pandas Categoricals
through their codes, so a million records load in seconds rather than the 13-16 s of
``pandas.read_sql`` (shared/reference/measured-baselines.md).
"""

from __future__ import annotations

import json
from collections.abc import Collection, Sequence

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, select

from stopsearch_app.domain.records import FIELD_BY_NAME, FieldKind
from stopsearch_app.store import columnar
from stopsearch_app.store.driver_rows import connected, fetch_tuples
from stopsearch_app.store.queries import Labels, RecordQuery, where_clause
from stopsearch_app.store.schema import CODED_COLUMNS, LOCAL_DETAIL_FIELDS, PLAIN_COLUMNS, import_batch, search, \
    search_local



def _categorical(ids: np.ndarray, labels: Labels) -> pd.Categorical:
    """Vocabulary ids (-1 = blank) to a Categorical of their texts, through codes."""
    known = ids >= 0
    if len(ids) and known.any():
        # Ids are small integers: a lookup table is much cheaper than unique + searchsorted.
        present = np.flatnonzero(np.bincount(ids[known]))
        remap = np.full(int(present[-1]) + 2, -1, dtype=np.int32)
        remap[present] = np.arange(len(present), dtype=np.int32)
        codes = remap[np.where(known, ids, len(remap) - 1)]
    else:
        present = np.empty(0, dtype=np.int64)
        codes = np.full(len(ids), -1, dtype=np.int32)
    categories = pd.Index([labels.by_id.get(int(i), "?") for i in present], dtype=object)
    if categories.has_duplicates:  # two ids, one text (never written so, but never crash on it)
        return pd.Categorical(np.array([*categories, None], dtype=object)[np.where(codes >= 0, codes, -1)])
    return pd.Categorical.from_codes(codes, categories=categories)


categorical_of_ids = _categorical


def load_records(engine: Engine | Connection, record_query: RecordQuery | None = None,
                 labels: Labels | None = None, batch_ids: Collection[int] | None = None,
                 id_range: tuple[int, int] | None = None) -> pd.DataFrame:
    """Canonical columns, derived columns, ``search_id``, ``batch_id`` and ``source_format``; with
    ``batch_ids`` and ``id_range`` (first, last), only those import batches' records with ids in the
    range (a check by parts)."""
    labels = labels or Labels(engine.engine)
    coded = list(CODED_COLUMNS.items())
    columns = [search.c.id, search.c.batch_id, search.c.month, search.c.occurred_at, search.c.source_ref,
               search.c.fingerprint, search.c.occurrence,
               *(search.c[column] for _name, column in coded), *(search.c[name] for name in PLAIN_COLUMNS)]
    conditions = list(where_clause(record_query or RecordQuery(), labels))
    if batch_ids is not None:
        conditions.append(search.c.batch_id.in_(sorted(int(batch_id) for batch_id in batch_ids)))
    if id_range is not None:
        conditions.append(search.c.id.between(int(id_range[0]), int(id_range[1])))
    query = select(*columns).where(*conditions).order_by(search.c.id)
    names = ["search_id", "batch_id", "month", "occurred_at", "source_ref", "fingerprint", "occurrence",
             *(column for _name, column in coded), *PLAIN_COLUMNS]
    with connected(engine) as connection:
        formats = dict(connection.execute(select(import_batch.c.id, import_batch.c.format)).all())
        # Every record: from the columnar copy (store/columnar.py), ~10x faster than rows out of SQLite.
        if record_query is None or record_query == RecordQuery():
            table = columnar.stored_table(connection, names, batch_ids)
            if id_range is not None:
                ids = table.column("search_id")
                table = table.filter(pc.and_(pc.greater_equal(ids, int(id_range[0])),
                                             pc.less_equal(ids, int(id_range[1]))))
            frame = _frame_from_arrow(table, labels)
        else:
            frame = _frame_from_rows(pd.DataFrame.from_records(fetch_tuples(connection, query), columns=names,
                                                               coerce_float=False), labels)
        if frame is None:
            return pd.DataFrame({name: pd.Series(dtype=object) for name in
                                 ("search_id", "batch_id", "source_format", "month", "occurred_at")})
        frame["source_format"] = pd.Categorical(frame["batch_id"].map(formats).astype(object))
        _attach_local_detail(connection, frame)
    return frame


def _frame_from_rows(raw: pd.DataFrame, labels: Labels) -> pd.DataFrame | None:
    if raw.empty:
        return None
    frame = pd.DataFrame({
        "search_id": raw["search_id"].to_numpy(dtype=np.int64),
        "batch_id": raw["batch_id"].to_numpy(dtype=np.int64),
        "month": pd.Categorical(raw["month"]),
        "occurred_at": pd.to_datetime(raw["occurred_at"].to_numpy(dtype=np.int64), unit="ms", utc=True),
        "source_ref": raw["source_ref"].astype(object),
        "fingerprint": raw["fingerprint"].to_numpy(dtype=np.int64),
        "occurrence": raw["occurrence"].to_numpy(dtype=np.int64),
    })
    for name, column in CODED_COLUMNS.items():
        ids = pd.to_numeric(raw[column], errors="coerce").fillna(-1).to_numpy(dtype=np.int64)
        frame[name] = _categorical(ids, labels)
    for name in PLAIN_COLUMNS:
        frame[name] = _typed(raw[name], FIELD_BY_NAME[name].kind)
    return frame


def _frame_from_arrow(table: pa.Table, labels: Labels) -> pd.DataFrame | None:
    """The same frame as ``_frame_from_rows``, built from Arrow columns without Python objects."""
    if not len(table):
        return None

    def numbers(name: str, fill=0) -> np.ndarray:
        return table.column(name).fill_null(fill).to_numpy()

    month = table.column("month").combine_chunks().dictionary_encode()
    source_ref = table.column("source_ref")
    frame = pd.DataFrame({
        "search_id": numbers("search_id").astype(np.int64),
        "batch_id": numbers("batch_id").astype(np.int64),
        "month": pd.Categorical.from_codes(month.indices.to_numpy(zero_copy_only=False).astype(np.int32),
                                           categories=pd.Index(month.dictionary.to_pylist(), dtype=object)),
        "occurred_at": pd.to_datetime(numbers("occurred_at").astype(np.int64), unit="ms", utc=True),
        "source_ref": (np.full(len(table), None, dtype=object) if source_ref.null_count == len(table)
                       else source_ref.to_pandas().astype(object).where(source_ref.is_valid().to_numpy(), None)),
        "fingerprint": numbers("fingerprint").astype(np.int64),
        "occurrence": numbers("occurrence").astype(np.int64),
    })
    for name, column in CODED_COLUMNS.items():
        frame[name] = _categorical(numbers(column, -1).astype(np.int64), labels)
    arrays = {FieldKind.BOOL: pd.arrays.BooleanArray, FieldKind.INT: pd.arrays.IntegerArray,
              FieldKind.FLOAT: pd.arrays.FloatingArray}
    dtypes = {FieldKind.BOOL: bool, FieldKind.INT: np.int64, FieldKind.FLOAT: np.float64}
    for name in PLAIN_COLUMNS:
        kind = FIELD_BY_NAME[name].kind
        column = table.column(name)
        fill = False if kind is FieldKind.BOOL else 0
        frame[name] = pd.Series(arrays[kind](column.fill_null(fill).to_numpy().astype(dtypes[kind]),
                                             column.is_null().to_numpy()))
    return frame


def _typed(values: Sequence[object] | pd.Series, kind: FieldKind) -> pd.Series:
    if isinstance(values, pd.Series) and kind is FieldKind.BOOL:
        numbers = pd.to_numeric(values, errors="coerce")
        return pd.Series(pd.array(numbers.to_numpy(dtype=float, na_value=np.nan), dtype="Float64")
                         .astype("boolean"))
    if isinstance(values, pd.Series) and kind in (FieldKind.INT, FieldKind.FLOAT):
        numbers = pd.to_numeric(values, errors="coerce")
        return numbers.astype("Int64" if kind is FieldKind.INT else "Float64").reset_index(drop=True)
    if kind is FieldKind.BOOL:
        return pd.Series(pd.array(list(values), dtype="boolean"))
    if kind is FieldKind.INT:
        return pd.Series(pd.array(list(values), dtype="Int64"))
    if kind is FieldKind.FLOAT:
        return pd.Series(pd.array(list(values), dtype="Float64"))
    if kind is FieldKind.DATETIME:
        return pd.Series(pd.to_datetime(pd.Series(values, dtype="Int64"), unit="ms", utc=True))
    return pd.Series(values, dtype=object)


def _blank(count: int, kind: FieldKind) -> pd.Series:
    """A column of ``count`` blanks of the kind's dtype, built from arrays (as ``_typed`` of a list of
    Nones it cost 4.7 s of every million records: measured)."""
    mask = np.ones(count, dtype=bool)
    if kind is FieldKind.BOOL:
        return pd.Series(pd.arrays.BooleanArray(np.zeros(count, dtype=bool), mask))
    if kind is FieldKind.INT:
        return pd.Series(pd.arrays.IntegerArray(np.zeros(count, dtype=np.int64), mask))
    if kind is FieldKind.FLOAT:
        return pd.Series(pd.arrays.FloatingArray(np.zeros(count, dtype=np.float64), mask))
    if kind is FieldKind.DATETIME:
        return pd.Series(pd.DatetimeIndex(np.full(count, np.datetime64("NaT"), dtype="datetime64[us]")).tz_localize("UTC"))
    return pd.Series(np.full(count, None, dtype=object), dtype=object, copy=False)


# pandas 3 always copies on write, so the blank columns of one kind may share one array: a write
# into one column copies it first. 39 fresh blank columns cost 0.34 s per million records, mostly
# page faults on new memory; shared, 0.12 s (measured). pandas 2 gets one array per column.
_COPY_ON_WRITE = int(pd.__version__.split(".")[0]) >= 3


def _attach_local_detail(connection: Connection, frame: pd.DataFrame) -> None:
    """Local-only fields, joined by search id (NA for police.uk records)."""
    local_ids = frame.loc[frame["source_format"] == "local", "search_id"]
    blanks: dict[FieldKind, pd.Series] = {}
    for name in LOCAL_DETAIL_FIELDS:
        kind = FIELD_BY_NAME[name].kind
        if kind not in blanks or not _COPY_ON_WRITE:
            blanks[kind] = _blank(len(frame), kind)
        frame[name] = blanks[kind]
    if local_ids.empty:
        return
    rows = connection.execute(select(search_local).where(
        search_local.c.search_id.between(int(local_ids.min()), int(local_ids.max())))).all()
    if not rows:
        return
    detail = pd.DataFrame(rows, columns=["search_id", *LOCAL_DETAIL_FIELDS]).set_index("search_id")
    positions = frame.reset_index(drop=True).reset_index().set_index("search_id").loc[
        detail.index.intersection(frame["search_id"]), "index"].to_numpy()
    detail = detail.loc[frame["search_id"].iloc[positions].to_numpy()]
    for name in LOCAL_DETAIL_FIELDS:
        kind = FIELD_BY_NAME[name].kind
        values = _typed(detail[name].tolist(), kind)
        column = frame[name].copy()
        column.iloc[positions] = values.to_numpy()
        frame[name] = column if kind is not FieldKind.DATETIME else column
    if "authorised_at" in frame:
        frame["authorised_at"] = pd.to_datetime(frame["authorised_at"], utc=True)


def local_fields_by_batch(engine: Engine | Connection) -> dict[int, frozenset[str]]:
    """The canonical fields each local batch's mapping carried (police.uk batches carry the public set)."""
    with connected(engine) as connection:
        rows = connection.execute(select(import_batch.c.id, import_batch.c.format, import_batch.c.mapped_fields)).all()
    return {row.id: frozenset(json.loads(row.mapped_fields or "[]")) for row in rows if row.format == "local"}
