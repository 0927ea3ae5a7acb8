"""How a check run stores its verdicts: police.uk parts in slices while the writer thread stores the
previous slice, SQLite's bulk statement beside the portable insert, and failures part way."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import func, select

from stopsearch_app.io.errors import ImportCancelled
from stopsearch_app.io.synthetic_extract import generate_extract, write_csv
from stopsearch_app.store import checks, verdict_store
from stopsearch_app.store.checks import latest_run, run_check
from stopsearch_app.store.database import open_database
from stopsearch_app.store.schema import check_reason, record_check
from tests.conftest import POLICEUK
from tests.helpers import import_paths

REAL_FILES = ("kostis-christodoulou_am10.mam2023__2022-09-metropolitan-stop-and-search.csv",
              "Taimur-Shabbir_SaS-Data-Cleaning__2019-12-durham-stop-and-search.csv")


def fill(engine, tmp_path):
    """Two real police.uk files and a local extract: public parts that may be sliced, and a linked one."""
    import_paths(engine, *(POLICEUK / name for name in REAL_FILES))
    import_paths(engine, write_csv(tmp_path / "extract.csv", generate_extract(rows=300, seed=5)))
    return engine


@pytest.fixture
def mixed(engine, tmp_path):
    return fill(engine, tmp_path)


@pytest.fixture
def mixed_sqlite(tmp_path):
    """The same in SQLite also when the suite runs on PostgreSQL: the bulk statement is SQLite's."""
    engine = fill(open_database(f"sqlite:///{tmp_path / 'bulk.db'}"), tmp_path)
    yield engine
    engine.dispose()


def stored(engine) -> dict[int, tuple[str, tuple[str, ...], int]]:
    """Every record's stored verdicts, its reasons as texts (codes are the run's own) and priority."""
    with engine.connect() as connection:
        rows = connection.execute(select(record_check)).mappings().all()
        texts = {(r.run_id, r.rule_id, r.code): r.text for r in connection.execute(select(check_reason))}
    order = latest_run(engine)["rule_order"].split(",")
    out = {}
    for row in rows:
        codes = verdict_store.reason_codes_of(row["reason_codes"], len(order)).tolist()
        reasons = tuple(texts.get((row["run_id"], rule_id, code), "") for rule_id, code in zip(order, codes))
        out[row["search_id"]] = (row["verdicts"], reasons, row["priority"])
    return out


def test_slices_store_exactly_what_one_pass_stores(mixed, monkeypatch):
    monkeypatch.setattr(checks, "SLICE_RECORDS", 10**9)
    whole = run_check(mixed, run_by="tester")
    expected = stored(mixed)
    monkeypatch.setattr(checks, "SLICE_RECORDS", 997)  # the Met file alone is 12 slices, the last one short
    sliced = run_check(mixed, run_by="tester")
    assert stored(mixed) == expected
    assert len(expected) == whole.records_checked == sliced.records_checked > 12_000
    assert sliced.counts == whole.counts and sliced.child_counts == whole.child_counts
    assert sliced.assessable_rules == whole.assessable_rules


@pytest.mark.parametrize("records", ["every record", "children only"])
def test_the_sqlite_bulk_statement_stores_what_the_portable_insert_stores(mixed_sqlite, monkeypatch, records):
    """Every record: blocks of consecutive ids. Children only: ids with gaps, each one bound."""
    from stopsearch_app.domain.selection import Selection
    from stopsearch_app.store.queries import RecordQuery

    mixed = mixed_sqlite
    query = None if records == "every record" else RecordQuery(Selection.all_searches(age="child"))
    monkeypatch.setattr(verdict_store, "BULK_ROWS", 1_000)  # many statements, the last one short
    run_check(mixed, record_query=query, run_by="tester")
    bulk = stored(mixed)
    monkeypatch.setattr(verdict_store, "_sqlite_bulk_fits", lambda *_: False)
    run_check(mixed, record_query=query, run_by="tester")
    assert stored(mixed) == bulk
    assert {priority for _, _, priority in bulk.values()} > {0}


@pytest.mark.parametrize("failure", ["cancelled", "writer raises"])
def test_a_run_that_fails_while_storing_keeps_the_previous_verdicts(mixed, monkeypatch, failure):
    first = run_check(mixed, run_by="tester")
    before = stored(mixed)
    monkeypatch.setattr(checks, "SLICE_RECORDS", 2_000)
    monkeypatch.setattr(verdict_store, "BULK_ROWS", 500)
    monkeypatch.setattr(verdict_store, "INSERT_ROWS", 500)  # the portable insert looks as often
    calls = {"n": 0}

    def cancel_on_the_twentieth_look() -> bool:  # past the first slices: the writer thread is storing
        calls["n"] += 1
        return calls["n"] >= 20

    if failure == "cancelled":
        with pytest.raises(ImportCancelled):
            run_check(mixed, run_by="tester", is_cancelled=cancel_on_the_twentieth_look)
    else:
        real = verdict_store._insert_sqlite if mixed.dialect.name == "sqlite" else verdict_store._insert_verdict_rows

        def broken(*args, **kwargs):
            if calls["n"]:
                raise RuntimeError("disk full")
            calls["n"] += 1
            return real(*args, **kwargs)

        monkeypatch.setattr(verdict_store, real.__name__, broken)
        with pytest.raises(RuntimeError, match="disk full"):
            run_check(mixed, run_by="tester")
    assert latest_run(mixed)["id"] == first.run_id
    assert stored(mixed) == before
    monkeypatch.undo()
    assert run_check(mixed, run_by="tester").records_checked == first.records_checked  # the database still works


def test_a_check_of_an_empty_database_still_lists_every_rule(engine):
    summary = run_check(engine, run_by="tester")
    assert summary.records_checked == 0
    assert list(summary.rules_json()) == list(summary.pack_order) and summary.pack_order
    assert all(count == 0 for by_verdict in summary.rules_json().values() for count in by_verdict.values())


def test_a_slice_with_reason_codes_past_255_stores_two_bytes_a_rule_and_reads_back(mixed, monkeypatch):
    """Reason codes take one byte per rule, or two in a slice whose codes do not fit: both read back."""
    plain = run_check(mixed, run_by="tester")
    expected = stored(mixed)
    real_check = checks.check
    slices = {"n": 0}

    def with_many_reasons(piece, ruleset, local_fields):
        result = real_check(piece, ruleset, local_fields)
        slices["n"] += 1
        if slices["n"] % 2 == 0:  # every other slice from the second: 300 distinct reasons for the first rule
            ids = result.verdicts.index.to_numpy()
            result.reasons[result.rule_ids[0]] = pd.Categorical([f"reason {i % 300}" for i in ids])
        return result

    monkeypatch.setattr(checks, "check", with_many_reasons)
    monkeypatch.setattr(checks, "SLICE_RECORDS", 3_000)
    run = run_check(mixed, run_by="tester")
    assert run.records_checked == plain.records_checked and slices["n"] > 4
    order = latest_run(mixed)["rule_order"].split(",")
    rules = len(order)
    with mixed.connect() as connection:
        widths = dict(connection.execute(select(func.length(record_check.c.reason_codes), func.count())
                                         .group_by(func.length(record_check.c.reason_codes))).all())
    assert set(widths) == {rules, 2 * rules}
    first_rule = order.index(run.ruleset.rule_ids[0])
    wide = narrow = 0
    for search_id, (verdicts, reasons, priority) in stored(mixed).items():
        old_verdicts, old_reasons, old_priority = expected[search_id]
        assert (verdicts, priority) == (old_verdicts, old_priority)
        if reasons[first_rule] == f"reason {search_id % 300}":
            wide += 1
            assert reasons[:first_rule] + reasons[first_rule + 1:] == old_reasons[:first_rule] + old_reasons[first_rule + 1:]
        else:
            narrow += 1
            assert reasons == old_reasons
    assert wide > 1_000 and narrow > 1_000
    one = next(search_id for search_id, (_v, reasons, _p) in stored(mixed).items()
               if reasons[first_rule] == f"reason {search_id % 300}" and search_id % 300 > 255)
    by_rule = {verdict.rule_id: verdict.reason for verdict in checks.record_verdicts(mixed, one)}
    assert by_rule[run.ruleset.rule_ids[0]] == f"reason {one % 300}"
