"""Record identity (shared/spec/records.md, "Identity and re-import").

A police.uk record is identified by its force, its local month and a content fingerprint, with an
occurrence index for genuinely identical rows inside one force-month. The fingerprint uses only
fields that the CSV archive and the API report identically, so the same force-month loaded from
both does not double count (the Met API's constant-false ``outcome_linked`` is not among them).
A local extract's identity is its own ``source_ref``.

The fingerprint hashes each column's *distinct* values with pandas' SipHash (``hash_array``, fixed
key) and combines the columns with the documented mixing below. It must never change between
releases: reviews attach to record ids. tests/test_identity.py pins a value.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

_HASH_KEY = "stopsearch-id-v1"  # 16 bytes, as SipHash requires
_BLANK = np.uint64(0x9E3779B97F4A7C15)  # the hash of a blank value, whatever the column type

FINGERPRINT_FIELDS = (
    "search_type", "occurred_at", "latitude", "longitude", "gender", "age_range",
    "self_defined_ethnicity", "officer_defined_ethnicity", "legislation", "object_of_search",
    "outcome_code",
)


def _hash_values(values: np.ndarray) -> np.ndarray:
    return pd.util.hash_array(values, hash_key=_HASH_KEY, categorize=False)


def _column_hash(series: pd.Series) -> np.ndarray:
    """uint64 per row; blank rows get _BLANK so a blank hashes alike in every source."""
    blank = series.isna().to_numpy()
    if isinstance(series.dtype, pd.CategoricalDtype):
        categories = np.asarray([str(value) for value in series.cat.categories], dtype=object)
        per_category = _hash_values(categories) if len(categories) else np.empty(0, dtype=np.uint64)
        codes = series.cat.codes.to_numpy()
        hashed = np.where(codes >= 0, per_category[np.maximum(codes, 0)] if len(categories) else _BLANK, _BLANK)
        return hashed.astype(np.uint64)
    if isinstance(series.dtype, pd.DatetimeTZDtype) or pd.api.types.is_datetime64_any_dtype(series):
        millis = series.dt.as_unit("ms").astype("int64").to_numpy()
        hashed = _hash_values(millis)
    elif pd.api.types.is_float_dtype(series) or pd.api.types.is_integer_dtype(series):
        hashed = _hash_values(series.astype("Float64").round(6).to_numpy(dtype="float64", na_value=0.0))
    else:
        hashed = _hash_values(np.asarray([str(value) for value in series.fillna("").tolist()], dtype=object))
    return np.where(blank, _BLANK, hashed).astype(np.uint64)


def _combine(hashes: list[np.ndarray]) -> np.ndarray:
    # Boost's hash_combine over 64 bits: order-sensitive, cheap, vectorised.
    combined = np.zeros(len(hashes[0]), dtype=np.uint64)
    with np.errstate(over="ignore"):
        for column in hashes:
            combined ^= column + np.uint64(0x9E3779B97F4A7C15) + (combined << np.uint64(6)) + (combined >> np.uint64(2))
    return combined


def content_fingerprint(records: pd.DataFrame) -> np.ndarray:
    """A signed 64-bit fingerprint of each record's content (vectorised)."""
    blank = pd.Series(pd.NA, index=records.index, dtype=object)
    hashes = [_column_hash(records[name] if name in records else blank) for name in FINGERPRINT_FIELDS]
    return _combine(hashes).view(np.int64)


def local_fingerprint(source_refs: pd.Series) -> np.ndarray:
    return _combine([_column_hash(source_refs.astype(object).str.strip())]).view(np.int64)


class OccurrenceCounter:
    """Occurrence indexes across the chunks of one file: the n-th identical record of a force-month
    gets n-1. The fingerprint covers the exact time, so (force, fingerprint) fixes the month too.
    Each chunk's keys are kept sorted with their counts, and later chunks look them up with
    binary search: no Python loop over the records."""

    def __init__(self) -> None:
        self._chunks: list[tuple[np.ndarray, np.ndarray]] = []  # (sorted unique keys, their counts)

    def assign(self, force: pd.Series, fingerprint: np.ndarray) -> np.ndarray:
        if len(fingerprint) == 0:
            return np.empty(0, dtype=np.int64)
        keys = _combine([_column_hash(pd.Series(force, dtype="category")), fingerprint.view(np.uint64)]).view(np.int64)
        occurrence = pd.Series(keys).groupby(keys, sort=False).cumcount().to_numpy(dtype=np.int64)
        unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        # Looked up once per distinct key, in sorted order: binary searches that walk memory forwards
        # cost a third of searching every record's key in its file order (measured on 155,000-row chunks).
        before = np.zeros(len(unique), dtype=np.int64)
        for seen_keys, seen_counts in self._chunks:
            position = np.minimum(np.searchsorted(seen_keys, unique), len(seen_keys) - 1)
            before += np.where(seen_keys[position] == unique, seen_counts[position], 0)
        self._chunks.append((unique, counts))
        return occurrence + before[inverse.reshape(-1)]


def occurrence_index(force: pd.Series, month: pd.Series, fingerprint: np.ndarray) -> np.ndarray:
    """0 for the first of identical records in a force-month, 1 for the second, and so on."""
    keys = pd.DataFrame({"force": pd.factorize(force)[0], "month": pd.factorize(month)[0], "fp": fingerprint})
    return keys.groupby(["force", "month", "fp"], sort=False).cumcount().to_numpy(dtype=np.int64)


def record_id(force: str, month: str, fingerprint: int, occurrence: int, source_ref: str | None = None) -> str:
    """The stable, human-readable record id used in exports, reviews and the CLI."""
    if source_ref:
        return source_ref
    return f"{force}-{month}-{int(fingerprint) & 0xFFFFFFFFFFFFFFFF:016x}-{occurrence}"
