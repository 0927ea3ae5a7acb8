"""The count cube's numpy group-by (store/grouping.py) against pandas' groupby on the same rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stopsearch_app.store import grouping
from stopsearch_app.store.grouping import CodedColumns

KEYS = ("force_id", "month", "sde_group_id")
COUNTS = ("searches", "linked_true")

rows_drawn = st.lists(st.tuples(st.sampled_from([-1, 3, 7, 12_000]), st.sampled_from(["2024-01", "2023-12", "2025-06"]),
                                st.integers(-1, 6), st.integers(1, 10**9), st.integers(0, 5)), max_size=60)


def _columns(rows) -> tuple[CodedColumns, pd.DataFrame]:
    frame = pd.DataFrame(rows, columns=[*KEYS, *COUNTS])
    keys = {name: frame[name].to_numpy(dtype=object if name == "month" else np.int64) for name in KEYS}
    return CodedColumns(keys, {name: frame[name].to_numpy(dtype=np.int64) for name in COUNTS}), frame


def _as_frame(sums: dict, by: tuple[str, ...]) -> pd.DataFrame:
    frame = pd.DataFrame({name: list(sums[name]) for name in (*by, *COUNTS)})
    return frame.sort_values(list(by)).reset_index(drop=True)


@pytest.mark.parametrize("dense_limit", [grouping._DENSE_KEYS, 1], ids=["dense", "factorised"])
@settings(max_examples=80, deadline=None)
@given(rows=rows_drawn, by=st.sampled_from([("sde_group_id",), ("month", "sde_group_id"), KEYS, ("force_id",)]),
       picked=st.lists(st.booleans(), min_size=60, max_size=60))
def test_sums_are_pandas_groupby_sums(dense_limit, rows, by, picked):
    columns, frame = _columns(rows)
    chosen = np.flatnonzero(np.array(picked[:len(rows)], dtype=bool))
    for selected, subset in ((None, frame), (chosen, frame.iloc[chosen])):
        expected = (subset.groupby(list(by), as_index=False)[list(COUNTS)].sum() if len(subset)
                    else pd.DataFrame({name: [] for name in (*by, *COUNTS)}))
        with pytest.MonkeyPatch.context() as patch:
            patch.setattr(grouping, "_DENSE_KEYS", dense_limit)
            got = _as_frame(columns.sums(selected, by), by)
        assert len(got) == len(expected)
        for name in (*by, *COUNTS):
            assert list(got[name]) == list(expected.sort_values(list(by))[name]), name


def test_counts_past_float32_stay_exact():
    # The sums go through bincount's float64 weights: whole numbers below 2**53 come back exact.
    columns, _ = _columns([(3, "2024-01", 1, 2**40 + 1, 0), (3, "2024-01", 1, 2**40 + 2, 0)])
    assert columns.sums(None, ("force_id",))["searches"].tolist() == [2**41 + 3]
