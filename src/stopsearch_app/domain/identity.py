"""Record identity (shared/spec/records.md, "Identity and re-import").

A police.uk record is identified by its force, its local month and a content fingerprint, with an
occurrence index for genuinely identical rows inside one force-month. The fingerprint uses only
fields that the CSV archive and the API report identically, so the same force-month loaded from
both does not double count (the Met API's constant-false ``outcome_linked`` is not among them).
A local extract's identity is its own ``source_ref``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

# pandas' SipHash with a fixed key: stable across releases (tests/test_identity.py pins a value so an
# upgrade that changed it would fail the tests rather than duplicate a user's records).
_HASH_KEY = "stopsearch-id-v1"[:16]

FINGERPRINT_FIELDS = (
    "search_type", "occurred_at", "latitude", "longitude", "gender", "age_range",
    "self_defined_ethnicity", "officer_defined_ethnicity", "legislation", "object_of_search",
    "outcome_code",
)


def _as_hashable(series: pd.Series) -> pd.Series:
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series):
        millis = series.dt.as_unit("ms").astype("int64")
        return pd.Series(np.where(series.isna(), -1, millis), index=series.index, dtype="int64")
    if pd.api.types.is_float_dtype(series) or pd.api.types.is_integer_dtype(series):
        values = series.astype("Float64").round(6).astype("float64")  # NA -> NaN
        return pd.Series(values.to_numpy(dtype="float64", na_value=np.nan), index=series.index)
    values = series.astype(object)
    return values.where(values.notna(), "")


def content_fingerprint(records: pd.DataFrame) -> np.ndarray:
    """A signed 64-bit fingerprint of each record's content (vectorised)."""
    frame = pd.DataFrame({name: _as_hashable(records[name]) if name in records
                          else pd.Series("", index=records.index, dtype=object)
                          for name in FINGERPRINT_FIELDS})
    hashed = pd.util.hash_pandas_object(frame, index=False, hash_key=_HASH_KEY, categorize=True)
    return hashed.to_numpy(dtype=np.uint64).view(np.int64)


def local_fingerprint(source_refs: pd.Series) -> np.ndarray:
    frame = pd.DataFrame({"source_ref": source_refs.astype(object).str.strip()})
    hashed = pd.util.hash_pandas_object(frame, index=False, hash_key=_HASH_KEY, categorize=True)
    return hashed.to_numpy(dtype=np.uint64).view(np.int64)


def occurrence_index(force: pd.Series, month: pd.Series, fingerprint: np.ndarray) -> np.ndarray:
    """0 for the first of identical records in a force-month, 1 for the second, and so on."""
    keys = pd.DataFrame({"force": force.to_numpy(), "month": month.to_numpy(), "fp": fingerprint})
    return keys.groupby(["force", "month", "fp"], sort=False).cumcount().to_numpy(dtype=np.int64)


def record_id(force: str, month: str, fingerprint: int, occurrence: int, source_ref: str | None = None) -> str:
    """The stable, human-readable record id used in exports, reviews and the CLI."""
    if source_ref:
        return source_ref
    return f"{force}-{month}-{int(fingerprint) & 0xFFFFFFFFFFFFFFFF:016x}-{occurrence}"


def record_ids(force: pd.Series, month: pd.Series, fingerprint: pd.Series, occurrence: pd.Series,
               source_ref: pd.Series | None = None) -> pd.Series:
    unsigned = fingerprint.to_numpy(dtype=np.int64).view(np.uint64)
    hex_fp = pd.Series([f"{value:016x}" for value in unsigned], index=force.index, dtype=object)
    ids = force.astype(str) + "-" + month.astype(str) + "-" + hex_fp + "-" + occurrence.astype(str)
    if source_ref is not None:
        ids = source_ref.astype(object).where(source_ref.notna() & (source_ref.astype(str) != ""), ids)
    return ids
