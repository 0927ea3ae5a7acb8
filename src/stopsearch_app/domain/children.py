"""Who is a child (shared/spec/charter-rules.md, "Who is a child"): run before any rule.

1. exact age present: child if under 18;  2. else appears under 18: child (Code C 1.5 presumption);
3. else police.uk age range ``under 10`` or ``10-17``: child;  4. else unknown, never an adult
unless an adult age or range is recorded.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

CHILD_AGE_RANGES = ("under 10", "10-17")
ADULT_AGE_RANGES = ("18-24", "25-34", "over 34")
CHILD_STATUS_ORDER = ("child", "adult", "unknown")
CHILD_BAND_ORDER = ("under_10", "10_14", "15_17", "10_17")


def _column(records: pd.DataFrame, name: str, dtype: str) -> pd.Series:
    if name in records:
        return records[name].astype(dtype)
    return pd.Series(pd.NA, index=records.index, dtype=dtype)


def child_status(records: pd.DataFrame) -> pd.Series:
    """'child', 'adult' or 'unknown' per record, by the precedence above."""
    age = _column(records, "age_years", "Float64")
    appears = _column(records, "appears_under_18", "boolean")
    band = _column(records, "age_range", "object")

    has_age = age.notna().to_numpy()
    age_child = (age < 18).fillna(False).to_numpy(dtype=bool)
    appears_child = appears.fillna(False).to_numpy(dtype=bool)
    band_child = band.isin(CHILD_AGE_RANGES).to_numpy()
    band_adult = band.isin(ADULT_AGE_RANGES).to_numpy()

    # codes into CHILD_STATUS_ORDER; a categorical result stays cheap for a million rows
    codes = np.select([has_age & age_child, has_age, appears_child, band_child, band_adult],
                      [0, 1, 0, 0, 1], default=2).astype(np.int8)
    return pd.Series(pd.Categorical.from_codes(codes, categories=CHILD_STATUS_ORDER), index=records.index)


def child_band(records: pd.DataFrame, status: pd.Series | None = None) -> pd.Series:
    """Sub-band of a child: under_10, 10_14, 15_17 where the exact age exists, else 10_17; NA for others."""
    status = child_status(records) if status is None else status
    age = _column(records, "age_years", "Float64")
    band = _column(records, "age_range", "object")
    is_child = (status == "child").to_numpy()
    has_age = age.notna().to_numpy()
    age_values = age.fillna(-1).to_numpy(dtype=float)
    codes = np.select(
        [is_child & has_age & (age_values < 10),
         is_child & has_age & (age_values < 15),
         is_child & has_age,
         is_child & (band == "under 10").to_numpy(),
         is_child],
        [0, 1, 2, 0, 3],
        default=-1,
    ).astype(np.int8)
    return pd.Series(pd.Categorical.from_codes(codes, categories=CHILD_BAND_ORDER), index=records.index)
