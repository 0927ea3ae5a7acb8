"""Scale mechanics: import in any row order, the packed SQLite insert, the columnar copy of the records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest
from sqlalchemy import select

from stopsearch_app.io import policeuk
from stopsearch_app.store import columnar, importer
from stopsearch_app.store.checks import run_check
from stopsearch_app.store.frames import load_records
from stopsearch_app.domain.selection import Selection
from stopsearch_app.store.queries import RecordQuery
from stopsearch_app.store.schema import CODED_COLUMNS, search, vocabulary
from tests.conftest import POLICEUK
from tests.helpers import import_paths

CITY_MONTHS = sorted(POLICEUK.glob("*city-of-london-stop-and-search.csv"))


def stored_records(engine) -> pd.DataFrame:
    """Every stored column but the row id and batch, in identity order: what 'the same records' means."""
    with engine.connect() as connection:
        rows = connection.execute(select(search)).mappings().all()
        texts = dict(connection.execute(select(vocabulary.c.id, vocabulary.c.value)).all())
    frame = pd.DataFrame(rows).drop(columns=["id", "batch_id"])
    for column in CODED_COLUMNS.values():  # ids depend on the order values were met: compare texts
        frame[column] = frame[column].map(texts).astype(object)
    return frame.sort_values(["force_id", "occurred_at", "fingerprint", "occurrence"]).reset_index(drop=True)


def merged_city_file(tmp_path, *, shuffled: bool, seed: int = 3):
    """The City of London's months merged into one file, optionally in random row order."""
    frames = [pd.read_csv(path, dtype=str, keep_default_na=False) for path in CITY_MONTHS]
    merged = pd.concat(frames, ignore_index=True)
    if shuffled:
        merged = merged.sample(frac=1.0, random_state=seed).reset_index(drop=True)
    folder = tmp_path / ("shuffled" if shuffled else "ordered")
    folder.mkdir()
    path = folder / "2019-12-city-of-london-stop-and-search.csv"
    merged.to_csv(path, index=False)
    return path, len(merged)


@pytest.fixture
def small_chunks(monkeypatch):
    monkeypatch.setattr(policeuk, "CHUNK_BYTES", 60_000)  # many chunks: order and identity span chunks


def test_a_shuffled_file_gives_the_same_records_and_its_reimport_adds_nothing(engine, db_url, tmp_path, small_chunks):
    from stopsearch_app.store.database import open_database

    assert len(CITY_MONTHS) >= 3
    ordered, rows = merged_city_file(tmp_path, shuffled=False)
    shuffled, _ = merged_city_file(tmp_path, shuffled=True)
    first = import_paths(engine, ordered)
    assert not first.failed and first.imported + first.duplicates == rows and first.imported > 0
    reference = stored_records(engine)

    other = open_database(db_url.replace("test.db", "shuffled.db")) if db_url.startswith("sqlite") else None
    if other is not None:
        report = import_paths(other, shuffled)
        assert report.imported == first.imported and report.duplicates == first.duplicates
        pd.testing.assert_frame_equal(stored_records(other), reference)
        assert import_paths(other, ordered).imported == 0
        other.dispose()
    again = import_paths(engine, shuffled)
    assert not again.failed and again.imported == 0 and again.duplicates == rows
    pd.testing.assert_frame_equal(stored_records(engine), reference)


def test_the_packed_sqlite_insert_stores_exactly_what_the_plain_insert_stores(db_url, tmp_path, monkeypatch,
                                                                            small_chunks):
    from stopsearch_app.store import sqlite_bulk
    from stopsearch_app.store.database import open_database

    path, _rows = merged_city_file(tmp_path, shuffled=True)
    met = sorted(POLICEUK.glob("*2022-09-metropolitan-stop-and-search.csv"))[0]
    met_copy = tmp_path / "2022-09-metropolitan-stop-and-search.csv"
    met_copy.write_bytes(met.read_bytes())
    if not db_url.startswith("sqlite"):
        # PostgreSQL always takes the plain path (the packing SQL is SQLite's).
        monkeypatch.setattr(sqlite_bulk, "insert", lambda *_a, **_k: pytest.fail("packed insert on PostgreSQL"))
        engine = open_database(db_url)
        report = import_paths(engine, path, met_copy)
        assert not report.failed and report.imported > 12_447
        return
    packed = open_database(db_url)
    import_paths(packed, path, met_copy)
    monkeypatch.setattr(importer, "PACKED_SQLITE", False)
    plain = open_database(db_url.replace("test.db", "plain.db"))
    import_paths(plain, path, met_copy)
    expected = stored_records(plain)
    assert expected["removal_more_than_outer"].notna().any() and expected["latitude"].notna().any()
    pd.testing.assert_frame_equal(stored_records(packed), expected, check_exact=True)


def test_records_from_the_columnar_copy_equal_records_from_the_database(engine, tmp_path, met_file):
    extract_free = import_paths(engine, met_file, *CITY_MONTHS)
    assert not extract_free.failed
    folder = columnar.cache_folder(engine)
    # SQLite: written by the import; PostgreSQL: by the first read (the import cannot prove the ids).
    from_copy = load_records(engine)
    assert folder is not None and len(list(folder.glob("batch-*.arrow"))) == 1 + len(CITY_MONTHS)
    # A filter that selects everything takes the SQL path: the reference.
    from_sql = load_records(engine, RecordQuery(Selection.all_searches(month_from="1900-01")))
    assert len(from_copy) == len(from_sql) > 12_000
    for column in from_sql.columns:
        left, right = from_copy[column], from_sql[column]
        if isinstance(right.dtype, pd.CategoricalDtype):
            left, right = left.astype(object), right.astype(object)
        pd.testing.assert_series_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                       check_dtype=False, obj=column)


def test_a_batch_rebuilt_on_its_own_keeps_every_boolean(engine, met_file):
    """Each batch's copy rebuilt alone (as the count cube reads them) holds the booleans the database
    holds. A City month records every 'outcome linked': PostgreSQL hands back a column of bools with
    no NULL, which pandas' ``map`` through a dict had turned into all NaN."""
    import_paths(engine, met_file, *CITY_MONTHS)
    flags = ["part_of_operation", "outcome_linked", "removal_more_than_outer"]
    columnar.stored_table(engine, ["search_id"])  # PostgreSQL writes the files on first read
    for path in columnar.cache_folder(engine).glob("batch-*.arrow"):
        path.unlink()
    recorded = 0
    with engine.connect() as connection:
        for batch_id in columnar.batch_ids(connection):
            copy = columnar.stored_table(connection, ["search_id", *flags], [batch_id])
            from_copy = list(zip(*(copy.column(name).to_pylist() for name in ["search_id", *flags])))
            rows = connection.execute(select(search.c.id, *(search.c[name] for name in flags))
                                      .where(search.c.batch_id == batch_id).order_by(search.c.id)).all()
            assert from_copy == [(row[0], *(None if value is None else bool(value) for value in row[1:]))
                                 for row in rows], batch_id
            recorded += sum(value is not None for row in from_copy for value in row[1:])
    assert recorded > 12_000


def test_a_missing_or_stale_columnar_file_is_rebuilt_from_the_database(engine, met_file):
    import_paths(engine, met_file)
    folder = columnar.cache_folder(engine)
    columnar.stored_table(engine)  # PostgreSQL writes the file on first read
    written = pa.ipc.open_file(str(folder / "batch-1.arrow")).read_all()
    (folder / "batch-1.arrow").unlink()
    rebuilt = columnar.stored_table(engine)
    assert (folder / "batch-1.arrow").exists()
    assert rebuilt.equals(written.replace_schema_metadata(None).select(rebuilt.column_names))
    # A file whose batch hash does not match the database is not used.
    stale = written.replace_schema_metadata({**{k.decode(): v.decode() for k, v in written.schema.metadata.items()},
                                             "sha256": "0" * 64})
    with pa.OSFile(str(folder / "batch-1.arrow"), "wb") as sink, pa.ipc.new_file(sink, stale.schema) as writer:
        writer.write_table(stale.slice(0, 10))
    assert len(columnar.stored_table(engine)) == len(written)
    meta = pa.ipc.open_file(str(folder / "batch-1.arrow")).schema.metadata
    assert meta[b"sha256"] != b"0" * 64


def test_checks_read_the_columnar_copy_and_find_the_same_as_from_the_database(engine, met_file, monkeypatch):
    import_paths(engine, met_file)
    from_copy = run_check(engine, run_by="tester")
    monkeypatch.setattr(columnar, "stored_frame", lambda *_a, **_k: pytest.fail("filtered loads read SQL"))
    from_sql = run_check(engine, record_query=RecordQuery(Selection.all_searches(month_from="1900-01")), run_by="tester")
    assert from_copy.records_checked == from_sql.records_checked == 12_447
    assert from_copy.rules_json() == from_sql.rules_json()


def test_the_analytic_frame_carries_the_statistics_columns(engine, met_file):
    import_paths(engine, met_file)
    frame = columnar.analytic_frame(engine)
    records = load_records(engine).set_index("search_id")
    assert len(frame) == len(records) == 12_447
    assert set(columnar.ANALYTIC_FIELDS) <= set(frame.columns)
    frame = frame.set_index("search_id")
    for name in ("force", "month", "age_range", "sde_group", "officer_defined_ethnicity", "search_type", "outcome",
                 "power", "child_status"):
        assert frame[name].astype(object).equals(records.loc[frame.index, name].astype(object)), name
    for name in ("outcome_linked", "removal_more_than_outer"):
        assert frame[name].dtype == "boolean"
        assert frame[name].isna().sum() == records[name].isna().sum(), name
        assert int(frame[name].sum()) == int(records[name].sum()), name
    assert np.array_equal(frame.index.to_numpy(), np.sort(frame.index.to_numpy()))


@pytest.mark.parametrize("latitude", [51.512345, -0.000001, 0.0, 89.999999, 51.51234567, 1e-9, float("nan")])
def test_packed_coordinates_are_stored_as_the_exact_float_given(tmp_path, latitude):
    """Six decimals go in as whole millionths; anything else is bound as the float itself."""
    import sqlite3

    from stopsearch_app.store import sqlite_bulk

    connection = sqlite3.connect(tmp_path / "c.db")
    connection.execute("CREATE TABLE search (occurrence INTEGER, latitude FLOAT, longitude FLOAT, batch_id INTEGER)")
    values = np.array([latitude, 51.5, 0.1])
    present = ~np.isnan(values)
    columns = {"occurrence": sqlite_bulk.Column(np.arange(3, dtype=np.int64)),
               "latitude": sqlite_bulk.Column(np.nan_to_num(values), present),
               "longitude": sqlite_bulk.Column(np.array([-0.123456, -0.1, 0.0]), np.array([True, False, True]))}
    sqlite_bulk.insert(connection.cursor(), columns, small=("occurrence",), wide_int=(),
                       wide_float=("latitude", "longitude"), constants={"batch_id": 1})
    rows = connection.execute("SELECT latitude, longitude FROM search ORDER BY occurrence").fetchall()
    assert rows == [(None if np.isnan(latitude) else latitude, -0.123456), (51.5, None), (0.1, 0.0)]
    assert all(type(value) is float for row in rows for value in row if value is not None)


def test_blank_local_columns_of_police_uk_records_are_independent(engine, met_file):
    """The blank local-only columns may share memory (pandas 3 copies on write); a value written
    into one of them must not show in another, nor in a later load."""
    from stopsearch_app.store.schema import LOCAL_DETAIL_FIELDS
    from stopsearch_app.domain.records import FIELD_BY_NAME, FieldKind

    assert not import_paths(engine, met_file).failed
    frame = load_records(engine)
    texts = [name for name in LOCAL_DETAIL_FIELDS if FIELD_BY_NAME[name].kind is FieldKind.TEXT]
    flags = [name for name in LOCAL_DETAIL_FIELDS if FIELD_BY_NAME[name].kind is FieldKind.BOOL]
    assert len(texts) >= 2 and len(flags) >= 2 and frame[texts + flags].isna().all().all()
    frame.loc[frame.index[:5], texts[0]] = "written"
    frame.loc[frame.index[:5], flags[0]] = True
    assert frame[texts[1:] + flags[1:]].isna().all().all()
    assert (frame[texts[0]].iloc[:5] == "written").all() and frame[flags[0]].iloc[:5].all()
    assert load_records(engine)[texts + flags].isna().all().all()
