"""What a charter rule sees: the records, the rule's parameters, and which fields each source carries.

shared/spec/charter-rules.md ("Verdicts") separates two kinds of blank:

* ``not_assessable``: the record's *source* does not carry the field at all. police.uk rows carry only
  ``PUBLIC_FIELDS``; a local-extract row carries the fields its extract mapped
  (``local_fields_by_batch[batch_id]``). A column absent from the DataFrame is carried by nobody.
* ``not_recorded``: the source carries the field but this record's value is blank.

:meth:`RuleContext.carries` answers the first question per record, cheaply: records are grouped by
(source format, batch), so a field costs one lookup per group plus one take over the rows.

Everything else here is a cached, positional numpy view of a column (booleans split into
true / false / blank; text columns factorised once so that regular expressions and vocabulary
lookups run over *distinct* values, not rows). No method loops over records in Python.
"""

from __future__ import annotations

import copy
import re
from types import MappingProxyType
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from stopsearch_app.domain import vocab
from stopsearch_app.domain.children import child_status
from stopsearch_app.domain.records import (FIELD_BY_NAME, OUTCOME_CODES, POWERS, PUBLIC_FIELDS, SUSPICIONLESS_POWERS,
                                           SourceFormat)

from .verdicts import Verdict

if TYPE_CHECKING:
    from .ruleset import Rule, RuleSet

# A derived column stands in for its source field (and the other way round) when only one is present.
_DERIVED_TWIN = {"legislation": "power", "outcome": "outcome_code", "self_defined_ethnicity": "sde_group",
                 "occurred_at": "month"}
_SOURCE_OF_DERIVED = {derived: source for source, derived in _DERIVED_TWIN.items()}
_PUBLIC_FORMATS = frozenset(f.value for f in SourceFormat if f.is_public)
_WHITESPACE = re.compile(r"\s+")

# Age descriptions for reasons ("EIP search of a 15-year-old ..."): codes 0-17 are exact ages.
AGE_UNDER_10_BAND, AGE_10_17_BAND, AGE_APPEARS_CHILD, AGE_UNKNOWN, AGE_ADULT = 18, 19, 20, 21, 22


def age_phrase(code: int) -> str:
    """'a 15-year-old', 'an 8-year-old', 'a child under 10', 'a person of unknown age', ..."""
    if 0 <= code < 18:
        return f"{'an' if code in (8, 11) else 'a'} {code}-year-old"
    return {AGE_UNDER_10_BAND: "a child under 10", AGE_10_17_BAND: "a child aged 10-17",
            AGE_APPEARS_CHILD: "a child (appears under 18, age not recorded)",
            AGE_UNKNOWN: "a person of unknown age", AGE_ADULT: "an adult"}[code]


class Decision:
    """Builds one rule's verdicts and reasons, first matching condition wins (like ``np.select``).

    Reasons are kept as codes into a small list of distinct strings and come out as a
    ``pd.Categorical``: a million records share a few dozen reason texts.
    """

    def __init__(self, n: int) -> None:
        self.verdicts = np.zeros(n, dtype=np.int8)
        self.codes = np.full(n, -1, dtype=np.int32)
        self._open = np.ones(n, dtype=bool)
        self._texts: dict[str, int] = {}

    def _code(self, text: str) -> int:
        return self._texts.setdefault(text, len(self._texts))

    def _claim(self, mask: np.ndarray) -> np.ndarray:
        claimed = np.asarray(mask, dtype=bool) & self._open
        self._open &= ~claimed
        return claimed

    def where(self, mask: np.ndarray, verdict: Verdict, reason: str) -> Decision:
        """Records matching ``mask`` and not yet decided get ``verdict`` with a fixed reason."""
        claimed = self._claim(mask)
        if claimed.any():
            self.verdicts[claimed] = verdict
            self.codes[claimed] = self._code(reason)
        return self

    def where_keyed(self, mask: np.ndarray, verdict: Verdict, keys: np.ndarray | pd.Series,
                    describe: Callable[[Any], str]) -> Decision:
        """As :meth:`where`, with a reason built once per distinct ``keys`` value among the matched rows."""
        claimed = self._claim(mask)
        if claimed.any():
            subset = np.asarray(keys)[claimed]
            key_codes, distinct = pd.factorize(subset, use_na_sentinel=False)
            text_codes = np.fromiter((self._code(describe(key)) for key in distinct), dtype=np.int32,
                                     count=len(distinct))
            self.verdicts[claimed] = verdict
            self.codes[claimed] = text_codes[key_codes]
        return self

    def otherwise(self, verdict: Verdict, reason: str) -> Decision:
        return self.where(self._open, verdict, reason)

    @property
    def undecided(self) -> np.ndarray:
        return self._open.copy()

    def result(self) -> tuple[np.ndarray, pd.Categorical]:
        if self._open.any():
            raise RuntimeError(f"{int(self._open.sum())} record(s) left without a verdict")
        return self.verdicts, pd.Categorical.from_codes(self.codes, categories=list(self._texts))


class RuleContext:
    """Shared, cached views of the records for one check; :meth:`for_rule` binds a rule and its params.

    ``records``: the DataFrame (canonical columns of records.py plus derived ones; any may be absent),
    with ``source_format`` (SourceFormat values; absent means every row is a local extract) and
    ``batch_id`` (absent means one batch). ``local_fields_by_batch``: the canonical fields each local
    batch's extract mapped; a local batch missing from it is inferred from the data (a field is carried
    if any of the batch's records has a value in it).
    """

    rule: Rule | None = None
    params: Mapping[str, Any] = MappingProxyType({})

    def __init__(self, records: pd.DataFrame, local_fields_by_batch: Mapping[int, Iterable[str]] | None,
                 ruleset: RuleSet) -> None:
        self.records = records
        self.n = len(records)
        self.ruleset = ruleset
        self.phrases = ruleset.phrases
        self.ranks = ruleset.ranks
        self._cache: dict[Hashable, Any] = {}
        self._local_fields = {int(batch): frozenset(fields) for batch, fields in (local_fields_by_batch or {}).items()}
        self._build_source_groups()

    def for_rule(self, rule: Rule) -> RuleContext:
        bound = copy.copy(self)  # shallow: shares the caches
        bound.rule = rule
        bound.params = rule.params
        return bound

    def decide(self) -> Decision:
        return Decision(self.n)

    def text(self, verdict: Verdict, fallback: str) -> str:
        """The rule-set's default reason for ``verdict`` of the bound rule, else ``fallback``."""
        if self.rule is None:
            return fallback
        return self.rule.reasons.get(verdict.key, fallback)

    # -- sources and carried fields ----------------------------------------------------------------------

    def _build_source_groups(self) -> None:
        if "source_format" in self.records:
            format_codes, formats = pd.factorize(self.records["source_format"].to_numpy(dtype=object))
            format_names = [str(value) for value in formats]  # SourceFormat is a StrEnum: str() is its value
            if (format_codes < 0).any():  # blank source format: a local extract
                format_codes = np.where(format_codes < 0, len(format_names), format_codes)
                format_names.append(SourceFormat.LOCAL.value)
        else:
            format_codes, format_names = np.zeros(self.n, dtype=np.intp), [SourceFormat.LOCAL.value]
        if "batch_id" in self.records:
            batches = pd.to_numeric(self.records["batch_id"], errors="coerce").fillna(-1).to_numpy(dtype=np.int64)
        else:
            batches = np.zeros(self.n, dtype=np.int64)
        # One integer per (format, batch) pair, then hash-factorise: no per-row Python, no sort.
        offset = batches.min() if self.n else 0
        combined = format_codes.astype(np.int64) * (1 << 40) + (batches - offset)
        self._group_codes, distinct = pd.factorize(combined)
        self._groups: list[tuple[str, int]] = [
            (format_names[int(value) >> 40], int(value & ((1 << 40) - 1)) + int(offset)) for value in distinct]
        public_by_group = np.array([fmt in _PUBLIC_FORMATS for fmt, _ in self._groups], dtype=bool)
        self.is_public = public_by_group[self._group_codes] if self.n else np.zeros(0, dtype=bool)
        self.is_local = ~self.is_public

    @property
    def source_groups(self) -> list[tuple[str, int]]:
        """Distinct (source format, batch id) pairs; :attr:`group_codes` maps each record to one."""
        return self._groups

    @property
    def group_codes(self) -> np.ndarray:
        return self._group_codes

    def column_present(self, field: str) -> bool:
        return field in self.records or (field in _DERIVED_TWIN and _DERIVED_TWIN[field] in self.records)

    def group_carries(self, field: str) -> np.ndarray:
        """Per source group: does that source carry ``field``? A derived column is carried where its
        source field is; a column that is no canonical field (child_status, batch_id, ...) always is."""
        key = ("group_carries", field)
        if key not in self._cache:
            field = _SOURCE_OF_DERIVED.get(field, field)
            result = np.zeros(len(self._groups), dtype=bool)
            if field not in FIELD_BY_NAME:
                result[:] = True
            elif self.column_present(field):
                inferred: list[int] = []
                for index, (fmt, batch) in enumerate(self._groups):
                    if fmt in _PUBLIC_FORMATS:
                        result[index] = field in PUBLIC_FIELDS
                    elif batch in self._local_fields:
                        result[index] = field in self._local_fields[batch]
                    else:
                        inferred.append(index)
                if inferred:  # an unlisted local batch carries what it has values for
                    has_value = ~self._raw_blank(field)
                    twin = _DERIVED_TWIN.get(field)
                    if twin and twin in self.records:
                        has_value |= ~self._raw_blank(twin)
                    counts = np.bincount(self._group_codes, weights=has_value, minlength=len(self._groups))
                    for index in inferred:
                        result[index] = counts[index] > 0
            self._cache[key] = result
        return self._cache[key]

    def carries(self, field: str) -> np.ndarray:
        """Per record: does the record's source carry ``field`` at all?"""
        key = ("carries", field)
        if key not in self._cache:
            self._cache[key] = self.group_carries(field)[self._group_codes] if self.n else np.zeros(0, bool)
        return self._cache[key]

    def carries_any(self, fields: Iterable[str]) -> np.ndarray:
        result = np.zeros(self.n, dtype=bool)
        for field in fields:
            result |= self.carries(field)
        return result

    def _not_carried(self, name: str) -> np.ndarray | None:
        """Records whose source does not carry ``name`` (their values are ignored), or None if none."""
        carried = self.group_carries(name)
        return None if carried.all() else ~self.carries(name)

    # -- columns ---------------------------------------------------------------------------------------
    # Every view below treats a value as blank where the record's source does not carry the field: a
    # stray value in a column the source never had is not evidence (and police.uk rows have none).

    def column(self, name: str) -> pd.Series:
        if name in self.records:
            return self.records[name]
        return pd.Series(pd.NA, index=self.records.index, dtype=object)

    def _is_text(self, name: str) -> bool:
        dtype = self.column(name).dtype
        return dtype == object or isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype))

    def _raw_factor(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        key = ("raw_factor", name)
        if key not in self._cache:
            series = self.column(name)
            if isinstance(series.dtype, pd.CategoricalDtype):
                codes = series.cat.codes.to_numpy().astype(np.int64)
                distinct = series.cat.categories.to_numpy(dtype=object)
            elif isinstance(series.dtype, pd.StringDtype) and series.dtype.storage == "pyarrow":
                # Arrow-backed text (pandas' default str): encode in C++, no Python object per record.
                arrow = pa.array(series.array)
                if isinstance(arrow, pa.ChunkedArray):
                    arrow = arrow.combine_chunks()
                encoded = pc.dictionary_encode(arrow)
                codes = pc.fill_null(encoded.indices, -1).to_numpy(zero_copy_only=False).astype(np.int64)
                distinct = encoded.dictionary
            else:
                codes, distinct = pd.factorize(series.to_numpy(dtype=object))
                codes = codes.astype(np.int64)
                distinct = np.asarray(distinct, dtype=object)
            cleaned, blank_distinct = _clean_distinct(distinct)
            if blank_distinct.any():
                remap = np.where(blank_distinct, -1, np.arange(len(cleaned)))
                codes = np.where(codes >= 0, remap[np.maximum(codes, 0)], -1)
            self._cache[key] = (codes, cleaned)
        return self._cache[key]

    def _raw_blank(self, name: str) -> np.ndarray:
        if self._is_text(name):
            return self._raw_factor(name)[0] < 0
        return self.column(name).isna().to_numpy()

    def factor(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        """(codes, distinct cleaned strings) of a text/category column; code -1 = blank (NA or spaces)."""
        key = ("factor", name)
        if key not in self._cache:
            codes, cleaned = self._raw_factor(name)
            not_carried = self._not_carried(name)
            if not_carried is not None:
                codes = np.where(not_carried, -1, codes)
            self._cache[key] = (codes, cleaned)
        return self._cache[key]

    def lookup(self, name: str, per_distinct: np.ndarray, blank_value: Any) -> np.ndarray:
        """Broadcast a per-distinct-value array of ``factor(name)`` to the records."""
        codes, _ = self.factor(name)
        table = np.append(np.asarray(per_distinct), np.asarray([blank_value], dtype=np.asarray(per_distinct).dtype))
        return table[codes]  # code -1 indexes the trailing blank value

    def blank(self, name: str) -> np.ndarray:
        """NA, empty or whitespace-only (or not carried by the record's source)."""
        key = ("blank", name)
        if key not in self._cache:
            if self._is_text(name):
                blank = self.factor(name)[0] < 0
            else:
                blank = self.column(name).isna().to_numpy()
                not_carried = self._not_carried(name)
                if not_carried is not None:
                    blank = blank | not_carried
            self._cache[key] = blank
        return self._cache[key]

    def present(self, name: str) -> np.ndarray:
        return ~self.blank(name)

    def is_true(self, name: str) -> np.ndarray:
        return self._bool_state(name)[0]

    def is_false(self, name: str) -> np.ndarray:
        return self._bool_state(name)[1]

    def _bool_state(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        key = ("bool", name)
        if key not in self._cache:
            series = self.column(name)
            if series.dtype == bool:
                true = series.to_numpy()
                false = ~true
            elif isinstance(series.dtype, pd.BooleanDtype):
                missing = series.isna().to_numpy()
                values = series.to_numpy(dtype=bool, na_value=False)
                true, false = values, ~values & ~missing
            else:  # text such as "True"/"no"/"Y": map the distinct values
                _, distinct = self.factor(name)
                parsed = np.array([_parse_bool(value) for value in distinct], dtype=np.int8)
                state = self.lookup(name, parsed, -1)
                true, false = state == 1, state == 0
            true, false = np.asarray(true, dtype=bool), np.asarray(false, dtype=bool)
            not_carried = self._not_carried(name)
            if not_carried is not None:
                true, false = true & ~not_carried, false & ~not_carried
            self._cache[key] = (true, false)
        return self._cache[key]

    def number(self, name: str) -> np.ndarray:
        """Float values with NaN for blank or unreadable."""
        key = ("number", name)
        if key not in self._cache:
            series = self.column(name)
            values = pd.to_numeric(series, errors="coerce") if series.dtype == object else series
            result = pd.Series(values).astype("Float64").to_numpy(dtype=float, na_value=np.nan)
            not_carried = self._not_carried(name)
            if not_carried is not None:
                result[not_carried] = np.nan
            self._cache[key] = result
        return self._cache[key]

    def seconds(self, name: str) -> np.ndarray:
        """UTC epoch seconds as float, NaN when blank."""
        key = ("seconds", name)
        if key not in self._cache:
            series = self.column(name)
            if not pd.api.types.is_datetime64_any_dtype(series.dtype):
                series = pd.to_datetime(series, utc=True, errors="coerce", format="ISO8601")
            if getattr(series.dtype, "tz", None) is None:
                series = series.dt.tz_localize("UTC")
            nanos = series.dt.tz_convert("UTC").to_numpy(dtype="datetime64[ns]").astype(np.int64)
            result = nanos / 1e9
            result[series.isna().to_numpy()] = np.nan
            not_carried = self._not_carried(name)
            if not_carried is not None:
                result[not_carried] = np.nan
            self._cache[key] = result
        return self._cache[key]

    def category_in(self, name: str, values: Iterable[str]) -> np.ndarray:
        """Value (case- and whitespace-insensitive) is one of ``values``; blank is never in."""
        wanted = {_clean(v).casefold() for v in values}
        _, distinct = self.factor(name)
        per_distinct = np.array([value.casefold() in wanted for value in distinct], dtype=bool)
        return self.lookup(name, per_distinct, False)

    def text_match(self, name: str, pattern: str) -> np.ndarray:
        """The text contains a match of ``pattern`` (RE2 syntax, case-insensitive); blank never matches."""
        key = ("match", name, pattern)
        if key not in self._cache:
            self._cache[key] = self.lookup(name, self.distinct_match(name, pattern), False)
        return self._cache[key]

    def distinct_match(self, name: str, pattern: str) -> np.ndarray:
        """Per distinct value of ``factor(name)``: does it contain a match of ``pattern``?"""
        key = ("distinct_match", name, pattern)
        if key not in self._cache:
            self._cache[key] = matches(self._arrow_distinct(name), pattern)
        return self._cache[key]

    def distinct_count(self, name: str, pattern: str) -> np.ndarray:
        """Per distinct value of ``factor(name)``: the number of non-overlapping matches of ``pattern``."""
        strings = self._arrow_distinct(name)
        if not len(strings) or not pattern:
            return np.zeros(len(strings), dtype=np.int64)
        counted = pc.count_substring_regex(strings, pattern, ignore_case=True)
        return counted.to_numpy(zero_copy_only=False).astype(np.int64)

    def _arrow_distinct(self, name: str) -> pa.Array:
        key = ("arrow_distinct", name)
        if key not in self._cache:
            _, distinct = self.factor(name)
            self._cache[key] = pa.array(distinct, type=pa.string())
        return self._cache[key]

    # -- derived fields --------------------------------------------------------------------------------

    @property
    def power(self) -> np.ndarray:
        """Index into records.POWERS; -1 blank; -2 present but not a known power."""
        key = "power"
        if key not in self._cache:
            if "power" in self.records:
                _, distinct = self.factor("power")
                per_distinct = np.array([POWERS.index(v.upper()) if v.upper() in POWERS else -2 for v in distinct],
                                        dtype=np.int8)
                power = self.lookup("power", per_distinct, -1)
            else:
                power = np.full(self.n, -1, dtype=np.int8)
            if "legislation" in self.records:
                _, distinct = self.factor("legislation")
                derived = [vocab.power(v) for v in distinct]
                per_distinct = np.array([POWERS.index(c) if c in POWERS else -2 for c in derived], dtype=np.int8)
                from_legislation = self.lookup("legislation", per_distinct, -1)
                # The importer's power wins; the legislation string fills what it left blank.
                power = np.where(power == -1, from_legislation, power)
                power = np.where((power == -2) & (from_legislation >= 0), from_legislation, power)
            self._cache[key] = power
        return self._cache[key]

    def power_in(self, codes: Iterable[str]) -> np.ndarray:
        indices = [POWERS.index(code) for code in codes]
        return np.isin(self.power, indices)

    @property
    def suspicionless(self) -> np.ndarray:
        return self.power_in(SUSPICIONLESS_POWERS)

    @property
    def outcome(self) -> np.ndarray:
        """Index into records.OUTCOME_CODES; -1 blank (an unknown outcome string maps to 'other')."""
        key = "outcome"
        if key not in self._cache:
            source = "outcome_code" if "outcome_code" in self.records else "outcome"
            _, distinct = self.factor(source)
            codes = [v.lower() if v.lower() in OUTCOME_CODES else vocab.outcome_code(v) for v in distinct]
            per_distinct = np.array([OUTCOME_CODES.index(c) if c in OUTCOME_CODES else -1 for c in codes], dtype=np.int8)
            outcome = self.lookup(source, per_distinct, -1)
            if source == "outcome_code" and "outcome" in self.records:
                _, raw = self.factor("outcome")
                fill = np.array([OUTCOME_CODES.index(c) if (c := vocab.outcome_code(v)) in OUTCOME_CODES else -1
                                 for v in raw], dtype=np.int8)
                outcome = np.where(outcome == -1, self.lookup("outcome", fill, -1), outcome)
            self._cache[key] = outcome
        return self._cache[key]

    def outcome_in(self, codes: Iterable[str]) -> np.ndarray:
        return np.isin(self.outcome, [OUTCOME_CODES.index(code) for code in codes])

    def _child(self) -> tuple[np.ndarray, np.ndarray, pd.Index]:
        """(status per record, status codes, distinct statuses), identified here when the columns are absent."""
        key = "child"
        if key not in self._cache:
            if "child_status" in self.records:
                status = self.records["child_status"]
            else:  # identify children from the age fields each record's source carries, as typed values
                index = self.records.index
                ages: dict[str, Any] = {}
                if "age_years" in self.records:
                    ages["age_years"] = pd.Series(self.number("age_years"), index=index).astype("Float64")
                if "appears_under_18" in self.records:
                    appears = pd.array(self.is_true("appears_under_18"), dtype="boolean")
                    appears[~(self.is_true("appears_under_18") | self.is_false("appears_under_18"))] = pd.NA
                    ages["appears_under_18"] = pd.Series(appears, index=index)
                if "age_range" in self.records:
                    _, distinct = self.factor("age_range")
                    ages["age_range"] = pd.Series(self.lookup("age_range", distinct, None), index=index, dtype=object)
                status = child_status(pd.DataFrame(ages, index=index))
            values = status.to_numpy(dtype=object)
            codes, distinct = pd.factorize(values)
            self._cache[key] = (values, codes, pd.Index(distinct))
        return self._cache[key]

    @property
    def child_status(self) -> np.ndarray:
        """'child', 'adult' or 'unknown' per record (object array)."""
        return self._child()[0]

    @property
    def is_child(self) -> np.ndarray:
        return self._status_mask("child")

    @property
    def is_adult(self) -> np.ndarray:
        return self._status_mask("adult")

    @property
    def child_unknown(self) -> np.ndarray:
        return ~(self.is_child | self.is_adult)

    @property
    def no_person_searched(self) -> np.ndarray:
        """Vehicle-only search whose child status is unknown: no person was searched (Q3)."""
        key = "no_person"
        if key not in self._cache:
            vehicle_only = self.category_in("search_type", ("vehicle", "vehicle search"))
            self._cache[key] = vehicle_only & self.child_unknown
        return self._cache[key]

    def _status_mask(self, status: str) -> np.ndarray:
        key = ("status", status)
        if key not in self._cache:
            _, codes, distinct = self._child()
            self._cache[key] = (codes == distinct.get_loc(status)) if status in distinct else np.zeros(self.n, bool)
        return self._cache[key]

    @property
    def age_code(self) -> np.ndarray:
        """Per record, a code for :func:`age_phrase`: exact ages 0-17, or one of the AGE_* bands."""
        key = "age_code"
        if key not in self._cache:
            age = self.number("age_years") if "age_years" in self.records else np.full(self.n, np.nan)
            has_age = ~np.isnan(age)
            exact = np.clip(np.nan_to_num(age, nan=0), 0, 17).astype(np.int8)
            age_range_under_10 = self.category_in("age_range", ["under 10"])
            age_range_10_17 = self.category_in("age_range", ["10-17"])
            code = np.select(
                [self.is_adult, has_age & self.is_child, age_range_under_10 & self.is_child,
                 age_range_10_17 & self.is_child, self.is_child],
                [AGE_ADULT, exact, AGE_UNDER_10_BAND, AGE_10_17_BAND, AGE_APPEARS_CHILD],
                default=AGE_UNKNOWN,
            ).astype(np.int8)
            self._cache[key] = code
        return self._cache[key]


def matches(strings: np.ndarray | pa.Array, pattern: str) -> np.ndarray:
    """Case-insensitive RE2 search over strings (pyarrow, C++); a bool per string."""
    if not len(strings) or not pattern:
        return np.zeros(len(strings), dtype=bool)
    array = strings if isinstance(strings, pa.Array) else pa.array(strings, type=pa.string())
    matched = pc.match_substring_regex(array, pattern, ignore_case=True)
    return np.asarray(matched.to_numpy(zero_copy_only=False), dtype=bool)


def _clean_distinct(distinct: np.ndarray | pa.Array) -> tuple[np.ndarray, np.ndarray]:
    """Collapse whitespace runs and trim each distinct value; True where it is then blank.

    Many distinct values (free text, person references) go through Arrow's C++ kernels; a few, or
    values that are not all strings, through Python."""
    if isinstance(distinct, pa.Array) or len(distinct) > 256:
        try:
            strings = distinct.cast(pa.string()) if isinstance(distinct, pa.Array) else pa.array(distinct, type=pa.string())
        except (pa.ArrowInvalid, pa.ArrowTypeError):
            strings = None
        if strings is not None:
            trimmed = pc.utf8_trim_whitespace(strings)
            blank = np.asarray(pc.equal(pc.utf8_length(trimmed), 0).to_numpy(zero_copy_only=False), dtype=bool)
            cleaned = trimmed.to_numpy(zero_copy_only=False).astype(object)
            # Rewriting every text is slow; only the few with runs of (or unusual) whitespace need it.
            runs = np.flatnonzero(matches(trimmed, r"\s\s|[\t\n\r\f\v]"))
            if len(runs):
                cleaned[runs] = pc.replace_substring_regex(trimmed.take(pa.array(runs)), r"\s+", " ").to_numpy(
                    zero_copy_only=False)
            return cleaned, blank
    cleaned_values = np.array([_clean(value) for value in distinct], dtype=object)
    return cleaned_values, np.array([value == "" for value in cleaned_values], dtype=bool)


def _clean(value: object) -> str:
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return ""
    return _WHITESPACE.sub(" ", str(value)).strip()


_TRUE_WORDS = frozenset({"true", "t", "yes", "y", "1"})
_FALSE_WORDS = frozenset({"false", "f", "no", "n", "0"})


def _parse_bool(value: str) -> int:
    folded = value.casefold()
    return 1 if folded in _TRUE_WORDS else 0 if folded in _FALSE_WORDS else -1
