"""A check by parts stores exactly what one check of the whole table gives: every verdict, every reason,
the run's counts. Real police.uk files plus a local extract split in two files, so that repeat
searches of a person (K2) and copied grounds (G5) span two import batches."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from stopsearch_app.domain.charter import check, default_ruleset
from stopsearch_app.domain.charter.verdicts import Verdict
from stopsearch_app.io.synthetic_extract import generate_extract, write_csv
from stopsearch_app.store.checks import plan_parts, run_check
from stopsearch_app.store.frames import load_records, local_fields_by_batch
from stopsearch_app.store.schema import check_reason, record_check
from stopsearch_app.store.verdict_store import reason_codes_of
from tests.conftest import POLICEUK
from tests.helpers import import_paths

CITY_MONTHS = sorted(POLICEUK.glob("*city-of-london-stop-and-search.csv"))[:3]


@pytest.fixture
def mixed(engine, tmp_path, met_file):
    extract = generate_extract(rows=1_200, seed=5)
    half = len(extract) // 2
    first = write_csv(tmp_path / "extract-a.csv", extract.iloc[:half])
    second = write_csv(tmp_path / "extract-b.csv", extract.iloc[half:])
    for path in (met_file, first, *CITY_MONTHS, second):
        assert not import_paths(engine, path).failed
    return engine


def stored(engine, run_id: int, order: list[str]) -> tuple[pd.Series, pd.DataFrame]:
    """(packed verdicts, reason texts per rule) by search id, as the database holds them."""
    with engine.connect() as connection:
        rows = connection.execute(select(record_check.c.search_id, record_check.c.run_id, record_check.c.verdicts,
                                         record_check.c.reason_codes).order_by(record_check.c.search_id)).all()
        texts = {(r.rule_id, r.code): r.text for r in connection.execute(
            select(check_reason).where(check_reason.c.run_id == run_id))}
    assert {row.run_id for row in rows} == {run_id}
    ids = [row.search_id for row in rows]
    reasons = pd.DataFrame([[texts.get((rule_id, int(code)), "") for rule_id, code in
                             zip(order, reason_codes_of(row.reason_codes, len(order)))] for row in rows],
                           index=ids, columns=order)
    return pd.Series([row.verdicts for row in rows], index=ids), reasons


def test_a_check_by_parts_stores_what_a_check_of_the_whole_table_gives(mixed):
    engine = mixed
    ruleset = default_ruleset()
    with engine.connect() as connection:
        parts = plan_parts(connection, ruleset, part_records=2_500)
    # The Met file is split, the City months packed, both halves of the extract in one part.
    assert len(parts) >= 4 and any(part.id_range for part in parts)
    summary = run_check(engine, ruleset, run_by="tester", part_records=2_500)
    assert summary.parts == len(parts)

    records = load_records(engine).set_index("search_id", drop=False)
    whole = check(records, ruleset, local_fields_by_batch(engine))
    # The cross-record rules really do look across the two extract files here.
    k2 = whole.verdicts["K2"]
    assert (k2 == int(Verdict.REVIEW)).any() and (whole.verdicts["G5"] == int(Verdict.REVIEW)).any()
    review_batches = records.loc[k2[k2 == int(Verdict.REVIEW)].index, "batch_id"]
    assert review_batches.nunique() == 2

    packed, reasons = stored(engine, summary.run_id, list(ruleset.rule_ids))
    expected = whole.packed()
    assert packed.index.tolist() == expected.index.tolist()
    assert (packed.to_numpy() == expected.astype(object).to_numpy()).all()
    for rule_id in whole.rule_ids:
        assert reasons[rule_id].tolist() == whole.reason(rule_id).astype(str).tolist(), rule_id
    assert summary.rules_json() == whole.summary()
    assert summary.rules_json(children_only=True) == whole.summary((whole.child_status == "child").to_numpy())
    assert summary.assessable_rules == whole.assessable_rules()
    assert summary.records_checked == len(records) and summary.children == int((whole.child_status == "child").sum())


def test_a_failed_check_by_parts_leaves_the_previous_verdicts(mixed, monkeypatch):
    engine = mixed
    first = run_check(engine, run_by="tester")
    before = stored(engine, first.run_id, list(first.pack_order))
    calls = []

    def fail_on_third_part(result, records):
        calls.append(len(records))
        if len(calls) == 3:
            raise RuntimeError("killed")

    with pytest.raises(RuntimeError, match="killed"):
        run_check(engine, default_ruleset().with_settings(params={"G1": {"min_words": 40}}), run_by="tester",
                  part_records=2_500, on_part=fail_on_third_part)
    after = stored(engine, first.run_id, list(first.pack_order))
    assert before[0].equals(after[0]) and before[1].equals(after[1])
