"""Every input gets a clear one-line error or imports (issue 10): generated hostile files of many classes
and a seeded mutation loop (fuzz) over the real police.uk files. Either the file imports (every row read
is imported, a duplicate or quarantined: none silently dropped) or it is refused with one line of our
error type, and a refused file changes nothing. Never another exception, never a hang."""

from __future__ import annotations

import random
import time
import traceback
from collections import Counter

import pytest

from stopsearch_app.io.readers import make_reader
from stopsearch_app.io.sources import expand
from stopsearch_app.store.importer import import_sources
from stopsearch_app.store.queries import stats
from tests.io.hostile_files import every_class

SECONDS_PER_FILE = 60  # a hang, not a slow file: the slowest hostile file takes about a second


def _state(engine):
    summary = stats(engine)
    return summary.records, summary.quarantined


@pytest.fixture(scope="module")
def outcome(tmp_path_factory):
    from stopsearch_app.store.database import open_database

    folder = tmp_path_factory.mktemp("hostile")
    engine = open_database(f"sqlite:///{folder / 'hostile.db'}")
    files = tmp_path_factory.mktemp("files")
    tried, imported, refused = Counter(), Counter(), Counter()
    problems: list[str] = []
    slowest = 0.0
    read = make_reader()
    try:
        for kind, path in every_class(files):
            tried[kind] += 1
            before = _state(engine)
            started = time.monotonic()
            try:
                report = import_sources(engine, list(expand([path])), read, imported_by="fuzz")
            except Exception:  # noqa: BLE001 - counted: the target is none
                problems.append(f"{kind} {path.name}: traceback\n{traceback.format_exc()}")
                continue
            elapsed = time.monotonic() - started
            slowest = max(slowest, elapsed)
            if elapsed > SECONDS_PER_FILE:
                problems.append(f"{kind} {path.name}: took {elapsed:.0f} s")
            if not report.files:
                problems.append(f"{kind} {path.name}: no file report at all")
            for file_report in report.files:
                if file_report.error:
                    refused[kind] += 1
                    if "\n" in file_report.error or "Traceback" in file_report.error or not file_report.error.strip():
                        problems.append(f"{kind} {path.name}: error is not one line: {file_report.error!r}")
                    if file_report.imported or file_report.quarantined:
                        problems.append(f"{kind} {path.name}: refused but reports rows kept")
                else:
                    imported[kind] += 1
                    counted = file_report.imported + file_report.duplicates + file_report.quarantined
                    if counted != file_report.rows_read:
                        problems.append(f"{kind} {path.name}: {file_report.rows_read} rows read, {counted} accounted")
            if all(f.error for f in report.files) and _state(engine) != before:
                problems.append(f"{kind} {path.name}: refused, yet the database changed")
    finally:
        engine.dispose()
    return tried, imported, refused, problems, slowest


def test_hostile_files_import_or_get_one_line_and_change_nothing(outcome):
    tried, imported, refused, problems, slowest = outcome
    print(f"\nhostile files tried: {sum(tried.values())} in {len(tried)} classes; slowest {slowest:.1f} s")
    for kind in sorted(tried):
        print(f"  {kind:<22} {tried[kind]:>4} tried  {imported[kind]:>4} imported  {refused[kind]:>4} refused")
    assert not problems, "\n".join(problems[:5])
    assert len(tried) >= 20 and sum(tried.values()) >= 400


def test_cr_only_line_endings_import_every_row(outcome):
    _tried, imported, refused, _problems, _slowest = outcome
    assert imported["cr_only"] == 1 and refused["cr_only"] == 0


def test_machine_protecting_limits_refuse_rather_than_read(tmp_path, engine):
    from tests.io.hostile_files import special_files, wide_and_long, zips

    read = make_reader()
    reasons = {}
    for kind, path in [*special_files(tmp_path), *wide_and_long(tmp_path)]:
        reasons[path.name] = import_sources(engine, list(expand([path])), read).files[0].error
    assert "not a regular file" in reasons["zero.csv"] and "FIFO" in reasons["pipe.csv"]
    assert "100,000 columns" in reasons["wide-100000.csv"]
    assert "no line break" in reasons["no-newline.csv"]
    bombs = tmp_path / "zips"
    bombs.mkdir()
    bomb = next(path for kind, path in zips(bombs, random.Random(1)) if kind == "zip_bomb_ratio")
    before = stats(engine).records
    report = import_sources(engine, list(expand([bomb])), read)
    assert "zip bomb" in report.files[0].error
    assert stats(engine).records == before


def test_line_ending_repair_never_touches_a_binary_workbook():
    from stopsearch_app.io.limits import check_data, json_depth

    workbook = b"PK\x03\x04" + bytes(range(256)).replace(b"\n", b"")
    assert check_data(workbook, "extract.xlsx") == workbook
    assert check_data(b"a,b\rc,d\r", "x.csv") == b"a,b\nc,d\n"
    assert json_depth(b'[{"a": "[[[[", "b": [1]}]') == 3  # brackets inside strings do not count
