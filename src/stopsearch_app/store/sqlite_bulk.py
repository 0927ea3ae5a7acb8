"""The SQLite insert of police.uk records with few bound values per row.

Measured on a million rows (bench.bench_scale): SQLite's own work for an ``INSERT ... SELECT`` of
the search table is ~2 s, while ``executemany`` of the same rows as 29 Python values each costs
~7.5 s: three quarters of the time is the driver converting and binding one Python value at a time.
So the small integers of a row (17 vocabulary ids, the booleans, the age, the occurrence and the
month, each stored +1 so that 0 means NULL) are packed into a few 63-bit integers, bound once and
taken apart by the statement itself (``(?3 >> 21) & 2097151``: a numbered parameter may be used any
number of times). Six values per row are bound instead of twenty-nine. What SQLite works out per
row is kept small too: a column with no blank in the chunk is stored without the +1 and ``NULLIF``,
and the month is a code into a literal of the chunk's months (``substr``) rather than a ``printf``.
The coordinates go in as whole millionths when that is exact (police.uk's six decimals), so every
bound value is an integer: the rows are then made by one int64 matrix's ``tolist()``, not an object
matrix (measured: 1M rows 7.9-8.6 s -> 5.4-5.5 s end to end). Cutting every value out of one
bound byte string per block with ``substr`` (as the verdict write does) was tried and lost: SQLite's
per-row ``CAST`` cost more than the binding it saved.
Bit shifts, ``&``, ``NULLIF`` and ``substr`` are SQLite SQL; PostgreSQL keeps the plain path in
``importer``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa

ROWS_PER_STATEMENT = 20
WORD_BITS = 63  # a non-negative signed 64-bit integer
NULL_MICRO = -(1 << 62)  # a bound micro-degree that stands for NULL: far outside any coordinate


class Column:
    """One stored column as a typed array and a validity mask (False: NULL)."""

    def __init__(self, values: np.ndarray, valid: np.ndarray | None = None) -> None:
        self.values = values
        self.valid = np.ones(len(values), dtype=bool) if valid is None else valid

    def __len__(self) -> int:
        return len(self.values)

    def take(self, positions: np.ndarray) -> Column:
        return Column(self.values[positions], self.valid[positions])

    def arrow(self, type_: pa.DataType) -> pa.Array:
        """As an Arrow array over the values' own buffer, with the validity as a bitmap."""
        valid = self.valid.all()
        if pa.types.is_boolean(type_):
            return pa.array(self.values.astype(bool), mask=None if valid else ~self.valid, type=type_)
        values = np.ascontiguousarray(self.values.astype(type_.to_pandas_dtype(), copy=False))
        bitmap = None if valid else pa.py_buffer(np.packbits(self.valid, bitorder="little"))
        return pa.Array.from_buffers(type_, len(values), [bitmap, pa.py_buffer(values)])


def _as_micro(column: Column) -> np.ndarray | None:
    """The coordinates as whole millionths when that is exact, else None. police.uk gives six
    decimals; SQLite then stores ``n / 1000000.0``, which IEEE division rounds to the same double
    as parsing the decimal text, so the stored value is exactly the one the file gave."""
    values = column.values.astype(np.float64, copy=False)
    present = column.valid & np.isfinite(values)
    if not (present == column.valid).all() or (np.abs(values[present]) > 1e9).any():
        return None
    micro = np.round(np.where(present, values, 0.0) * 1e6).astype(np.int64)
    if not (micro[present] / 1e6 == values[present]).all():
        return None
    micro[~present] = NULL_MICRO
    return micro


def insert(cursor, columns: dict[str, Column], *, small: tuple[str, ...], wide_int: tuple[str, ...],
           wide_float: tuple[str, ...], constants: dict[str, int], texts: dict[str, np.ndarray] | None = None) -> None:
    """INSERT INTO search the rows given as columns. ``small``: non-negative integers packed into
    words; ``wide_*``: bound as they are; ``constants`` written as literals; ``texts``: columns of a
    few distinct strings of one length (``month``), packed as codes into a literal of those strings."""
    count = len(next(iter(columns.values())).values)
    slots = []
    wide_int = tuple(wide_int)
    expressions: dict[str, str] = {}
    bound_texts = []
    for name, values in (texts or {}).items():
        codes, distinct = pd.factorize(values)
        width = len(distinct[0]) if len(distinct) else 0
        if (codes >= 0).all() and all(isinstance(text, str) and len(text) == width and not set(text) & set("'{}")
                                      for text in distinct):
            slots.append((name, codes.astype(np.uint64), max(int(len(distinct) - 1).bit_length(), 1)))
            expressions[name] = f"substr('{''.join(distinct)}', {{part}} * {width} + 1, {width})"
        else:
            bound_texts.append(name)
    for name in small:
        column = columns[name]
        if not column.valid.any():
            continue  # blank in the whole chunk: left to its NULL default
        if (column.values[column.valid] < 0).any():
            wide_int += (name,)  # a negative number cannot be packed: bind it as it is
            continue
        if column.valid.all():  # stored as it is: no NULLIF and no offset for SQLite to work out per row
            stored = column.values.astype(np.uint64)
            expressions[name] = "{part}"
        else:
            stored = np.where(column.valid, column.values.astype(np.int64) + 1, 0).astype(np.uint64)
            expressions[name] = "NULLIF({part}, 0) - 1"
        slots.append((name, stored, max(int(stored.max()).bit_length(), 1)))
    words: list[np.ndarray] = []
    current = np.zeros(count, dtype=np.uint64)
    shift = 0
    for name, stored, bits in slots:
        if shift + bits > WORD_BITS:
            words.append(current)
            current, shift = np.zeros(count, dtype=np.uint64), 0
        current |= stored << np.uint64(shift)
        expressions[name] = expressions[name].replace(
            "{part}", f"((?{{w{len(words)}}} >> {shift}) & {(1 << bits) - 1})")
        shift += bits
    if shift:
        words.append(current)
    bound: list[np.ndarray] = [word.view(np.int64) for word in words]
    for name in wide_int:
        values = columns[name].values.astype(np.int64)
        if not columns[name].valid.all():
            values = values.astype(object)
            values[~columns[name].valid] = None
        bound.append(values)
        expressions[name] = f"?{{w{len(bound) - 1}}}"
    for name in wide_float:
        column = columns[name]
        if not column.valid.any():
            continue
        micro = _as_micro(column)
        if micro is not None:  # bound as an integer: see _as_micro
            bound.append(micro)
            expressions[name] = f"NULLIF(?{{w{len(bound) - 1}}}, {NULL_MICRO}) / 1000000.0"
            continue
        values = column.values.astype(np.float64).astype(object)
        values[~column.valid] = None
        bound.append(values)
        expressions[name] = f"?{{w{len(bound) - 1}}}"
    for name in bound_texts:
        bound.append(np.asarray(texts[name], dtype=object))
        expressions[name] = f"?{{w{len(bound) - 1}}}"
    names = list(expressions) + list(constants)
    per_row = len(bound)

    def row_sql(row: int) -> str:
        numbers = {f"w{index}": row * per_row + index + 1 for index in range(per_row)}
        return "(" + ", ".join([expressions[name].format(**numbers) for name in expressions]
                               + [str(int(value)) for value in constants.values()]) + ")"

    # All integers: one int64 matrix whose tolist() makes the Python ints in C, several times faster
    # than filling an object matrix (measured: 0.3-0.45 s of every 155,000 rows went there).
    kind = np.int64 if all(values.dtype == np.int64 for values in bound) else object
    table = np.empty((count, per_row), dtype=kind)
    for position, values in enumerate(bound):
        table[:, position] = values
    insert_sql = f"INSERT INTO search ({', '.join(names)}) VALUES "
    whole = count - count % ROWS_PER_STATEMENT
    if whole:
        sql = insert_sql + ", ".join(row_sql(row) for row in range(ROWS_PER_STATEMENT))
        cursor.executemany(sql, table[:whole].reshape(whole // ROWS_PER_STATEMENT, -1).tolist())
    if whole < count:
        cursor.executemany(insert_sql + row_sql(0), table[whole:].tolist())
