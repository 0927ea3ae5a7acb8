"""Running the charter rules over stored records and keeping their verdicts (shared/spec/charter-rules.md).

A run checks every stored record (or a filtered set) with one rule set and replaces their previous
verdicts in one transaction; the run row keeps the rule set as it was (ID, version, hash and every
rule's metadata), so a supervisor can see exactly what checked a record.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, delete, func, select

from stopsearch_app.domain.charter.engine import CheckResult, check, unpack_verdicts
from stopsearch_app.domain.charter.ruleset import RuleSet, default_ruleset
from stopsearch_app.domain.charter.verdicts import VERDICT_KEYS, Verdict
from stopsearch_app.io.errors import ImportCancelled
from stopsearch_app.store.frames import load_records, local_fields_by_batch
from stopsearch_app.store.queries import Labels, RecordQuery, where_clause
from stopsearch_app.store.schema import check_reason, check_run, record_check, search

SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}
INSERT_ROWS = 50_000
Progress = Callable[[int, int, str], None]


@dataclass
class CheckRunSummary:
    run_id: int
    ruleset: RuleSet
    records_checked: int
    children: int
    seconds: float
    assessable_rules: list[str]
    result: CheckResult  # verdicts indexed by search id
    records: pd.DataFrame  # the records checked (search_id, identity columns, ...)

    def rules_json(self, children_only: bool = False) -> dict[str, dict[str, int]]:
        mask = (self.result.child_status == "child").to_numpy() if children_only else None
        return self.result.summary(mask)

    def as_json(self, children_only: bool = False) -> dict:
        return {"ruleset": self.ruleset.id, "ruleset_version": self.ruleset.version, "run_id": self.run_id,
                "records_checked": self.records_checked, "children": self.children,
                "children_only": children_only, "assessable_rules": self.assessable_rules,
                "rules": self.rules_json(children_only)}


def review_priority(result: CheckResult, ruleset: RuleSet) -> np.ndarray:
    """0 when nothing needs a person; otherwise higher first. Strip-search (S) and legal-basis (L)
    fails lead, then other fails, then reviews, each ordered by the rule's severity."""
    priority = np.zeros(len(result), dtype=np.int16)
    for rule_id in result.rule_ids:
        rule = ruleset.rule(rule_id)
        codes = result.verdicts[rule_id].to_numpy()
        severity = SEVERITY_RANK.get(rule.severity, 1)
        fail_score = severity + (30 if rule_id[0] in "SL" else 20)
        review_score = severity + 10
        score = np.where(codes == int(Verdict.FAIL), fail_score, np.where(codes == int(Verdict.REVIEW), review_score, 0))
        np.maximum(priority, score, out=priority)
    return priority


def run_check(engine: Engine, ruleset: RuleSet | None = None, record_query: RecordQuery | None = None, *,
              run_by: str, progress: Progress | None = None,
              is_cancelled: Callable[[], bool] | None = None) -> CheckRunSummary:
    """Check the records and store the verdicts (one transaction); returns the run and its result."""
    ruleset = ruleset or default_ruleset()
    started = datetime.now(UTC)
    if progress:
        progress(0, 3, "loading records")
    labels = Labels(engine)
    records = load_records(engine, record_query, labels).set_index("search_id", drop=False)
    if progress:
        progress(1, 3, f"checking {len(records):,} records against {len(ruleset.enabled_rules)} rules")
    result = check(records, ruleset, local_fields_by_batch(engine))
    if is_cancelled and is_cancelled():
        raise ImportCancelled("check")
    if progress:
        progress(2, 3, f"storing {len(records):,} verdicts")
    seconds = (datetime.now(UTC) - started).total_seconds()
    assessable = result.assessable_rules()
    with engine.begin() as connection:
        run_id = connection.execute(check_run.insert().values(
            ruleset_id=ruleset.id, ruleset_version=ruleset.version, ruleset_hash=ruleset.content_hash,
            ruleset_json=json.dumps(ruleset.as_data(), default=str), rule_order=",".join(result.pack_order),
            run_by=run_by, started_at=started, seconds=seconds, records_checked=len(records),
            assessable_rules=json.dumps(assessable))).inserted_primary_key[0]
        _store_verdicts(connection, run_id, result, ruleset, record_query is None, is_cancelled)
    if progress:
        progress(3, 3, "done")
    children = int((result.child_status == "child").sum())
    return CheckRunSummary(run_id, ruleset, len(records), children, seconds, assessable, result, records)


def _store_verdicts(connection: Connection, run_id: int, result: CheckResult, ruleset: RuleSet, everything: bool,
                    is_cancelled: Callable[[], bool] | None) -> None:
    reason_rows = []
    code_columns = []
    for rule_id in result.pack_order:
        if rule_id in result.reasons:
            reasons = result.reasons[rule_id]
            reason_rows.extend({"run_id": run_id, "rule_id": rule_id, "code": code, "text": str(text)}
                               for code, text in enumerate(reasons.categories))
            code_columns.append(np.asarray(reasons.codes, dtype=np.int32).clip(min=0).astype("<u2"))
        else:  # a disabled rule: no reason
            code_columns.append(np.zeros(len(result), dtype="<u2"))
    if reason_rows:
        connection.execute(check_reason.insert(), reason_rows)
    codes = np.ascontiguousarray(np.column_stack(code_columns)) if code_columns else np.zeros((len(result), 0), "<u2")
    count = len(result)
    # Each row's reason codes as one bytes object, made by numpy (a void view keeps trailing zero bytes).
    blobs = (codes.view(f"V{codes.shape[1] * 2}").ravel().astype(object) if codes.shape[1]
             else np.full(count, b"", dtype=object))
    columns = [result.verdicts.index.to_numpy(dtype=np.int64).astype(object),
               result.packed().to_numpy(dtype=object), blobs, review_priority(result, ruleset).astype(object)]
    if everything:
        pass  # rows are replaced in place below, then the rows of other runs removed
    else:
        search_ids = columns[0].tolist()
        for start in range(0, len(search_ids), 500):
            connection.execute(delete(record_check).where(record_check.c.search_id.in_(search_ids[start:start + 500])))
    # Every verdict replaced: the priority index is built once after the rows rather than kept up to date
    # row by row (random inserts into a B-tree; measured in bench.bench_check_store).
    priority_index = next(index for index in record_check.indexes if index.name == "ix_record_check_priority")
    rebuild_index = everything and count > 100_000
    if rebuild_index:
        priority_index.drop(connection)
    _insert_verdict_rows(connection, run_id, columns, is_cancelled, replace=everything)
    if everything:
        # An UPSERT instead of deleting every row first: SQLite cannot truncate a table with a foreign
        # key, so the DELETE visited every row (4 s per million, measured); records never disappear,
        # so this removes nothing in practice but keeps "one run's verdicts" exact.
        connection.execute(delete(record_check).where(record_check.c.run_id != run_id))
    if rebuild_index:
        priority_index.create(connection)


VERDICT_ROWS_PER_STATEMENT = 20


def _insert_verdict_rows(connection: Connection, run_id: int, columns: list[np.ndarray],
                         is_cancelled: Callable[[], bool] | None, *, replace: bool = False) -> None:
    """Rows of (search id, packed verdicts, reason codes, priority), many rows per statement and the
    run id written once as a literal: fewer values for the driver to bind, which is what costs."""
    placeholder = "?" if connection.dialect.paramstyle in ("qmark", "numeric") else "%s"
    row = f"({placeholder}, {int(run_id)}, {placeholder}, {placeholder}, {placeholder})"
    head = "INSERT INTO record_check (search_id, run_id, verdicts, reason_codes, priority) VALUES "
    count = len(columns[0])
    table = np.empty((count, len(columns)), dtype=object)
    for position, column in enumerate(columns):
        table[:, position] = column
    per = VERDICT_ROWS_PER_STATEMENT
    # ON CONFLICT ... DO UPDATE is the same SQL in SQLite (3.24+) and PostgreSQL.
    tail = (" ON CONFLICT (search_id) DO UPDATE SET run_id = excluded.run_id, verdicts = excluded.verdicts, "
            "reason_codes = excluded.reason_codes, priority = excluded.priority") if replace else ""
    many = head + ", ".join([row] * per) + tail
    cursor = connection.connection.cursor()
    try:
        for start in range(0, count, INSERT_ROWS):
            if is_cancelled and is_cancelled():
                raise ImportCancelled("check")
            block = table[start:min(start + INSERT_ROWS, count)]
            whole = len(block) - len(block) % per
            if whole:
                cursor.executemany(many, block[:whole].reshape(whole // per, -1).tolist())
            if whole < len(block):
                cursor.executemany(head + row + tail, block[whole:].tolist())
    finally:
        cursor.close()


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
    codes = np.frombuffer(row["reason_codes"], dtype="<u2")
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


def verdict_counts(engine: Engine, record_query: RecordQuery | None = None,
                   labels: Labels | None = None) -> pd.DataFrame:
    """Per rule (rows, in rule order) the count of each verdict (columns) over the filtered records."""
    labels = labels or Labels(engine)
    run = latest_run(engine)
    if run is None:
        return pd.DataFrame(columns=list(VERDICT_KEYS))
    order = run["rule_order"].split(",")
    query = (select(record_check.c.verdicts).join(search, search.c.id == record_check.c.search_id)
             .where(*where_clause(record_query or RecordQuery(), labels),
                    func.length(record_check.c.verdicts) == len(order)))
    with engine.connect() as connection:
        strings = connection.execute(query).scalars().all()
    matrix = unpack_verdicts(strings, order).to_numpy() if strings else np.zeros((0, len(order)), dtype=np.int8)
    counts = {key: [(matrix[:, i] == int(Verdict.from_key(key))).sum() for i in range(len(order))]
              for key in VERDICT_KEYS}
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
