"""Run a charter rule set over records: every record gets exactly one verdict per enabled rule.

shared/spec/charter-rules.md: child identification runs first ("Who is a child"), then every enabled
rule in rule-set order. The steps all rules share happen here, after each rule's own logic:

1. child-only rules (``applies_to = "children"``): adults get ``not_applicable``, and so do vehicle-only
   searches that record no person (records.md Q3: person fields may be blank there); records whose child
   status is unknown keep the rule's verdict, except that a ``fail`` becomes ``review`` with the reason
   prefixed "Possible child (age not recorded)": unknown is never treated as an adult, and a breach of a
   child safeguard cannot be asserted of someone who may be an adult;
2. records whose source does not carry the rule's ``requires`` fields get ``not_assessable`` (this wins
   over everything, so police.uk rows only ever show not_assessable on the local-only rules, and a
   police.uk-only load is never presented as compliant).

Storage: :meth:`CheckResult.packed` gives one ASCII string per record, one character per rule of the
rule set in order ('-' for a disabled rule), built with numpy byte views; :func:`unpack_verdicts`
inverts it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from stopsearch_app.domain.records import FIELD_BY_NAME

from .context import RuleContext
from .rules import REGISTRY
from .ruleset import Rule, RuleSet, default_ruleset
from .verdicts import CHAR_TO_CODE, CODE_TO_CHAR, NOT_RUN_CODE, VERDICT_KEYS, Verdict

ADULT_REASON = "Adult: this rule applies to children only"
NO_PERSON_REASON = "Vehicle-only search with no person recorded: child rules do not apply"
UNKNOWN_CHILD_PREFIX = "Possible child (age not recorded): "


COUNT_BLOCK_ROWS = 65_536  # CheckResult.code_counts: rows counted at a time


@dataclass(frozen=True)
class CheckResult:
    """Verdicts (int8 codes, one column per rule run, rule-set order) and reasons (a Categorical per rule)."""

    verdicts: pd.DataFrame
    reasons: dict[str, pd.Categorical]
    ruleset_id: str
    ruleset_version: str
    ruleset_hash: str
    rule_ids: tuple[str, ...]  # the rules run (enabled), in rule-set order
    pack_order: tuple[str, ...]  # every rule of the rule set, in order: one packed character each
    coverage: pd.DataFrame  # per rule: in_scope, assessable (counts of records)
    child_status: pd.Series
    seconds: dict[str, float] = field(default_factory=dict)  # time per rule, for profiling

    def __len__(self) -> int:
        return len(self.verdicts)

    def summary(self, mask: np.ndarray | pd.Series | None = None) -> dict[str, dict[str, int]]:
        """Per rule, the count of each of the six verdicts (all six keys, zero where none)."""
        counts = self.code_counts(mask)
        return {rule_id: {key: int(counts[row, int(Verdict.from_key(key))]) for key in VERDICT_KEYS}
                for row, rule_id in enumerate(self.rule_ids)}

    def code_counts(self, mask: np.ndarray | pd.Series | None = None) -> np.ndarray:
        """Per rule run (rows, ``rule_ids`` order) the number of records with each verdict code
        (columns: the code, 0 unused). One ``bincount`` over every rule at once (a count per rule
        column cost 0.2 s per million records, measured in ``stopsearch check``), a block of rows at a
        time: the offset codes are 8 bytes each, ~0.7 GB for a million records in one piece."""
        selected = self._select(mask)
        matrix = self.verdicts.to_numpy()  # int8 codes
        if selected is not None:
            matrix = matrix[selected]
        size = len(Verdict) + 1
        rules = matrix.shape[1]
        offsets = np.arange(rules, dtype=np.intp) * size
        counts = np.zeros(rules * size, dtype=np.int64)
        for start in range(0, len(matrix), COUNT_BLOCK_ROWS):
            counts += np.bincount((matrix[start:start + COUNT_BLOCK_ROWS] + offsets).ravel(), minlength=rules * size)
        return counts.reshape(rules, size)

    def assessable_rules(self) -> list[str]:
        """Rules the loaded data can assess at all: some in-scope record's source carries their fields."""
        return [rule_id for rule_id in self.rule_ids if self.coverage.at[rule_id, "assessable"] > 0]

    def reason(self, rule_id: str) -> pd.Series:
        """The reasons of one rule as a categorical Series aligned with the records."""
        return pd.Series(self.reasons[rule_id], index=self.verdicts.index, name=rule_id)

    def findings(self, mask: np.ndarray | pd.Series | None = None,
                 verdicts: Iterable[Verdict] | None = (Verdict.FAIL, Verdict.REVIEW)) -> pd.DataFrame:
        """Long form, one row per (record, rule): ``record`` (index label), ``rule_id``, ``verdict`` (key), ``reason``.

        ``verdicts=None`` keeps every verdict (the CLI's ``--out`` file)."""
        selected = self._select(mask)
        wanted = None if verdicts is None else np.array([int(v) for v in verdicts], dtype=np.int8)
        pieces = []
        for rule_id in self.rule_ids:
            codes = self.verdicts[rule_id].to_numpy()
            keep = np.ones(len(codes), dtype=bool) if selected is None else selected.copy()
            if wanted is not None:
                keep &= np.isin(codes, wanted)
            rows = np.flatnonzero(keep)
            if not len(rows):
                continue
            pieces.append(pd.DataFrame({
                "record": self.verdicts.index.to_numpy()[rows],
                "rule_id": rule_id,
                "verdict": pd.Categorical.from_codes(codes[rows] - 1, categories=list(VERDICT_KEYS)),
                "reason": self.reasons[rule_id][rows],
            }))
        if not pieces:
            return pd.DataFrame({"record": [], "rule_id": [], "verdict": [], "reason": []})
        return pd.concat(pieces, ignore_index=True)

    def packed(self) -> pd.Series:
        """One string per record, one character per rule of the rule set (``pack_order``); '-' = not run.

        Store it with :attr:`ruleset_id`, :attr:`ruleset_version` and :attr:`ruleset_hash`."""
        return pack_verdicts(self._pack_order_codes(), index=self.verdicts.index)

    def packed_chars(self) -> np.ndarray:
        """The same as (records x pack order) ASCII bytes, without a string per record."""
        return verdict_chars(self._pack_order_codes())

    def _pack_order_codes(self) -> np.ndarray:
        matrix = np.full((len(self.verdicts), len(self.pack_order)), NOT_RUN_CODE, dtype=np.int8)
        positions = [self.pack_order.index(rule_id) for rule_id in self.rule_ids]
        matrix[:, positions] = self.verdicts.to_numpy()
        return matrix

    def _select(self, mask: np.ndarray | pd.Series | None) -> np.ndarray | None:
        if mask is None:
            return None
        if isinstance(mask, pd.Series):
            return mask.reindex(self.verdicts.index).astype("boolean").fillna(False).to_numpy(dtype=bool)
        selected = np.asarray(mask, dtype=bool)
        if selected.shape != (len(self.verdicts),):
            raise ValueError(f"mask has shape {selected.shape}, expected ({len(self.verdicts)},)")
        return selected


def check(records: pd.DataFrame, ruleset: RuleSet | None = None,
          local_fields_by_batch: Mapping[int, Iterable[str]] | None = None,
          *, only: Sequence[str] | None = None) -> CheckResult:
    """Check every record against every enabled rule of ``ruleset`` (default: the shipped Met charter).

    ``records``: canonical columns (records.py) and derived ones, any of which may be absent, plus
    ``source_format`` and ``batch_id``. ``local_fields_by_batch``: the canonical fields each local
    batch's extract mapped (a local batch not listed is inferred from its non-blank columns).
    ``only``: restrict to these rule IDs (still in rule-set order).
    """
    ruleset = ruleset or default_ruleset()
    context = RuleContext(records, local_fields_by_batch, ruleset)
    started = time.perf_counter()
    status = context.child_status  # child identification first (computed here if the columns are absent)
    seconds = {"child_status": time.perf_counter() - started}

    rules = [rule for rule in ruleset.enabled_rules if only is None or rule.id in only]
    unknown = sorted(set(only or ()) - set(ruleset.rule_ids))
    if unknown:
        raise KeyError(f"rule set {ruleset.id} has no rules {', '.join(unknown)}")
    verdict_columns: dict[str, np.ndarray] = {}
    reasons: dict[str, pd.Categorical] = {}
    coverage = []
    for rule in rules:
        started = time.perf_counter()
        assessable = _assessable(context, rule)
        verdicts, reason = _run_rule(context, rule, assessable)
        verdict_columns[rule.id] = verdicts
        reasons[rule.id] = reason
        coverage.append(_coverage(context, rule, assessable))
        seconds[rule.id] = time.perf_counter() - started

    frame = pd.DataFrame(verdict_columns, index=records.index, columns=[rule.id for rule in rules])
    if not rules:
        frame = frame.astype(np.int8)
    return CheckResult(
        verdicts=frame, reasons=reasons, ruleset_id=ruleset.id, ruleset_version=ruleset.version,
        ruleset_hash=ruleset.content_hash, rule_ids=tuple(rule.id for rule in rules), pack_order=ruleset.rule_ids,
        coverage=pd.DataFrame(coverage, index=pd.Index([rule.id for rule in rules], name="rule_id"),
                              columns=["in_scope", "assessable"]).astype(np.int64),
        child_status=pd.Series(status, index=records.index, name="child_status"), seconds=seconds)


def grouping_fields(ruleset: RuleSet | None = None) -> frozenset[str]:
    """The fields the enabled cross-record rules group records on (K2's person, G5's grounds). Records
    that record none of them are judged on their own, so they may be checked in separate parts."""
    ruleset = ruleset or default_ruleset()
    return frozenset().union(*(REGISTRY[rule.id].groups_on for rule in ruleset.enabled_rules))


def _run_rule(context: RuleContext, rule: Rule, assessable: np.ndarray) -> tuple[np.ndarray, pd.Categorical]:
    if context.n and not assessable.any():
        # No record's source carries the rule's fields (a local-only rule over police.uk records): the
        # last step below makes every verdict not_assessable whatever the logic says, so it is not run.
        texts = [_not_assessable_reason(context, rule, group) for group in range(len(context.source_groups))]
        group_codes, categories = pd.factorize(np.asarray(texts, dtype=object))
        codes = group_codes.astype(np.int32)[context.group_codes]
        used = np.bincount(codes, minlength=len(categories)) > 0
        new_position = np.cumsum(used, dtype=np.int32) - 1
        return (np.full(context.n, int(Verdict.NOT_ASSESSABLE), dtype=np.int8),
                pd.Categorical.from_codes(new_position[codes], categories=[t for t, k in zip(categories, used) if k]))
    bound = context.for_rule(rule)
    verdicts, reasons = REGISTRY[rule.id].function(bound)
    verdicts = np.asarray(verdicts, dtype=np.int8).copy()
    categorical = reasons if isinstance(reasons, pd.Categorical) else pd.Categorical(np.asarray(reasons, dtype=object))
    if len(verdicts) != context.n or len(categorical) != context.n:
        raise RuntimeError(f"rule {rule.id} returned {len(verdicts)} verdicts for {context.n} records")
    if context.n and (verdicts.min() < 1 or verdicts.max() > len(Verdict)):
        raise RuntimeError(f"rule {rule.id} returned an invalid verdict code")
    codes = categorical.codes.astype(np.int32)
    categories = [str(c) for c in categorical.categories]
    text_index = {text: position for position, text in enumerate(categories)}

    def code_for(text: str) -> int:
        if text not in text_index:
            text_index[text] = len(categories)
            categories.append(text)
        return text_index[text]

    if rule.child_only:
        adult = context.is_adult
        verdicts[adult] = Verdict.NOT_APPLICABLE
        codes[adult] = code_for(ADULT_REASON)
        no_person = context.no_person_searched
        verdicts[no_person] = Verdict.NOT_APPLICABLE
        codes[no_person] = code_for(NO_PERSON_REASON)
        possible_child_fail = context.child_unknown & (verdicts == Verdict.FAIL)
        if possible_child_fail.any():
            prefixed = {int(c): code_for(UNKNOWN_CHILD_PREFIX + categories[int(c)])
                        for c in np.unique(codes[possible_child_fail])}
            table = np.arange(len(categories), dtype=np.int32)
            table[list(prefixed)] = list(prefixed.values())
            codes[possible_child_fail] = table[codes[possible_child_fail]]
            verdicts[possible_child_fail] = Verdict.REVIEW

    if not assessable.all():
        group_text = np.array([code_for(_not_assessable_reason(context, rule, group))
                               for group in range(len(context.source_groups))], dtype=np.int32)
        gated = ~assessable
        verdicts[gated] = Verdict.NOT_ASSESSABLE
        codes[gated] = group_text[context.group_codes[gated]]
    # Drop reasons no record ended up with (e.g. a rule's text for adults, overridden above).
    used = np.bincount(codes, minlength=len(categories)) > 0
    if not used.all():
        new_position = np.cumsum(used, dtype=np.int32) - 1
        codes = new_position[codes]
        categories = [text for text, keep in zip(categories, used) if keep]
    return verdicts, pd.Categorical.from_codes(codes, categories=categories)


def _assessable(context: RuleContext, rule: Rule) -> np.ndarray:
    result = np.ones(context.n, dtype=bool)
    for group in rule.requires:
        result &= context.carries_any(group)
    return result


def _not_assessable_reason(context: RuleContext, rule: Rule, group: int) -> str:
    if "not_assessable" in rule.reasons:
        return rule.reasons["not_assessable"]
    source_format, _ = context.source_groups[group]
    missing = [" or ".join(FIELD_BY_NAME[name].label.lower() for name in alternatives)
               for alternatives in rule.requires
               if not any(context.group_carries(name)[group] for name in alternatives)]
    source = "police.uk data do" if source_format != "local" else "this extract does"
    return f"Not assessable: {source} not record {', '.join(missing) or 'the fields this rule needs'}"


def _coverage(context: RuleContext, rule: Rule, assessable: np.ndarray) -> tuple[int, int]:
    if not rule.child_only:
        return context.n, int(assessable.sum())
    in_scope = ~(context.is_adult | context.no_person_searched)
    return int(in_scope.sum()), int((in_scope & assessable).sum())


# -- packed storage ----------------------------------------------------------------------------------

def pack_verdicts(matrix: np.ndarray | pd.DataFrame, index: pd.Index | None = None) -> pd.Series:
    """(records x rules) int8 codes -> one ASCII string per record, one character per column.

    Vectorised: a lookup table turns codes into bytes, and the bytes become one Arrow string array
    without a Python object per record (``dtype="string[pyarrow]"``; ``.tolist()`` gives ``str``)."""
    if isinstance(matrix, pd.DataFrame):
        index = matrix.index if index is None else index
        matrix = matrix.to_numpy()
    chars = verdict_chars(matrix)
    rows, width = chars.shape
    offsets = np.arange(0, (rows + 1) * width, width, dtype=np.int64) if width else np.zeros(rows + 1, np.int64)
    strings = pa.LargeStringArray.from_buffers(rows, pa.py_buffer(offsets), pa.py_buffer(chars.reshape(-1)))
    return pd.Series(pd.array(strings.cast(pa.string()), dtype="string[pyarrow]"), index=index, name="verdicts")


def verdict_chars(matrix: np.ndarray) -> np.ndarray:
    """(records x rules) int8 codes -> the packed characters as a contiguous uint8 matrix."""
    codes = np.asarray(matrix)
    if codes.ndim != 2:
        raise ValueError("packed verdicts need a 2-D (records x rules) array")
    rows, width = codes.shape
    if rows and width and (codes.min() < 0 or codes.max() >= len(CODE_TO_CHAR)):
        raise ValueError("verdict codes must be 0 (not run) or 1-6")
    # Fancy indexing with a uint8 view is the fastest lookup numpy has for a 7-entry table.
    return np.ascontiguousarray(CODE_TO_CHAR[codes.astype(np.int8, copy=False).view(np.uint8)])


def unpack_concatenated(text: str, width: int) -> np.ndarray:
    """Int8 verdict codes (rows x ``width``) of packed strings stored end to end, as a database
    aggregates a block of records' strings into one (``store/checks.verdict_counts``): one Python
    object per block instead of one per record."""
    try:
        data = np.frombuffer(text.encode("ascii"), dtype=np.uint8)
    except UnicodeEncodeError as error:
        raise ValueError("packed verdicts contain a character that is not a verdict") from error
    if width <= 0 or len(data) % width:
        raise ValueError(f"packed verdicts: {len(data)} characters do not split into records of {width}")
    codes = CHAR_TO_CODE[data.reshape(-1, width)]
    if (codes < 0).any():
        raise ValueError("packed verdicts contain a character that is not a verdict")
    return codes


def unpack_verdicts(packed: Sequence[str] | np.ndarray | pd.Series, rule_ids: Sequence[str],
                    index: pd.Index | None = None) -> pd.DataFrame:
    """Inverse of :func:`pack_verdicts`: int8 codes, one column per rule ID (0 where '-', not run)."""
    width = len(rule_ids)
    if isinstance(packed, pd.Series):
        index = packed.index if index is None else index
    if isinstance(packed, pd.Series) and isinstance(packed.dtype, pd.StringDtype) and packed.dtype.storage == "pyarrow":
        strings = pa.array(packed.array)
    else:
        values = packed.to_numpy(dtype=object) if isinstance(packed, pd.Series) else np.asarray(packed, dtype=object)
        strings = pa.array(values, type=pa.string()) if len(values) else pa.array([], type=pa.string())
    if isinstance(strings, pa.ChunkedArray):
        strings = strings.combine_chunks()
    strings = strings.cast(pa.large_string())
    rows = len(strings)
    if strings.null_count:
        raise ValueError("packed verdicts: a record has no packed string")
    lengths = pc.binary_length(strings).to_numpy(zero_copy_only=False)
    if rows and (lengths != width).any():
        bad = int(np.flatnonzero(lengths != width)[0])
        raise ValueError(f"packed verdicts: record {bad} has {lengths[bad]} characters, expected {width}")
    offsets = np.frombuffer(strings.buffers()[1], dtype=np.int64, count=rows + 1, offset=strings.offset * 8)
    data = np.frombuffer(strings.buffers()[2], dtype=np.uint8) if rows and width else np.zeros(0, np.uint8)
    matrix = data[offsets[0]: offsets[0] + rows * width].reshape(rows, width)
    codes = CHAR_TO_CODE[matrix]
    if (codes < 0).any():
        raise ValueError("packed verdicts contain a character that is not a verdict")
    return pd.DataFrame(codes, columns=list(rule_ids), index=index)
