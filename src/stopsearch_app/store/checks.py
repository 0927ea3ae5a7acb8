"""Running the charter rules over stored records and keeping their verdicts (shared/spec/charter-rules.md).

A run checks every stored record (or a filtered set) with one rule set and replaces their previous
verdicts in one transaction; the run row keeps the rule set as it was (ID, version, hash and every
rule's metadata), so a supervisor can see exactly what checked a record.

A run over every record goes in parts, so memory stays bounded at ten million records: the rules that
compare records with each other (K2 repeat searches, G5 copied grounds) group only records that record
the fields they group on (``domain.charter.grouping_fields``: a person reference, grounds), which
police.uk sources never carry. So every batch whose source may carry them (the local extracts) is
checked in one part, and the police.uk batches in parts of at most ``PART_RECORDS`` records (a big
batch split by record id). Each part's verdicts are stored as soon as it is checked, inside the run's
one transaction (``store/verdict_store.py``). A police.uk part is checked in slices of
``SLICE_RECORDS``: while the rules check one slice, SQLite stores the previous one on the writer's
thread (1M records: 5.1 s -> 4.4 s in one process, measured).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, func, select, update

from stopsearch_app.domain.charter.engine import (CheckResult, check, grouping_fields, unpack_concatenated,
                                                  unpack_verdicts)
from stopsearch_app.domain.charter.ruleset import RuleSet, default_ruleset
from stopsearch_app.domain.charter.verdicts import VERDICT_KEYS, Verdict
from stopsearch_app.domain.records import PUBLIC_FIELDS, SourceFormat
from stopsearch_app.io.errors import ImportCancelled
from stopsearch_app.store import columnar
from stopsearch_app.store.database import begin_writing_checked_ids
from stopsearch_app.store.frames import load_records, local_fields_by_batch
from stopsearch_app.store.queries import Labels, RecordQuery, where_clause
from stopsearch_app.store.schema import check_reason, check_run, import_batch, record_check, search
from stopsearch_app.store.verdict_store import SEVERITY_RANK, VerdictWriter, reason_codes_of, review_priority

PART_RECORDS = 1_000_000
# A part of police.uk records is checked in slices of this many, so SQLite stores one slice's verdicts
# (on the writer's thread) while the rules check the next. Nothing overlaps the last slice's store:
# 250,000 -> 100,000 took `stopsearch check` of 1M records from a median 2.70 s to 2.29 s (five runs
# each, alternated); 50,000 lost again to the costs of each slice (2.44 s).
SLICE_RECORDS = 100_000
Progress = Callable[[int, int, str], None]
PartCallback = Callable[[CheckResult, pd.DataFrame], None]


@dataclass(frozen=True)
class CheckPart:
    """Records of these import batches, with ids in ``id_range`` when a batch is split."""
    batch_ids: tuple[int, ...]
    records: int
    id_range: tuple[int, int] | None = None
    linked: bool = True  # the rules may compare any two of its records: never checked in slices


@dataclass
class CheckRunSummary:
    run_id: int
    ruleset: RuleSet
    records_checked: int
    children: int
    seconds: float
    assessable_rules: list[str]
    pack_order: tuple[str, ...]
    parts: int
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # per rule, per verdict key
    child_counts: dict[str, dict[str, int]] = field(default_factory=dict)  # the same, children only

    def rules_json(self, children_only: bool = False) -> dict[str, dict[str, int]]:
        return self.child_counts if children_only else self.counts

    def as_json(self, children_only: bool = False) -> dict:
        return {"ruleset": self.ruleset.id, "ruleset_version": self.ruleset.version, "run_id": self.run_id,
                "records_checked": self.records_checked, "children": self.children,
                "children_only": children_only, "assessable_rules": self.assessable_rules,
                "rules": self.rules_json(children_only)}


class _Tally:
    """The run's figures, added up part by part (what ``CheckResult.summary`` gives for one frame)."""

    def __init__(self) -> None:
        self.counts: dict[str, np.ndarray] = {}
        self.child_counts: dict[str, np.ndarray] = {}
        self.assessable: dict[str, int] = {}
        self.rule_ids: tuple[str, ...] = ()
        self.records = 0
        self.children = 0

    def add(self, result: CheckResult) -> None:
        self.rule_ids = result.rule_ids
        child = (result.child_status == "child").to_numpy()
        self.records += len(result)
        self.children += int(child.sum())
        counts, child_counts = result.code_counts(), result.code_counts(child)
        assessable = result.coverage["assessable"]
        for row, rule_id in enumerate(result.rule_ids):
            self.counts[rule_id] = self.counts.get(rule_id, 0) + counts[row]
            self.child_counts[rule_id] = self.child_counts.get(rule_id, 0) + child_counts[row]
            self.assessable[rule_id] = self.assessable.get(rule_id, 0) + int(assessable.at[rule_id])

    def as_dict(self, counts: dict[str, np.ndarray]) -> dict[str, dict[str, int]]:
        return {rule_id: {key: int(counts[rule_id][int(Verdict.from_key(key))]) if rule_id in counts else 0
                          for key in VERDICT_KEYS} for rule_id in self.rule_ids}


def plan_parts(connection: Connection, ruleset: RuleSet, part_records: int = PART_RECORDS) -> list[CheckPart]:
    """Every stored record in parts that no cross-record rule needs to see together (module docstring)."""
    batches = connection.execute(select(import_batch.c.id, import_batch.c.format, import_batch.c.imported)
                                 .where(import_batch.c.imported > 0).order_by(import_batch.c.id)).all()
    if grouping_fields(ruleset) & PUBLIC_FIELDS:  # a public field links records: one part
        return [CheckPart(tuple(row.id for row in batches), sum(row.imported for row in batches))]
    public = {source.value for source in SourceFormat if source.is_public}
    linked = [row for row in batches if row.format not in public]
    parts = [CheckPart(tuple(row.id for row in linked), sum(row.imported for row in linked))] if linked else []
    current: list[int] = []
    size = 0
    for row in batches:
        if row.format not in public:
            continue
        if row.imported > part_records:
            parts.extend(_split(connection, row.id, part_records))
            continue
        if current and size + row.imported > part_records:
            parts.append(CheckPart(tuple(current), size, linked=False))
            current, size = [], 0
        current.append(row.id)
        size += row.imported
    if current:
        parts.append(CheckPart(tuple(current), size, linked=False))
    return parts


def _split(connection: Connection, batch_id: int, part_records: int) -> list[CheckPart]:
    """A batch bigger than a part, in id ranges of ``part_records`` records (ids from the columnar copy)."""
    ids = columnar.stored_table(connection, ["search_id"], [batch_id]).column("search_id").to_numpy()
    return [CheckPart((batch_id,), len(ids[start:start + part_records]),
                      (int(ids[start]), int(ids[min(start + part_records, len(ids)) - 1])), linked=False)
            for start in range(0, len(ids), part_records)]


def run_check(engine: Engine, ruleset: RuleSet | None = None, record_query: RecordQuery | None = None, *,
              run_by: str, progress: Progress | None = None, is_cancelled: Callable[[], bool] | None = None,
              on_part: PartCallback | None = None, part_records: int = PART_RECORDS) -> CheckRunSummary:
    """Check the records and store the verdicts (one transaction); returns the run's figures.
    ``on_part(result, records)`` sees each part's verdicts and records (the CLI's ``--out`` file)."""
    ruleset = ruleset or default_ruleset()
    started = datetime.now(UTC)
    labels = Labels(engine)
    everything = record_query is None or record_query == RecordQuery()
    tally = _Tally()
    with begin_writing_checked_ids(engine) as connection:
        local_fields = local_fields_by_batch(connection)
        parts = plan_parts(connection, ruleset, part_records) if everything else []
        total = sum(part.records for part in parts)
        run_id = connection.execute(check_run.insert().values(
            ruleset_id=ruleset.id, ruleset_version=ruleset.version, ruleset_hash=ruleset.content_hash,
            ruleset_json=json.dumps(ruleset.as_data(), default=str), rule_order=",".join(ruleset.rule_ids),
            run_by=run_by, started_at=started, seconds=0.0, records_checked=0,
            assessable_rules="[]")).inserted_primary_key[0]
        writer = VerdictWriter(connection, run_id, ruleset, ruleset.rule_ids, replace_all=everything, expected=total)
        steps = 2 * max(len(parts), 1) + 1
        with writer:
            for index, part in enumerate(parts or [None]):
                if progress:
                    progress(2 * index, steps, f"loading records (part {index + 1} of {max(len(parts), 1)})"
                             if len(parts) > 1 else "loading records")
                writer.wait()  # the connection is the writer's until its last write is stored
                if part is None:
                    records = load_records(connection, None if everything else record_query, labels,
                                           batch_ids=() if everything else None)
                else:
                    records = load_records(connection, None, labels, part.batch_ids, part.id_range)
                records = records.set_index("search_id", drop=False)
                writer.clear()  # the previous verdicts go while the first records are checked
                if progress:
                    progress(2 * index + 1, steps, f"checking {len(records):,} records against "
                             f"{len(ruleset.enabled_rules)} rules and storing their verdicts")
                sliced = part is not None and not part.linked
                # At least one pass, also over no records: the run's figures still list every rule.
                for start in range(0, max(len(records), 1), SLICE_RECORDS if sliced else max(len(records), 1)):
                    piece = records.iloc[start:start + SLICE_RECORDS] if sliced else records
                    result = check(piece, ruleset, local_fields)
                    if is_cancelled and is_cancelled():
                        raise ImportCancelled("check")
                    writer.write(result, is_cancelled)
                    tally.add(result)
                    if on_part:
                        on_part(result, piece)
                    del piece, result
                del records
            writer.finish()
        seconds = (datetime.now(UTC) - started).total_seconds()
        assessable = [rule_id for rule_id in tally.rule_ids if tally.assessable.get(rule_id, 0) > 0]
        connection.execute(update(check_run).where(check_run.c.id == run_id).values(
            seconds=seconds, records_checked=tally.records, assessable_rules=json.dumps(assessable)))
    if progress:
        progress(steps, steps, "done")
    return CheckRunSummary(run_id, ruleset, tally.records, tally.children, seconds, assessable, ruleset.rule_ids,
                           len(parts), tally.as_dict(tally.counts), tally.as_dict(tally.child_counts))


# --- reading verdicts back -------------------------------------------------------------------------

@dataclass(frozen=True)
class RuleVerdict:
    rule_id: str
    title: str
    category: str
    basis: str
    citation: str
    severity: str
    verdict: Verdict | None  # None: the rule was not run (disabled)
    reason: str


def latest_run(engine: Engine) -> dict | None:
    with engine.connect() as connection:
        row = connection.execute(select(check_run).order_by(check_run.c.id.desc()).limit(1)).mappings().first()
    return dict(row) if row else None


def record_verdicts(engine: Engine, search_id: int) -> list[RuleVerdict]:
    """Every rule's verdict and reason for one record, with the rule's metadata as it was when checked."""
    with engine.connect() as connection:
        row = connection.execute(select(record_check).where(record_check.c.search_id == search_id)).mappings().first()
        if row is None:
            return []
        run = connection.execute(select(check_run).where(check_run.c.id == row["run_id"])).mappings().one()
        reasons = {(r.rule_id, r.code): r.text for r in connection.execute(
            select(check_reason).where(check_reason.c.run_id == row["run_id"]))}
    order = run["rule_order"].split(",")
    rules = {rule["id"]: rule for rule in json.loads(run["ruleset_json"]).get("rules", [])}
    codes = reason_codes_of(row["reason_codes"], len(order))
    out = []
    for position, rule_id in enumerate(order):
        char = row["verdicts"][position]
        verdict = None if char == "-" else next((v for v in Verdict if v.char == char), None)
        meta = rules.get(rule_id, {})
        basis = "law" if meta.get("promote_to_law") else meta.get("basis", "")
        out.append(RuleVerdict(rule_id, meta.get("title", ""), meta.get("category", ""), basis, meta.get("citation", ""),
                               meta.get("severity", ""), verdict,
                               reasons.get((rule_id, int(codes[position])), "") if verdict else "rule disabled"))
    return out


COUNT_BLOCK_ROWS = 200_000


def verdict_counts(engine: Engine, record_query: RecordQuery | None = None,
                   labels: Labels | None = None) -> pd.DataFrame:
    """Per rule (rows, in rule order) the count of each verdict (columns) over the filtered records.
    The database joins each block of ``COUNT_BLOCK_ROWS`` record ids' packed strings into one string
    (``group_concat`` / ``string_agg``), so Python never holds a row per record: at ten million
    records, rows read one by one made the garbage collector stall the UI thread 60-130 ms at a time
    (measured; a string per block, 7 ms) and a list of every string would hold ~1 GB."""
    labels = labels or Labels(engine)
    run = latest_run(engine)
    if run is None:
        return pd.DataFrame(columns=list(VERDICT_KEYS))
    order = run["rule_order"].split(",")
    conditions = where_clause(record_query or RecordQuery(), labels)
    query = select(func.aggregate_strings(record_check.c.verdicts, "")).where(
        func.length(record_check.c.verdicts) == len(order))
    if conditions:  # without a filter, no join: every stored verdict row is a record's
        query = query.select_from(record_check.join(search, search.c.id == record_check.c.search_id)).where(*conditions)
    codes_per_rule = len(Verdict) + 1
    totals = np.zeros(len(order) * codes_per_rule, dtype=np.int64)
    offsets = np.arange(len(order), dtype=np.int64) * codes_per_rule
    with engine.connect() as connection:
        first, last = connection.execute(select(func.min(record_check.c.search_id),
                                                func.max(record_check.c.search_id))).one()
        for start in range(first or 0, (last or -1) + 1, COUNT_BLOCK_ROWS):
            text = connection.execute(query.where(record_check.c.search_id >= start,
                                                  record_check.c.search_id < start + COUNT_BLOCK_ROWS)).scalar_one()
            if text:
                matrix = unpack_concatenated(text, len(order)).astype(np.int64)
                totals += np.bincount((matrix + offsets).ravel(), minlength=len(totals))
    by_rule = totals.reshape(len(order), codes_per_rule)
    counts = {key: by_rule[:, int(Verdict.from_key(key))] for key in VERDICT_KEYS}
    return pd.DataFrame(counts, index=order).astype(int)


def checked_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.execute(select(func.count()).select_from(record_check)).scalar_one())


def with_verdict(engine: Engine, record_query: RecordQuery, rule_id: str, verdict_key: str) -> RecordQuery:
    """The filter narrowed to records whose latest check gave ``verdict_key`` for ``rule_id``.
    Positions are resolved per run here, in Python, so the SQL stays portable (substr only)."""
    char = Verdict.from_key(verdict_key).char
    with engine.connect() as connection:
        runs = connection.execute(select(check_run.c.id, check_run.c.rule_order).where(
            check_run.c.id.in_(select(record_check.c.run_id).distinct()))).all()
    positions = tuple((run_id, order.split(",").index(rule_id) + 1, char)
                      for run_id, order in runs if rule_id in order.split(","))
    return record_query.with_(verdict_rule=rule_id, verdict_key=verdict_key, verdict_positions=positions)


def rule_orders(engine: Engine) -> dict[int, list[str]]:
    with engine.connect() as connection:
        return {run_id: order.split(",") for run_id, order in
                connection.execute(select(check_run.c.id, check_run.c.rule_order)).all()}


def findings_text(rule_order: list[str], packed: str) -> str:
    """'✗ S1 S5 · ? S4 K3': the rules a record fails, then those that need review. With none, it
    says how many rules could not be assessed, so a police.uk record never reads as compliant."""
    fails = [rule for rule, char in zip(rule_order, packed) if char == Verdict.FAIL.char]
    reviews = [rule for rule, char in zip(rule_order, packed) if char == Verdict.REVIEW.char]
    parts = []
    if fails:
        parts.append(f"{Verdict.FAIL.glyph} " + " ".join(fails))
    if reviews:
        parts.append(f"{Verdict.REVIEW.glyph} " + " ".join(reviews))
    if parts:
        return " · ".join(parts)
    unassessed = packed.count(Verdict.NOT_ASSESSABLE.char) + packed.count(Verdict.NOT_RECORDED.char)
    return "no findings" + (f" ({unassessed} rules not assessable or not recorded)" if unassessed else "")


def verdict_columns(engine: Engine, search_ids: np.ndarray) -> tuple[list[str], pd.DataFrame]:
    """(rule order of the latest run, DataFrame indexed by search id with one column of verdict keys per
    rule). Records checked by an older run are mapped through that run's own rule order."""
    run = latest_run(engine)
    order = run["rule_order"].split(",") if run else []
    out = pd.DataFrame(index=pd.Index(search_ids, name="search_id"), columns=order, dtype=object)
    if not order or not len(search_ids):
        return order, out
    keys = np.array([None] + [Verdict(code).key for code in range(1, len(Verdict) + 1)], dtype=object)
    orders = {run_id: ",".join(rule_ids) for run_id, rule_ids in rule_orders(engine).items()}
    with engine.connect() as connection:
        ids = [int(i) for i in search_ids]
        rows = []
        for start in range(0, len(ids), 900):
            rows.extend(connection.execute(select(record_check.c.search_id, record_check.c.run_id,
                                                  record_check.c.verdicts)
                                           .where(record_check.c.search_id.in_(ids[start:start + 900]))).all())
    checked = pd.DataFrame(rows, columns=["search_id", "run_id", "verdicts"])
    for run_id, group in checked.groupby("run_id"):
        run_order = orders[run_id].split(",")
        codes = unpack_verdicts(group["verdicts"].tolist(), run_order, index=pd.Index(group["search_id"]))
        for rule_id in order:
            if rule_id in codes:
                out.loc[codes.index, rule_id] = keys[codes[rule_id].to_numpy(dtype=np.int64)]
    return order, out
