"""Storing a charter run's verdicts, part by part, inside the run's one transaction.

A run over every record is checked in parts (``store/checks.py``) so no process holds ten million
records at once; each part's verdicts are written as soon as it is checked, and the transaction
commits only after the last part, so a killed check leaves the previous run's verdicts as they were.
Reason texts get one code per rule for the whole run: each part's reasons are a Categorical of
their own, so its codes are mapped through the texts the run has seen so far.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor

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
BULK_ROWS = 100_000
PRIORITY_OFFSET = 48  # SQLite bulk path: a priority travels as the ASCII byte '0' + priority
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
    record, rebuilds the priority index. A run over every record empties the table first and then
    appends in record order: with SQLite's parent lookups off for the run's transaction
    (``database.begin_writing_checked_ids``) the DELETE is a truncate, and appending costs half of
    updating each row in place (an UPSERT, measured 2.6-3.4 s against 1.6 s per million).

    On SQLite a write runs on a thread of its own while the caller checks the next records: the
    statement runs in SQLite with the GIL released. Only that thread uses the connection until
    ``wait`` (which ``write``, ``finish`` and ``close`` call first); use the writer as a context
    manager so the thread is done before the transaction ends, also when the run fails."""

    def __init__(self, connection: Connection, run_id: int, ruleset: RuleSet, pack_order: Sequence[str], *,
                 replace_all: bool, expected: int) -> None:
        self._connection = connection
        self._run_id = int(run_id)
        self._ruleset = ruleset
        self._pack_order = tuple(pack_order)
        self._replace_all = replace_all
        self._texts: dict[str, dict[str, int]] = {rule_id: {} for rule_id in self._pack_order}
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="verdicts")
        self._pending: Future | None = None
        # Every verdict replaced: the priority index is built once after the rows rather than kept up
        # to date row by row (random inserts into a B-tree; measured in bench.bench_check_store).
        self._index = next(index for index in record_check.indexes if index.name == "ix_record_check_priority")
        self._rebuild_index = replace_all and expected > REBUILD_INDEX_ABOVE
        self._to_clear = replace_all
        if connection.dialect.name != "sqlite":
            self.clear()

    def clear(self) -> None:
        """Empty the verdict table for a run that replaces them all (once; ``write`` and ``finish``
        call it too). On SQLite the DELETE runs on the writer thread, so the caller may check the
        first records meanwhile: 0.2-0.3 s of every million rows (bench.bench_scale)."""
        if not self._to_clear:
            return
        self._to_clear = False
        if self._connection.dialect.name == "sqlite":
            self.wait()
            self._pending = self._thread.submit(_clear_sqlite, self._connection,
                                                self._index.name if self._rebuild_index else None)
            return
        if self._rebuild_index:
            self._index.drop(self._connection)
        self._connection.execute(delete(record_check))

    def _reason_codes(self, result: CheckResult) -> np.ndarray:
        """(records x rules of the pack order) run-wide reason codes: uint8 when every code of the
        slice fits in a byte, else little-endian uint16."""
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
        codes = np.column_stack(columns)
        # One byte per rule when every code of this slice fits: a third less to write per row
        # (readers tell the width from the blob's length; older rows are two bytes per rule).
        return np.ascontiguousarray(codes.astype(np.uint8) if int(codes.max(initial=0)) < 256 else codes)

    def __enter__(self) -> VerdictWriter:
        return self

    def __exit__(self, *_exc) -> None:
        self.close()

    def wait(self) -> None:
        """Until the write in progress is stored; raises what it raised."""
        pending, self._pending = self._pending, None
        if pending is not None:
            pending.result()

    def close(self) -> None:
        if self._pending is not None:
            self._pending.exception()  # done, whatever happened; the caller is already raising if it failed
            self._pending = None
        self._thread.shutdown()

    def write(self, result: CheckResult, is_cancelled: Callable[[], bool] | None = None) -> None:
        count = len(result)
        if not count:
            return
        self.clear()
        codes = self._reason_codes(result)
        ids = result.verdicts.index.to_numpy(dtype=np.int64)
        self.wait()
        if not self._replace_all:
            search_ids = ids.tolist()
            for start in range(0, len(search_ids), 500):
                self._connection.execute(delete(record_check).where(
                    record_check.c.search_id.in_(search_ids[start:start + 500])))
        priority = review_priority(result, self._ruleset)
        if _sqlite_bulk_fits(self._connection, codes, priority):
            self._pending = self._thread.submit(_insert_sqlite, self._connection, self._run_id, ids,
                                                result.packed_chars(), codes, priority, is_cancelled)
            return
        # Each row's reason codes as one bytes object, made by numpy (a void view keeps trailing zero bytes).
        blobs = (codes.view(f"V{codes.shape[1] * codes.itemsize}").ravel().astype(object) if codes.shape[1]
                 else np.full(count, b"", dtype=object))
        columns = [ids.astype(object), result.packed().to_numpy(dtype=object), blobs, priority.astype(object)]
        _insert_verdict_rows(self._connection, self._run_id, columns, is_cancelled)

    def finish(self) -> None:
        self.clear()
        self.wait()
        rows = [{"run_id": self._run_id, "rule_id": rule_id, "code": code, "text": text}
                for rule_id, texts in self._texts.items() for text, code in texts.items()]
        if rows:
            self._connection.execute(check_reason.insert(), rows)
        if self._rebuild_index:
            self._index.create(self._connection)


def _clear_sqlite(connection: Connection, drop_index: str | None) -> None:
    """The DELETE (a truncate: the run's parent lookups are off) through the driver's own cursor, on
    the writer thread: only that thread uses the connection until ``wait``."""
    cursor = connection.connection.cursor()
    try:
        if drop_index:
            cursor.execute(f'DROP INDEX "{drop_index}"')
        cursor.execute("DELETE FROM record_check")
    finally:
        cursor.close()


def reason_codes_of(blob: bytes, rules: int) -> np.ndarray:
    """A stored row's reason code per rule: one byte each, or (rows from before, or a slice with a
    code past 255) two bytes little-endian."""
    return np.frombuffer(blob, dtype=np.uint8 if rules and len(blob) == rules else "<u2")


def _sqlite_bulk_fits(connection: Connection, codes: np.ndarray, priority: np.ndarray) -> bool:
    """The bulk path needs SQLite, at least one rule (an empty blob binds as NULL) and priorities
    that are one ASCII byte from '0'."""
    return (connection.dialect.name == "sqlite" and codes.shape[1] > 0
            and 0 <= int(priority.min()) and int(priority.max()) < 128 - PRIORITY_OFFSET)


def _insert_sqlite(connection: Connection, run_id: int, ids: np.ndarray, chars: np.ndarray, codes: np.ndarray,
                   priority: np.ndarray, is_cancelled: Callable[[], bool] | None) -> None:
    """Rows written by SQLite itself from four bound byte strings per ``BULK_ROWS`` rows: the ids as
    fixed-width digits, the packed verdicts, the reason codes and the priority as one ASCII byte
    each, cut per row with ``substr`` over a recursive row counter. No Python object is made per
    row, and the driver releases the GIL while the statement runs (measured in bench.bench_scale)."""
    width, code_width = chars.shape[1], codes.shape[1] * codes.itemsize
    digits = len(str(int(ids.max())))
    powers = 10 ** np.arange(digits - 1, -1, -1, dtype=np.int64)
    # A blob's substr is cut by byte offset; a text's would walk the characters from the start.
    def statement(search_id: str) -> str:
        return ("WITH RECURSIVE row_number(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM row_number WHERE i < ?5 - 1) "
                "INSERT INTO record_check (search_id, run_id, verdicts, reason_codes, priority) "
                f"SELECT {search_id}, {int(run_id)}, "
                f"CAST(substr(?2, i * {width} + 1, {width}) AS TEXT), substr(?3, i * {code_width} + 1, {code_width}), "
                f"unicode(CAST(substr(?4, i + 1, 1) AS TEXT)) - {PRIORITY_OFFSET} FROM row_number")

    cut_ids = statement(f"CAST(substr(?1, i * {digits} + 1, {digits}) AS INTEGER)")
    # A block of consecutive ids (a police.uk part always is) binds its first id only: 0.4 s less of
    # SQLite's work per million rows than cutting each id out (measured).
    counted_ids = statement("?1 + i")
    cursor = connection.connection.cursor()
    try:
        for start in range(0, len(ids), BULK_ROWS):
            if is_cancelled and is_cancelled():
                raise ImportCancelled("check")
            end = min(start + BULK_ROWS, len(ids))
            block = ids[start:end]
            if int(block[-1]) - int(block[0]) == len(block) - 1 and bool((np.diff(block) == 1).all()):
                sql, bound_ids = counted_ids, int(block[0])
            else:
                sql, bound_ids = cut_ids, ((block[:, None] // powers) % 10 + ord("0")).astype(np.uint8).tobytes()
            cursor.execute(sql, (bound_ids, chars[start:end].tobytes(), codes[start:end].tobytes(),
                                 (priority[start:end] + PRIORITY_OFFSET).astype(np.uint8).tobytes(), end - start))
    finally:
        cursor.close()


def _insert_verdict_rows(connection: Connection, run_id: int, columns: list[np.ndarray],
                         is_cancelled: Callable[[], bool] | None) -> None:
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
    many = head + ", ".join([row] * per)
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
                cursor.executemany(head + row, block[whole:].tolist())
    finally:
        cursor.close()
