"""Importing into the database: counts, identity and re-import, one transaction per file, bad input."""

from __future__ import annotations

import hashlib
import json
import shutil
import zipfile

import pandas as pd
import pytest
from sqlalchemy import func, select

from stopsearch_app.store import coverage
from stopsearch_app.store.queries import quarantined_rows, stats
from stopsearch_app.store.schema import force_month_coverage, import_batch, search
from tests.conftest import POLICEUK
from tests.helpers import archive_csv, import_paths
from tests.io.test_policeuk_quirks import API_RECORD, ESSEX_ROW, MET_ROW


def data_rows(path) -> int:
    if path.suffix == ".json":
        return len(json.loads(path.read_text(encoding="utf-8")))
    return len(pd.read_csv(path, dtype=str, keep_default_na=False))


def record_count(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(select(func.count()).select_from(search)).scalar_one()


def test_every_shipped_file_imports_every_row_and_a_second_import_adds_nothing(engine):
    files = sorted(POLICEUK.iterdir())
    report = import_paths(engine, POLICEUK)
    assert not report.failed and report.quarantined == 0
    by_name = {f.path.split("/")[-1]: f for f in report.files}
    for path in files:
        file_report = by_name[path.name]
        assert file_report.rows_read == data_rows(path), path.name
        assert file_report.imported + file_report.duplicates == file_report.rows_read
    # The API "without location" file repeats the 53 unlocated records of the "with location" file
    # (same month, same content): identity stores them once.
    without = by_name["angrybat_PoliceStopAndSearch__stop_and_searches_without_location.json"]
    assert without.duplicates == 53 and without.imported == 0
    total_rows = sum(data_rows(path) for path in files)
    assert record_count(engine) == total_rows - 53

    again = import_paths(engine, POLICEUK)
    assert again.imported == 0 and again.duplicates == total_rows
    assert record_count(engine) == total_rows - 53


def test_met_september_2022_children_and_months(engine, met_file):
    report = import_paths(engine, met_file)
    assert report.imported == 12_447 and report.quarantined == 0
    loaded = stats(engine)
    assert loaded.children == 1_856 and loaded.months == ["2022-09"] and loaded.forces == ["metropolitan"]
    # 1,854 aged 10-17 and 2 under 10
    with engine.connect() as connection:
        first = connection.execute(select(search.c.occurred_at, search.c.month).order_by(search.c.occurred_at)).first()
    assert pd.Timestamp(first.occurred_at, unit="ms", tz="UTC") == pd.Timestamp("2022-08-31T23:00:00Z")
    assert first.month == "2022-09"
    month = coverage.load(engine).entry("metropolitan", "2022-09")
    assert month.counts.records == 12_447 and "partial_month" not in month.flags


def test_csv_and_api_of_the_same_force_month_do_not_double_count(engine, write_file):
    csv_path = write_file("2022-09-metropolitan-stop-and-search.csv", archive_csv(MET_ROW, MET_ROW))
    api_path = write_file("met-api.json", json.dumps([API_RECORD, API_RECORD, dict(API_RECORD, age_range="18-24")]))
    assert import_paths(engine, csv_path).imported == 2
    report = import_paths(engine, api_path, force="metropolitan")
    assert (report.imported, report.duplicates) == (1, 2)
    assert record_count(engine) == 3


def test_genuinely_identical_rows_in_a_month_are_kept(engine, write_file):
    path = write_file("2020-01-essex-stop-and-search.csv", archive_csv(ESSEX_ROW, ESSEX_ROW, ESSEX_ROW))
    assert import_paths(engine, path).imported == 3
    assert import_paths(engine, path).imported == 0


def test_a_file_that_is_not_stop_and_search_is_refused_and_nothing_is_written(engine, write_file):
    path = write_file("people.csv", "name,age\nAlice,3\n")
    report = import_paths(engine, path)
    assert report.files[0].error and "not a police.uk stop-and-search file" in report.files[0].error
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(import_batch)).scalar_one() == 0
    assert record_count(engine) == 0


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("2022-09-metropolitan-stop-and-search.csv", b"", "empty"),
    ("2022-09-metropolitan-stop-and-search.csv", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary"),
    ("stops.json", b'[{"datetime": "2022-09-01T10:00:00+00:00", "type": "Person', "truncated"),
])
def test_bad_files_are_refused_with_a_clear_reason(engine, write_file, name, content, reason):
    report = import_paths(engine, write_file(name, content))
    assert reason in report.files[0].error
    assert record_count(engine) == 0


def test_bad_rows_go_to_quarantine_and_the_rest_imports(engine, write_file):
    text = archive_csv(MET_ROW, MET_ROW.replace("2022-08-31T23:00:00+00:00", "not a date"), ESSEX_ROW)
    path = write_file("2022-09-metropolitan-stop-and-search.csv", text[:-20])  # last row cut short too
    report = import_paths(engine, path)
    assert (report.imported, report.quarantined) == (1, 2)
    rows = quarantined_rows(engine)
    assert [row["row_number"] for row in rows] == [3, 4]
    assert "not a date" in rows[0]["raw_text"] and "ISO 8601" in rows[0]["reason"]
    assert "truncated" in rows[1]["reason"]
    assert stats(engine).quarantined == 2


def test_cancel_rolls_the_file_back(engine, met_file, monkeypatch):
    import stopsearch_app.io.policeuk as policeuk

    monkeypatch.setattr(policeuk, "CHUNK_BYTES", 200_000)  # several chunks: cancel after the first is written
    checks = []

    def cancel_after_first_chunk() -> bool:
        checks.append(1)
        return len(checks) > 2

    report = import_paths(engine, met_file, is_cancelled=cancel_after_first_chunk)
    assert report.cancelled and report.imported == 0
    assert len(checks) > 2
    assert record_count(engine) == 0
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(import_batch)).scalar_one() == 0


def assert_same_records(left: pd.DataFrame, right: pd.DataFrame) -> None:
    """Equal values (categories differ when chunks are concatenated: the values are what count)."""
    pd.testing.assert_frame_equal(left.astype(object), right.astype(object))


def _file_with_bad_rows_far_apart(tmp_path, newline: str = "\n", encoding: str = "utf-8"):
    """Three identical Met rows, 400 Essex rows with a row of too few fields in the middle, a bad
    date, two Met rows, the last one cut short (physical lines: short row 205, bad date 406, cut 408)."""
    short_row = ",".join(ESSEX_ROW.split(",")[:5])
    rows = ([MET_ROW] * 3 + [ESSEX_ROW] * 200 + [short_row] + [ESSEX_ROW] * 200
            + [MET_ROW.replace("2022-08-31T23:00:00+00:00", "bad")] + [MET_ROW] * 2)
    rows[300] = ESSEX_ROW.replace("False,,", "True,Opération Été,", 1)  # not ASCII: the encoding counts
    path = tmp_path / "2022-09-metropolitan-stop-and-search.csv"
    path.write_bytes(archive_csv(*rows, newline=newline)[:-30].encode(encoding))  # the last row is cut short
    return path


@pytest.mark.parametrize("ramp", [(), (1_000, 5_000)], ids=["one-piece", "pieces"])
@pytest.mark.parametrize(("newline", "encoding"), [("\n", "utf-8"), ("\r\n", "cp1252")], ids=["lf-utf8", "crlf-cp1252"])
def test_a_file_read_in_many_chunks_imports_exactly_as_in_one(engine, tmp_path, monkeypatch, ramp, newline,
                                                               encoding):
    """Occurrence indexes, quarantine line numbers and the constant-false rule span chunks, and the
    pieces Arrow reads one after another (the small first blocks)."""
    import stopsearch_app.io.policeuk as policeuk
    from stopsearch_app.io.policeuk import read_policeuk

    path = _file_with_bad_rows_far_apart(tmp_path, newline, encoding)
    whole = read_policeuk(path.read_bytes(), path.name)
    monkeypatch.setattr(policeuk, "CHUNK_BYTES", 4_096)
    monkeypatch.setattr(policeuk, "RAMP_BYTES", ramp)
    chunked = read_policeuk(path.read_bytes(), path.name)
    assert_same_records(chunked.records, whole.records)
    assert chunked.warnings == whole.warnings
    assert ("Windows-1252" in " ".join(whole.warnings)) == (encoding == "cp1252")
    assert "Opération Été" in set(chunked.records["operation_name"].dropna())
    # five identical Met rows, the last one cut short: four kept, numbered 0-3 across chunks
    assert sorted(chunked.records["occurrence"][chunked.records["search_type"] == "person_and_vehicle"]) == [0, 1, 2, 3]
    assert [(q.row_number, q.reason[:8]) for q in chunked.quarantined] == \
        [(q.row_number, q.reason[:8]) for q in whole.quarantined] == \
        [(205, "row has "), (406, "Date 'ba"), (408, "row has ")]
    assert chunked.records["row_number"].tolist() == [n for n in range(2, 408) if n not in (205, 406)]
    report = import_paths(engine, path)
    assert (report.imported, report.quarantined, report.files[0].rows_read) == (404, 3, 407)
    assert import_paths(engine, path).imported == 0


def test_pieces_number_rows_as_one_read_does(monkeypatch):
    """Bad rows in the first block of a later piece, an empty line, and a quoted line break: reading
    in pieces gives every row and every quarantined row the number a single read gives."""
    import stopsearch_app.io.policeuk as policeuk
    from stopsearch_app.io.policeuk import read_policeuk

    short = ",".join(ESSEX_ROW.split(",")[:5])
    quoted = ESSEX_ROW.replace("False,,", 'False,"Operation\nNightingale",', 1)
    rows = ([ESSEX_ROW] * 8 + [short, ""] + [ESSEX_ROW] * 10 + [quoted] + [ESSEX_ROW] * 2 + [short]
            + [ESSEX_ROW] * 5)
    data = archive_csv(*rows).encode()
    name = "2020-01-essex-stop-and-search.csv"
    whole = read_policeuk(data, name)
    assert len(whole.records) == 8 + 10 + 1 + 2 + 5 \
        and "Operation Nightingale" in set(whole.records["operation_name"])  # the line break kept in its row
    assert [row.row_number for row in whole.quarantined][0] == 10
    row = len(ESSEX_ROW) + 1
    quoted_at = data.index(b'"Operation')
    for ramp in [(row * 7, row * 3, row * 5),  # a piece starts just before each short row
                 (quoted_at + 5, row * 2)]:  # a cut wanted inside the quoted field
        monkeypatch.setattr(policeuk, "RAMP_BYTES", ramp)
        monkeypatch.setattr(policeuk, "CHUNK_BYTES", 100_000)  # each piece in one block: its first
        pieces = read_policeuk(data, name)
        assert_same_records(pieces.records, whole.records)
        assert pieces.quarantined == whole.quarantined, ramp
        assert len(policeuk._pieces(data)) > 1


def test_each_piece_of_the_ramp_reaches_the_writer_as_one_chunk(monkeypatch):
    """policeuk.RAMP_BYTES: a ramp piece is one block, even one a line longer than CHUNK_BYTES (the
    first 32 MiB block read by a reader of several blocks reached the writer 0.25 s later)."""
    import stopsearch_app.io.policeuk as policeuk

    data = archive_csv(*[ESSEX_ROW] * 300).encode()
    monkeypatch.setattr(policeuk, "RAMP_BYTES", (1_000, 4_096))
    monkeypatch.setattr(policeuk, "CHUNK_BYTES", 4_096)
    pieces = policeuk._pieces(data)
    assert len(pieces) == 3 and pieces[1][1] - pieces[1][0] > 4_096  # the second cut is after its size
    chunks = list(policeuk.stream_policeuk(data, "2020-01-essex-stop-and-search.csv").chunks)
    rows_in = [data[start:end].count(b"\n") - (start == 0) for start, end in pieces]
    assert [len(chunk.records) for chunk in chunks[:2]] == rows_in[:2]
    assert sum(len(chunk.records) for chunk in chunks[2:]) == rows_in[2] and len(chunks) > 3
    assert [chunk.bytes_done for chunk in chunks[:2]] == [end for _start, end in pieces[:2]]


def test_a_ramp_piece_a_stray_quote_stretched_is_read_in_blocks_not_one(monkeypatch):
    """A quote character in an unquoted field moves the ramp's cut on to the next one (policeuk._pieces):
    such a piece can run far past its size, and is read in CHUNK_BYTES blocks like the rest."""
    import stopsearch_app.io.policeuk as policeuk

    stray = ESSEX_ROW.replace("False,,", 'False,Operation 5" Nightingale,', 1)
    rows = [ESSEX_ROW] + [stray] + [ESSEX_ROW] * 400 + [stray] + [ESSEX_ROW] * 100
    data = archive_csv(*rows).encode()
    name = "2020-01-essex-stop-and-search.csv"
    whole = policeuk.read_policeuk(data, name)
    monkeypatch.setattr(policeuk, "RAMP_BYTES", (1_000,))
    monkeypatch.setattr(policeuk, "CHUNK_BYTES", 8_000)
    pieces = policeuk._pieces(data)
    assert pieces[0][1] - pieces[0][0] > 2 * 8_000  # stretched from 1,000 bytes to the second quote
    chunks = list(policeuk.stream_policeuk(data, name).chunks)
    assert max(len(chunk.records) for chunk in chunks) < 100
    assert_same_records(pd.concat([chunk.records for chunk in chunks], ignore_index=True), whole.records)


def test_the_reader_process_reads_as_this_process_does(tmp_path, met_file):
    from stopsearch_app.domain.places import place_in_boroughs
    from stopsearch_app.io.parallel_reader import stream_in_child_process
    from stopsearch_app.io.policeuk import read_policeuk
    from stopsearch_app.io.sources import expand

    text = met_file.read_bytes()
    header_end = text.index(b"\n") + 1
    (tmp_path / "doubled").mkdir()
    doubled = tmp_path / "doubled" / met_file.name  # 5.4 MB: past the first small block, so read in two pieces
    doubled.write_bytes(text + text[header_end:])
    for path in (doubled, _file_with_bad_rows_far_apart(tmp_path)):
        here = read_policeuk(path.read_bytes(), path.name)
        place_in_boroughs(here.records)  # which the reader process does for the writer
        stream = stream_in_child_process(next(iter(expand([path]))))
        chunks = list(stream.chunks)
        there = pd.concat([chunk.records for chunk in chunks if len(chunk.records)], ignore_index=True)
        assert_same_records(there, here.records)
        assert sorted((row for chunk in chunks for row in chunk.quarantined), key=lambda row: row.row_number) \
            == here.quarantined
        assert (stream.sha256, stream.format, stream.warnings) == (here.sha256, here.format, here.warnings)
        if path is doubled:
            # every row of the second copy repeats one of the first: occurrence 1 or more
            assert len(chunks) >= 2 and len(there) == 2 * 12_447 and (there["occurrence"] >= 1).sum() >= 12_447


def test_the_reader_process_refuses_what_this_process_refuses(tmp_path, monkeypatch):
    from stopsearch_app.io import readers

    monkeypatch.setattr(readers, "PARALLEL_MIN_BYTES", 0)  # every CSV through the reader process
    binary = tmp_path / "2022-09-metropolitan-stop-and-search.csv"
    binary.write_bytes(bytes(range(256)) * 50)
    read = readers.make_reader()
    from stopsearch_app.io.errors import ImportRefused
    from stopsearch_app.io.sources import expand

    with pytest.raises(ImportRefused, match="not a stop-and-search file|not text|binary"):
        read(next(iter(expand([binary]))))


def test_an_import_through_the_reader_process_matches_one_in_process(engine, tmp_path, monkeypatch):
    from stopsearch_app.io import readers
    from stopsearch_app.store.database import open_database

    path = _file_with_bad_rows_far_apart(tmp_path)
    here = import_paths(engine, path)
    monkeypatch.setattr(readers, "PARALLEL_MIN_BYTES", 0)
    other = open_database(f"sqlite:///{tmp_path / 'other.db'}")
    there = import_paths(other, path)
    assert there.as_json() == here.as_json()
    assert quarantined_rows(other) == quarantined_rows(engine)
    with engine.connect() as mine, other.connect() as theirs:
        query = select(search).order_by(search.c.id)
        assert theirs.execute(query).all() == mine.execute(query).all()
        digest = select(import_batch.c.sha256)
        assert theirs.execute(digest).scalar_one() == mine.execute(digest).scalar_one() \
            == hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_crash_mid_file_leaves_the_database_as_it_was(engine, met_file, monkeypatch):
    import_paths(engine, met_file)
    before = record_count(engine)
    import stopsearch_app.store.importer as importer

    def explode(*args, **kwargs):
        raise RuntimeError("disk on fire")

    other = met_file.with_name("2020-01-essex-stop-and-search.csv")
    shutil.copy(POLICEUK / "Taimur-Shabbir_SaS-Data-Cleaning__2020-01-essex-stop-and-search.csv", other)
    monkeypatch.setattr(importer, "_existing_public_keys", explode)
    with pytest.raises(RuntimeError):
        import_paths(engine, other)
    assert record_count(engine) == before


def test_folder_and_zip_import_every_member(engine, tmp_path):
    archive = tmp_path / "police-uk.zip"
    with zipfile.ZipFile(archive, "w") as handle:
        for name in ("2019-12-durham-stop-and-search.csv", "2020-01-durham-stop-and-search.csv"):
            source = POLICEUK / f"Taimur-Shabbir_SaS-Data-Cleaning__{name}"
            handle.write(source, f"2020-01/{name}")
        handle.writestr("README.txt", "not imported")
    report = import_paths(engine, archive)
    assert [f.force for f in report.files] == ["durham", "durham"]
    assert report.imported == 145 + 161 and not report.failed


def test_batch_row_records_the_file(engine, met_file):
    import_paths(engine, met_file)
    with engine.connect() as connection:
        batch = connection.execute(select(import_batch)).mappings().one()
    assert batch["file_name"] == met_file.name and len(batch["sha256"]) == 64
    assert (batch["rows_read"], batch["imported"], batch["duplicates"], batch["quarantined"]) == (12_447, 12_447, 0, 0)
    assert batch["months"] == "2022-09" and batch["forces"] == "metropolitan" and batch["imported_by"] == "tester"


def test_local_extract_imports_detail_and_re_imports_by_reference(engine, tmp_path):
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv
    from stopsearch_app.store.queries import Labels, record_detail
    from stopsearch_app.store.schema import search_local

    frame = generate_extract(rows=300, seed=5)
    path = write_csv(tmp_path / "extract.csv", frame)
    report = import_paths(engine, path)  # canonical headers: no mapping needed
    assert report.files[0].format == "local" and not report.failed
    assert report.imported + report.quarantined == 300
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(search_local)).scalar_one() == report.imported
        some_id = connection.execute(select(search.c.id).where(search.c.source_ref.is_not(None))).scalars().first()
    detail = record_detail(engine, some_id, Labels(engine))
    assert detail["record_id"].startswith("MPS-") and "grounds_text" in detail["mapped_fields"]
    again = import_paths(engine, path)
    assert again.imported == 0 and again.duplicates == report.imported


def _coverage_rows(engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(select(force_month_coverage).order_by(
            force_month_coverage.c.force, force_month_coverage.c.month)).mappings().all()
    return [{key: value for key, value in row.items() if key != "updated_at"} for row in rows]


def test_coverage_counted_while_importing_equals_a_recount_of_the_stored_records(engine, write_file):
    """The importer counts a force-month new to the database from the rows it writes, and recounts
    one that held records in SQL: both must give exactly what a recount of every stored row gives."""
    report = import_paths(engine, POLICEUK)
    assert not report.failed
    # A second file for a force-month already stored (the SQL path), and one for a new force-month.
    extra = write_file("met-api.json", json.dumps([dict(API_RECORD, age_range="18-24"),
                                                   dict(API_RECORD, age_range="under 10", datetime="2031-01-05T10:00:00+00:00")]))
    assert import_paths(engine, extra, force="metropolitan").imported == 2
    counted = _coverage_rows(engine)
    assert len(counted) > 25 and sum(row["records"] for row in counted) == record_count(engine)
    with engine.begin() as connection:
        connection.execute(force_month_coverage.delete())
        coverage.rebuild_all(connection)
    assert _coverage_rows(engine) == counted
