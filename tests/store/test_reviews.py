"""Issue 5, store: finding commands and their audit trail, optimistic locking across two connections,
findings that survive a re-import, the review queue, saved samples."""

from __future__ import annotations

import csv
import threading
from pathlib import Path

import pytest
from sqlalchemy import delete, func, select, text

import stopsearch_app.store.review_schema  # noqa: F401 - the review tables on the shared metadata
from stopsearch_app.domain import review
from stopsearch_app.domain.charter.verdicts import Verdict
from stopsearch_app.store import reviews
from stopsearch_app.store.checks import run_check
from stopsearch_app.store.database import make_engine
from stopsearch_app.store.queries import Labels
from stopsearch_app.store.review_schema import audit_event, finding
from stopsearch_app.store.reviews import (ChangeFinding, FindingInvalid, NothingChanged, NothingToUndo, RecordFinding,
                                          StaleFindingError, UndoFinding)
from stopsearch_app.store.schema import search
from tests.helpers import archive_csv, import_paths

EXTRACT_ROWS = 500


def write_extract(folder: Path) -> Path:
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    return write_csv(folder / "synthetic-extract.csv", generate_extract(rows=EXTRACT_ROWS, months=2))


@pytest.fixture
def extract_file(tmp_path) -> Path:
    return write_extract(tmp_path)


@pytest.fixture
def checked(engine, extract_file):
    """A database with the synthetic local extract imported and checked."""
    import_paths(engine, extract_file)
    run_check(engine, run_by="tester")
    return engine


def flagged_record(engine) -> tuple[str, list[str]]:
    """The first record of the review queue and its fail/review rules."""
    labels = Labels(engine)
    search_id = int(reviews.queue_ids(engine, labels)[0])
    record = reviews.record_for_review(engine, labels, search_id)
    return record.record_id, [rule for rule, _key, _title in record.flagged_rules]


def supervisor(outcome="words_of_advice", note="Words of advice given about GOWISELY.", rules=()):
    return {"outcome": outcome, "note": note, "rules_addressed": list(rules), "bwv_viewed": True}


def events(engine, record_id):
    return reviews.audit_trail(engine, record_id)


# --- commands and the audit trail -----------------------------------------------------------------
def test_record_change_and_undo_each_write_one_audit_row(checked):
    record_id, rules = flagged_record(checked)
    created = RecordFinding(checked, record_id, "supervisor", supervisor(rules=rules[:1]), who="Sgt Adams",
                            allowed_rules=rules).do()
    assert created.version == 1 and created.active and created.updated_by == "Sgt Adams"
    trail = events(checked, record_id)
    assert [(e.action, e.version, e.who, e.before) for e in trail] == [("create", 1, "Sgt Adams", None)]
    assert trail[0].after["outcome"] == "words_of_advice" and trail[0].after["rules_addressed"] == rules[:1]

    changed = ChangeFinding(checked, record_id, "supervisor", supervisor("training_need", rules=rules[:1]),
                            who="Insp Brown", why="BWV shows a pattern", expected_version=1).do()
    assert changed.version == 2 and changed.fields["outcome"] == "training_need"
    trail = events(checked, record_id)
    assert [(e.action, e.version, e.who, e.why) for e in trail][1] == ("change", 2, "Insp Brown", "BWV shows a pattern")
    assert trail[1].before["outcome"] == "words_of_advice" and trail[1].after["outcome"] == "training_need"
    assert trail[1].summary == "Outcome: Words of advice → Training need"

    undone = UndoFinding(checked, record_id, "supervisor", who="Insp Brown", why="wrong record", expected_version=2).do()
    assert undone.version == 3 and undone.fields["outcome"] == "words_of_advice" and undone.active
    trail = events(checked, record_id)
    assert [e.action for e in trail] == ["create", "change", "undo"]
    assert trail[2].reverts_event_id == trail[1].id
    assert trail[2].before["outcome"] == "training_need" and trail[2].after["outcome"] == "words_of_advice"


def test_undo_is_a_recorded_reversal_never_a_delete(checked):
    record_id, _rules = flagged_record(checked)
    command = RecordFinding(checked, record_id, "supervisor", supervisor(), who="Sgt Adams")
    command.do()
    withdrawn = command.undo()  # git-cola style: the command's undo is itself a recorded command
    assert withdrawn.status == review.WITHDRAWN and withdrawn.version == 2
    assert withdrawn.fields["outcome"] is None
    with checked.connect() as connection:
        assert connection.execute(select(func.count()).select_from(finding)).scalar_one() == 1
        assert connection.execute(select(func.count()).select_from(audit_event)).scalar_one() == 2
    assert [e.action for e in events(checked, record_id)] == ["create", "undo"]
    with pytest.raises(NothingToUndo):
        UndoFinding(checked, record_id, "supervisor", who="Sgt Adams", why="again", expected_version=2).do()
    # a new finding after the withdrawal is a creation based on the withdrawn version
    again = RecordFinding(checked, record_id, "supervisor", supervisor("compliant_after_review", note=""),
                          who="Sgt Adams", expected_version=2).do()
    assert again.active and again.version == 3
    assert [e.action for e in events(checked, record_id)] == ["create", "undo", "create"]


def test_the_audit_table_refuses_update_and_delete(checked):
    record_id, _rules = flagged_record(checked)
    RecordFinding(checked, record_id, "supervisor", supervisor(), who="Sgt Adams").do()
    for statement in ("UPDATE audit_event SET who = 'someone else'", "DELETE FROM audit_event"):
        with pytest.raises(Exception, match="append-only"):
            with checked.begin() as connection:
                connection.execute(text(statement))
    assert events(checked, record_id)[0].who == "Sgt Adams"


def test_repeated_undo_walks_back_through_the_changes(checked):
    record_id, _rules = flagged_record(checked)
    RecordFinding(checked, record_id, "supervisor", supervisor("words_of_advice"), who="A").do()
    ChangeFinding(checked, record_id, "supervisor", supervisor("training_need"), who="B", why="1", expected_version=1).do()
    ChangeFinding(checked, record_id, "supervisor", supervisor("refer_professional_standards"), who="C", why="2",
                  expected_version=2).do()
    outcomes = [UndoFinding(checked, record_id, "supervisor", who="D", why="u", expected_version=v).do().fields["outcome"]
                for v in (3, 4, 5)]
    assert outcomes == ["training_need", "words_of_advice", None]
    assert reviews.current_finding(checked, record_id, "supervisor").status == review.WITHDRAWN


def test_bad_commands_write_nothing(checked):
    record_id, rules = flagged_record(checked)
    with pytest.raises(FindingInvalid, match="note is needed"):
        RecordFinding(checked, record_id, "supervisor", supervisor(note=""), who="A")
    with pytest.raises(FindingInvalid, match="did not fail"):
        RecordFinding(checked, record_id, "supervisor", supervisor(rules=["Z9"]), who="A", allowed_rules=rules)
    RecordFinding(checked, record_id, "supervisor", supervisor(), who="A").do()
    with pytest.raises(ValueError, match="reason"):
        ChangeFinding(checked, record_id, "supervisor", supervisor("training_need"), who="A", why=" ", expected_version=1)
    with pytest.raises(NothingChanged):
        ChangeFinding(checked, record_id, "supervisor", supervisor(), who="A", why="same", expected_version=1).do()
    assert len(events(checked, record_id)) == 1


# --- optimistic locking: two engines on one SQLite file -------------------------------------------
def test_a_second_writer_gets_a_stale_finding_error_and_no_change_is_lost(checked, db_url):
    record_id, _rules = flagged_record(checked)
    RecordFinding(checked, record_id, "supervisor", supervisor(), who="Sgt Adams").do()
    first, second = make_engine(db_url), make_engine(db_url)
    try:
        # both supervisors open the record and see version 1
        seen_by_first = reviews.current_finding(first, record_id, "supervisor")
        seen_by_second = reviews.current_finding(second, record_id, "supervisor")
        assert seen_by_first.version == seen_by_second.version == 1
        ChangeFinding(first, record_id, "supervisor", supervisor("training_need"), who="Insp Brown",
                      why="pattern in BWV", expected_version=seen_by_first.version).do()
        attempted = supervisor("refer_professional_standards", note="Refer: handcuffed without reason.")
        with pytest.raises(StaleFindingError) as caught:
            ChangeFinding(second, record_id, "supervisor", attempted, who="Sgt Clarke", why="misconduct",
                          expected_version=seen_by_second.version).do()
        error = caught.value
        assert "Insp Brown" in str(error) and "version 2" in str(error) and "NOT saved" in str(error)
        assert error.current.fields["outcome"] == "training_need"
        assert error.attempted["outcome"] == "refer_professional_standards"  # the rejected edit, kept
        # the first writer's change is intact and is the only change recorded
        stored = reviews.current_finding(second, record_id, "supervisor")
        assert stored.version == 2 and stored.fields["outcome"] == "training_need"
        assert [e.who for e in events(second, record_id)] == ["Sgt Adams", "Insp Brown"]
        # the second writer re-reads and applies their edit on top: both changes are in the trail
        ChangeFinding(second, record_id, "supervisor", error.attempted, who="Sgt Clarke", why="misconduct",
                      expected_version=error.current.version).do()
        trail = events(first, record_id)
        assert [(e.who, e.after["outcome"]) for e in trail] == [
            ("Sgt Adams", "words_of_advice"), ("Insp Brown", "training_need"),
            ("Sgt Clarke", "refer_professional_standards")]
    finally:
        first.dispose()
        second.dispose()


def test_two_first_findings_at_once_one_wins_the_other_is_told(checked, db_url):
    record_id, _rules = flagged_record(checked)
    engines = [make_engine(db_url) for _ in range(2)]
    barrier = threading.Barrier(2)
    outcomes: list[object] = [None, None]

    def write(index: int) -> None:
        command = RecordFinding(engines[index], record_id, "supervisor",
                                supervisor("training_need" if index else "words_of_advice"), who=f"writer {index}")
        barrier.wait()
        try:
            outcomes[index] = command.do()
        except StaleFindingError as error:
            outcomes[index] = error

    threads = [threading.Thread(target=write, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    for engine in engines:
        engine.dispose()
    assert sorted(type(o).__name__ for o in outcomes) == ["FindingState", "StaleFindingError"]
    winner = next(o for o in outcomes if not isinstance(o, Exception))
    loser = next(o for o in outcomes if isinstance(o, Exception))
    assert winner.updated_by in str(loser)
    assert len(events(checked, record_id)) == 1


# --- findings follow the record id, not the row ---------------------------------------------------
def test_findings_survive_a_reimport_because_they_key_on_the_record_id(checked, extract_file, tmp_path):
    labels = Labels(checked)
    record_id, _rules = flagged_record(checked)
    old_row = reviews.search_id_for(checked, labels, record_id)
    RecordFinding(checked, record_id, "supervisor", supervisor(), who="Sgt Adams").do()

    # the same file again: nothing new, and the finding is still on the record
    report = import_paths(checked, extract_file)
    assert report.imported == 0
    assert reviews.search_id_for(checked, labels, record_id) == old_row

    # a rebuilt database: every record deleted and imported again, after another file took the first ids
    with checked.begin() as connection:
        connection.execute(delete(search))
    other = tmp_path / "2025-01-metropolitan-stop-and-search.csv"
    other.write_text(archive_csv(*[f"Person search,2025-01-0{d}T10:00:00+00:00,,,51.5,-0.1,Male,10-17,,Black,"
                                   "Misuse of Drugs Act 1971 (section 23),Controlled drugs,"
                                   "A no further action disposal,False," for d in range(1, 8)]), encoding="utf-8")
    import_paths(checked, other)
    import_paths(checked, extract_file)
    run_check(checked, run_by="tester")
    labels.refresh()
    new_row = reviews.search_id_for(checked, labels, record_id)
    assert new_row is not None and new_row != old_row
    assert reviews.record_id_for(checked, labels, new_row) == record_id
    state = reviews.findings_for_record(checked, record_id)["supervisor"]
    assert state.fields["outcome"] == "words_of_advice" and state.updated_by == "Sgt Adams"
    assert reviews.queue_rows(checked, labels, [new_row])[new_row].supervisor_outcome == "Words of advice"


def test_police_uk_record_ids_resolve_to_their_rows(engine, tmp_path):
    path = tmp_path / "2025-01-metropolitan-stop-and-search.csv"
    path.write_text(archive_csv(
        "Person search,2025-01-03T10:00:00+00:00,,,51.5,-0.1,Male,10-17,,Black,Misuse of Drugs Act 1971 (section 23),"
        "Controlled drugs,A no further action disposal,False,",
        "Person search,2025-01-03T10:00:00+00:00,,,51.5,-0.1,Male,10-17,,Black,Misuse of Drugs Act 1971 (section 23),"
        "Controlled drugs,A no further action disposal,False,"), encoding="utf-8")
    import_paths(engine, path)
    labels = Labels(engine)
    with engine.connect() as connection:
        ids = connection.execute(select(search.c.id).order_by(search.c.id)).scalars().all()
    record_ids = [reviews.record_id_for(engine, labels, i) for i in ids]
    assert record_ids[0].startswith("metropolitan-2025-01-") and record_ids[0].endswith("-0")
    assert record_ids[1].endswith("-1")
    assert reviews.search_ids_for(engine, labels, record_ids + ["metropolitan-2025-01-zz-0", "nope"]) == dict(
        zip(record_ids, ids))


# --- the review queue -----------------------------------------------------------------------------
def test_the_queue_lists_flagged_children_most_urgent_first_and_filters(checked):
    labels = Labels(checked)
    ids = reviews.queue_ids(checked, labels)
    rows = reviews.queue_rows(checked, labels, ids)
    assert len(ids) > 20
    priorities = [rows[int(i)].priority for i in ids]
    assert priorities == sorted(priorities, reverse=True) and min(priorities) > 0
    assert all(rows[int(i)].findings.startswith(("✗", "?")) for i in ids)
    with checked.connect() as connection:
        children = set(connection.execute(select(search.c.id).where(
            search.c.child_status_id.in_(labels.ids("child_status", ("child",))))).scalars())
    assert set(int(i) for i in ids) <= children

    choices = reviews.queue_choices(checked, labels)
    assert "G3" in choices["rules"] and choices["stations"] and choices["months"]
    by_rule = reviews.queue_ids(checked, labels, reviews.QueueFilter(rule="G3"))
    assert 0 < len(by_rule) < len(ids)
    for search_id in by_rule:
        verdict = {v.rule_id: v.verdict for v in reviews.record_verdicts(checked, int(search_id))}["G3"]
        assert verdict in (Verdict.FAIL, Verdict.REVIEW)
    station = choices["stations"][0]
    by_station = reviews.queue_ids(checked, labels, reviews.QueueFilter(station=station))
    assert 0 < len(by_station) < len(ids)
    assert {reviews.queue_rows(checked, labels, by_station)[int(i)].station for i in by_station} == {station}
    month = choices["months"][0]
    by_month = reviews.queue_ids(checked, labels, reviews.QueueFilter.of_month(month))
    assert {rows[int(i)].month for i in by_month} == {month}


# --- samples and the exported audit trail ---------------------------------------------------------
def test_samples_are_saved_with_unique_names_and_reload_identically(checked):
    labels = Labels(checked)
    drawn = reviews.preview_sample(checked, labels, 8, 11, review.DEFAULT_SAMPLE_SELECTION)
    assert drawn.drawn == 8 and drawn.always_included > 0
    saved = reviews.save_sample(checked, drawn, "March panel", created_by="Sgt Adams")
    assert saved.record_ids == list(drawn.record_ids)
    assert [m.reason for m in saved.members] == [drawn.reasons[r] for r in drawn.record_ids]
    again = reviews.preview_sample(checked, labels, 8, 11, review.DEFAULT_SAMPLE_SELECTION)
    assert again.record_ids == drawn.record_ids
    with pytest.raises(reviews.SampleNameTaken):
        reviews.save_sample(checked, again, "March panel", created_by="Sgt Adams")
    listed = reviews.list_samples(checked)
    assert [(s.name, s.size, s.always_included, s.seed) for s in listed] == [
        ("March panel", len(drawn.record_ids), drawn.always_included, 11)]
    assert reviews.load_sample(checked, "March panel").filters == review.DEFAULT_SAMPLE_SELECTION


def test_the_audit_trail_exports_as_csv(checked, tmp_path):
    record_id, _rules = flagged_record(checked)
    RecordFinding(checked, record_id, "supervisor", supervisor(note="=HYPERLINK(\"http://x\")"), who="Sgt Adams").do()
    path = tmp_path / "audit.csv"
    assert reviews.export_audit_csv(checked, path, record_id) == 1
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert rows[0]["record_id"] == record_id and rows[0]["action"] == "create" and rows[0]["who"] == "Sgt Adams"
    assert '\\"=HYPERLINK' in rows[0]["after"] or '"=HYPERLINK' in rows[0]["after"]
