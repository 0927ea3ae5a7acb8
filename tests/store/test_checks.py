"""Stored verdicts: round trip, replacement on re-check, review priority, filtering by verdict."""

from __future__ import annotations

from sqlalchemy import func, select

from stopsearch_app.domain.charter import check
from stopsearch_app.domain.charter.ruleset import default_ruleset
from stopsearch_app.store.checks import (latest_run, record_verdicts, rule_orders, run_check, verdict_counts,
                                         with_verdict)
from stopsearch_app.domain.selection import Selection
from stopsearch_app.store.frames import load_records, local_fields_by_batch
from stopsearch_app.store.queries import Labels, RecordQuery, matching_ids
from stopsearch_app.store.schema import check_run, record_check
from tests.helpers import import_paths


def synthetic(engine, tmp_path, rows=400):
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    import_paths(engine, write_csv(tmp_path / "extract.csv", generate_extract(rows=rows, seed=21)))


def test_verdicts_round_trip_with_reasons(engine, tmp_path):
    synthetic(engine, tmp_path)
    run_check(engine, run_by="tester")
    records = load_records(engine).set_index("search_id", drop=False)
    result = check(records, default_ruleset(), local_fields_by_batch(engine))
    search_id = int(result.verdicts.index[0])
    stored = {v.rule_id: v for v in record_verdicts(engine, search_id)}
    for rule_id in result.rule_ids:
        expected_code = int(result.verdicts.at[search_id, rule_id])
        assert int(stored[rule_id].verdict) == expected_code
        assert stored[rule_id].reason == result.reason(rule_id).loc[search_id]
    assert stored["S1"].citation and stored["S1"].basis == "law"


def test_re_check_replaces_verdicts_and_keeps_run_history(engine, tmp_path):
    synthetic(engine, tmp_path)
    first = run_check(engine, run_by="tester")
    stricter = default_ruleset().with_settings(params={"G1": {"min_words": 40}})
    second = run_check(engine, stricter, run_by="tester")
    with engine.connect() as connection:
        assert connection.execute(select(func.count()).select_from(record_check)).scalar_one() == first.records_checked
        assert connection.execute(select(func.count()).select_from(check_run)).scalar_one() == 2
    assert latest_run(engine)["ruleset_hash"] == stricter.content_hash != default_ruleset().content_hash
    counts = verdict_counts(engine)
    assert counts.at["G1", "fail"] > first.rules_json()["G1"]["fail"]
    assert counts.at["G1", "fail"] == second.rules_json()["G1"]["fail"]


def test_verdict_filter_and_priority_order(engine, tmp_path):
    synthetic(engine, tmp_path)
    summary = run_check(engine, run_by="tester")
    labels = Labels(engine)
    expected = summary.rules_json(children_only=True)["S1"]["fail"]
    narrowed = with_verdict(engine, RecordQuery(Selection.all_searches(age="child")), "S1", "fail")
    assert len(matching_ids(engine, narrowed, labels)) == expected > 0
    review = matching_ids(engine, RecordQuery(Selection.all_searches(age="child"), needs_review=True), labels, "findings")
    with engine.connect() as connection:
        priority = dict(connection.execute(select(record_check.c.search_id, record_check.c.priority)).all())
    ordered = [priority[int(i)] for i in review]
    assert ordered == sorted(ordered, reverse=True) and min(ordered) > 0
    order = rule_orders(engine)[summary.run_id]
    assert order == list(summary.pack_order)


def test_a_check_leaves_foreign_keys_enforced_on_every_pooled_connection(engine, tmp_path):
    """The verdict write switches SQLite's parent lookups off for its own transaction only, also when
    the run is cancelled half way."""
    import pytest
    from sqlalchemy import text

    from stopsearch_app.io.errors import ImportCancelled

    synthetic(engine, tmp_path, rows=120)
    run_check(engine, run_by="test")
    with pytest.raises(ImportCancelled):
        run_check(engine, run_by="test", is_cancelled=lambda: True)
    with engine.connect() as first, engine.connect() as second:
        if engine.dialect.name == "sqlite":  # PostgreSQL always enforces: there is no switch to leave on
            assert [c.execute(text("PRAGMA foreign_keys")).scalar_one() for c in (first, second)] == [1, 1]
            first.rollback()
        with pytest.raises(Exception, match="(?i)foreign key"):
            with first.begin():
                first.execute(record_check.insert().values(search_id=10**9, run_id=1, verdicts="", reason_codes=b"",
                                                           priority=0))


def test_verdict_counts_read_in_blocks_equal_the_runs_own_figures(engine, tmp_path, monkeypatch):
    from stopsearch_app.store import checks

    synthetic(engine, tmp_path, rows=400)
    summary = run_check(engine, run_by="tester")
    monkeypatch.setattr(checks, "COUNT_BLOCK_ROWS", 37)  # many blocks, the last one short
    for query, figures in ((None, summary.rules_json()),
                           (RecordQuery(Selection.all_searches(age="child")), summary.rules_json(children_only=True))):
        counts = verdict_counts(engine, query)
        assert list(counts.index) == list(figures)
        for rule_id, by_verdict in figures.items():
            assert counts.loc[rule_id].to_dict() == by_verdict, rule_id
