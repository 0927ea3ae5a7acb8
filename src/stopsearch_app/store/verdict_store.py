"""Storing a charter run's verdicts, part by part, inside the run's one transaction.

A run over every record is checked in parts (``store/checks.py``) so no process holds ten million
records at once; each part's verdicts are written as soon as it is checked, and the transaction
commits only after the last part, so a killed check leaves the previous run's verdicts as they were.
Reason texts get one code per rule for the whole run: each part's reasons are a Categorical of
their own, so its codes are mapped through the texts the run has seen so far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
from sqlalchemy import Connection, delete

from stopsearch_app.domain.charter.engine import CheckResult
from stopsearch_app.domain.charter.ruleset import RuleSet
from stopsearch_app.domain.charter.verdicts import Verdict
from stopsearch_app.io.errors import ImportCancelled
from stopsearch_app.store.schema import check_reason, record_check

INSERT_ROWS = 50_000
VERDICT_ROWS_PER_STATEMENT = 20
REBUILD_INDEX_ABOVE = 100_000
SEVERITY_RANK = {"critical": 4, "high": 3, "medium": 2, "low": 1}


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


class VerdictWriter:
    """Writes one run's verdict rows; ``finish`` adds the reason texts and, for a run over every
    record, removes rows left by older runs and rebuilds the priority index."""

    def __init__(self, connection: Connection, run_id: int, ruleset: RuleSet, pack_order: Sequence[str], *,
                 replace_all: bool, expected: int) -> None:
        self._connection = connection
        self._run_id = int(run_id)
        self._ruleset = ruleset
        self._pack_order = tuple(pack_order)
        self._replace_all = replace_all
        self._texts: dict[str, dict[str, int]] = {rule_id: {} for rule_id in self._pack_order}
        # Every verdict replaced: the priority index is built once after the rows rather than kept up
        # to date row by row (random inserts into a B-tree; measured in bench.bench_check_store).
        self._index = next(index for index in record_check.indexes if index.name == "ix_record_check_priority")
        self._rebuild_index = replace_all and expected > REBUILD_INDEX_ABOVE
        if self._rebuild_index:
            self._index.drop(connection)

    def _reason_codes(self, result: CheckResult) -> np.ndarray:
        """(records x rules of the pack order) run-wide reason codes as little-endian uint16."""
        columns = []
        for rule_id in self._pack_order:
            if rule_id not in result.reasons:  # a disabled rule: no reason
                columns.append(np.zeros(len(result), dtype="<u2"))
                continue
            reasons = result.reasons[rule_id]
            known = self._texts[rule_id]
            table = np.array([known.setdefault(str(text), len(known)) for text in reasons.categories] + [0],
                             dtype="<u2")
            columns.append(table[reasons.codes])  # code -1 (no reason) takes the last entry, 0
        if not columns:
            return np.zeros((len(result), 0), dtype="<u2")
        return np.ascontiguousarray(np.column_stack(columns))

    def write(self, result: CheckResult, is_cancelled: Callable[[], bool] | None = None) -> None:
        count = len(result)
        if not count:
            return
        codes = self._reason_codes(result)
        # Each row's reason codes as one bytes object, made by numpy (a void view keeps trailing zero bytes).
        blobs = (codes.view(f"V{codes.shape[1] * 2}").ravel().astype(object) if codes.shape[1]
                 else np.full(count, b"", dtype=object))
        ids = result.verdicts.index.to_numpy(dtype=np.int64)
        if not self._replace_all:
            search_ids = ids.tolist()
            for start in range(0, len(search_ids), 500):
                self._connection.execute(delete(record_check).where(
                    record_check.c.search_id.in_(search_ids[start:start + 500])))
        columns = [ids.astype(object), result.packed().to_numpy(dtype=object), blobs,
                   review_priority(result, self._ruleset).astype(object)]
        _insert_verdict_rows(self._connection, self._run_id, columns, is_cancelled, replace=self._replace_all)

    def finish(self) -> None:
        rows = [{"run_id": self._run_id, "rule_id": rule_id, "code": code, "text": text}
                for rule_id, texts in self._texts.items() for text, code in texts.items()]
        if rows:
            self._connection.execute(check_reason.insert(), rows)
        if self._replace_all:
            # An UPSERT instead of deleting every row first: SQLite cannot truncate a table with a foreign
            # key, so the DELETE visited every row (4 s per million, measured); records never disappear,
            # so this removes nothing in practice but keeps "one run's verdicts" exact.
            self._connection.execute(delete(record_check).where(record_check.c.run_id != self._run_id))
        if self._rebuild_index:
            self._index.create(self._connection)


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
