"""Sums of count columns grouped by key columns, over a count cube held as numpy arrays.

The count cube of ``store/aggregates.py`` answers every filter change of the Disparity tab: some
twenty grouped questions per screen over a few thousand to a million and a half cube rows. pandas'
``groupby`` spends ~1 ms on each however small the answer (index building, block management), which
made a screen 250-350 ms at a million records (bench/bench_disparity.py). Here every key column is
factorised once, when the cube is built, into dense codes; a question combines the codes of its keys
into one integer per row and sums the count columns with ``np.bincount``, which costs microseconds
per thousand rows. The answers are the same sums pandas gives (the tests hold the cube to plain SQL).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

# A combined key space up to this size is summed directly into a dense array (no hashing); larger
# spaces (many key columns at once) are factorised first.
_DENSE_KEYS = 1 << 20


class CodedColumns:
    """Key columns as dense codes (each code indexes its column's sorted distinct values) beside the
    integer count columns they group."""

    def __init__(self, keys: Mapping[str, np.ndarray], counts: Mapping[str, np.ndarray]) -> None:
        self.count_names = tuple(counts)
        self.length = len(next(iter(counts.values()))) if counts else 0
        self._raw = dict(keys)
        self._codes: dict[str, np.ndarray] = {}
        self._distinct: dict[str, np.ndarray] = {}
        for name, values in keys.items():
            codes, distinct = pd.factorize(values, sort=True)
            self._codes[name] = codes.astype(np.int32 if len(distinct) < 2**31 else np.int64)
            self._distinct[name] = np.asarray(distinct, dtype=object if values.dtype == object else values.dtype)
        self._counts = {name: np.asarray(values, dtype=np.int64) for name, values in counts.items()}

    def column(self, name: str) -> np.ndarray:
        """A key column's values per row (for masks)."""
        return self._raw[name]

    def distinct(self, name: str) -> np.ndarray:
        """A key column's distinct values, sorted; ``codes(name)`` index into it."""
        return self._distinct[name]

    def codes(self, name: str) -> np.ndarray:
        return self._codes[name]

    def sums(self, rows: np.ndarray | None, by: tuple[str, ...]) -> dict[str, np.ndarray]:
        """For the rows selected (indices, or None for all), one entry per combination of ``by`` that
        occurs among them: the key values (``by``) and the summed count columns."""
        selected = self.length if rows is None else len(rows)
        if selected == 0:
            return {**{name: self._distinct[name][:0] for name in by},
                    **{name: np.zeros(0, dtype=np.int64) for name in self.count_names}}
        key = np.zeros(selected, dtype=np.int64)
        space = 1
        for name in by:
            codes = self._codes[name] if rows is None else self._codes[name][rows]
            size = max(len(self._distinct[name]), 1)
            key *= size
            key += codes
            space *= size
        if space <= _DENSE_KEYS:
            occupied = np.flatnonzero(np.bincount(key, minlength=space))
            slot = None  # the key is its own slot
            keys, slots = occupied, space
        else:
            slot, keys = pd.factorize(key, sort=False)
            slots = len(keys)
        index = key if slot is None else slot
        totals = {}
        for name in self.count_names:
            values = self._counts[name] if rows is None else self._counts[name][rows]
            summed = np.bincount(index, weights=values, minlength=slots)  # float64: exact below 2**53
            totals[name] = (summed if slot is not None else summed[keys]).round().astype(np.int64)
        result: dict[str, np.ndarray] = {}
        remaining = np.asarray(keys, dtype=np.int64).copy()
        for name in reversed(by):
            size = max(len(self._distinct[name]), 1)
            result[name] = self._distinct[name][remaining % size]
            remaining //= size
        return {**{name: result[name] for name in by}, **totals}
