"""Disproportionality statistics over counts (shared/spec/statistics.md; method in
shared/reference/domain.md section 6; JSON shape in shared/spec/cli.md, ``stopsearch disparity``).

The store aggregates records with SQL ``GROUP BY`` and hands this module *counts*: searches per
ethnic group, searches of unknown ethnicity, and for the outcome tests how many had a field recorded
and how many were true. Populations come from :mod:`stopsearch_app.domain.denominators`. Nothing
here sees a record, a database or Qt.

What it computes:

* **rate per 1,000** residents over the period (searches / population x 1,000) and an
  **annualised** rate (x 12 / months), each labelled with its basis;
* **ratio vs White** with a 95% interval from ``statsmodels.stats.rates.confint_poisson_2indep``
  (``compare="ratio"``, ``method="wald-log"``; the exposure is the resident population). When either
  count is under 30 the interval is the **exact conditional** one instead: given ``a + b`` searches,
  ``a`` is binomial with ``p = RR*Na / (RR*Na + Nb)``, so the Clopper-Pearson interval for ``p``
  (``statsmodels`` ``proportion_confint(method="beta")``) maps to RR by ``p / (1 - p) * Nb / Na``.
  statsmodels 0.14/0.15 offer ``exact-cond`` only as a *test* (``test_poisson_2indep``), not in
  ``confint_poisson_2indep``, whose docstring lists it as "NOT YET"; this is the interval that test
  inverts, one side at a time;
* **unknown ethnicity**: its share (Wilson interval) and, per group, the **sensitivity range** of the
  ratio (every unknown assigned to White, or every unknown assigned to the group), kept apart from
  the sampling interval;
* **outcome tests**: find rate (``outcome_linked`` true / recorded), "more than outer clothing
  removed" (true / recorded) and "any outcome other than no further action", with Wilson intervals
  and the ratio of proportions vs White (Katz log interval, ``statsmodels`` ``Table2x2``). When the
  field is recorded for nothing in the selection the result says "not recorded" and names the
  fallback measure;
* **small numbers**: a numerator under 10 is ``suppressed`` (shown as ``<10`` by :func:`format_cell`).

No value handed to a caller is NaN or infinite: a number that cannot be computed is ``None`` with a
reason from :class:`Reason` beside it.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

import numpy as np
from statsmodels.stats.contingency_tables import Table2x2
from statsmodels.stats.proportion import proportion_confint
from statsmodels.stats.rates import confint_poisson_2indep

from stopsearch_app.domain.records import ETHNIC_GROUPS

REFERENCE_GROUP = "White"
SUPPRESSION_THRESHOLD = 10  # numerators below this are "<10" in panel views and packs
EXACT_BELOW = 30  # either count below this: exact conditional interval instead of wald-log
CONFIDENCE = 0.95
SUPPRESSED_TEXT = "<10"
PER = 1_000

WALD_LOG = "wald-log"
EXACT_CONDITIONAL = "exact-cond"  # Clopper-Pearson on a | a+b, the interval of statsmodels' exact-cond test
WILSON = "wilson"
KATZ_LOG = "katz-log"  # log risk ratio, statsmodels Table2x2.riskratio_confint

EVENTS_NOT_PEOPLE = ("Searches are events, not people: one child searched twice counts twice, so the "
                     "intervals understate the uncertainty.")
SENSITIVITY_NOTE = ("The unknown-ethnicity range assigns every search of unknown ethnicity to White "
                    "(low) or to the group (high); it is not a sampling interval.")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class Reason(StrEnum):
    """Why a number is missing; shown in place of the number."""

    NO_DENOMINATOR = "no denominator"
    POPULATION_ZERO = "population is zero"
    NOT_RECORDED = "not recorded"
    NO_SEARCHES = "no searches in the group"
    ZERO_REFERENCE = "zero searches in the reference group (White)"
    REFERENCE_NO_DENOMINATOR = "no denominator for the reference group (White)"
    REFERENCE_POPULATION_ZERO = "population is zero in the reference group (White)"
    REFERENCE_NOT_RECORDED = "not recorded in the reference group (White)"
    REFERENCE_NONE_POSITIVE = "none in the reference group (White)"
    ZERO_CELL = "no interval when a count is zero"
    REFERENCE = "reference group (White)"
    SUPPRESSED = "suppressed (<10)"
    NOT_PER_POPULATION = "not a per-population measure"


# --- period -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """The months a figure covers, ``YYYY-MM`` inclusive. ``months`` is how many months of data the
    counts cover (fewer than the span when a force-month is missing; statistics.md R6)."""

    start: str
    end: str
    months: int

    @classmethod
    def between(cls, start: str, end: str, months: int | None = None) -> Period:
        span = _month_index(end) - _month_index(start) + 1
        if span < 1:
            raise ValueError(f"period {start} to {end} ends before it starts")
        covered = span if months is None else months
        if not 1 <= covered <= span:
            raise ValueError(f"period {start} to {end} spans {span} months; months={months} is not 1..{span}")
        return cls(start, end, covered)

    def __post_init__(self) -> None:
        span = _month_index(self.end) - _month_index(self.start) + 1
        if span < 1 or not 1 <= self.months <= span:
            raise ValueError(f"invalid period {self.start} to {self.end} with {self.months} months")

    @property
    def label(self) -> str:
        months = f"{self.months} month{'s' if self.months != 1 else ''}"
        span = self.start if self.start == self.end else f"{self.start} to {self.end}"
        return f"{span} ({months})"

    def as_json(self) -> dict[str, object]:
        return {"from": self.start, "to": self.end, "months": self.months}


def _month_index(text: str) -> int:
    match = _MONTH.match(str(text).strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise ValueError(f"month {text!r} is not YYYY-MM")
    return int(match.group(1)) * 12 + int(match.group(2)) - 1


# --- small numbers and display ------------------------------------------------------------------
def is_suppressed(numerator: int) -> bool:
    """A cell whose numerator is under 10 is suppressed in panel views and exported packs."""
    return numerator < SUPPRESSION_THRESHOLD


def format_cell(value: float | int | None, *, suppressed: bool = False, reason: str | None = None,
                decimals: int = 1, percent: bool = False) -> str:
    """Text for one table cell: ``<10`` when suppressed, the reason when there is no number."""
    if suppressed:
        return SUPPRESSED_TEXT
    if value is None or (isinstance(value, float) and not math.isfinite(value)):
        return str(reason) if reason else "n/a"
    if percent:
        return f"{value * 100:,.{decimals}f}%"
    if isinstance(value, int):
        return f"{value:,}"
    return f"{value:,.{decimals}f}"


def _finite(value: object) -> float | None:
    number = float(value)
    return number if math.isfinite(number) else None


def _check_count(value: object, name: str) -> int:
    # Counts arrive from SQL and pandas as int, numpy integers, Decimal or whole floats.
    if isinstance(value, bool) or not isinstance(value, numbers.Real | Decimal):
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    if not math.isfinite(value) or value != int(value) or value < 0:
        raise ValueError(f"{name} must be a whole number >= 0, not {value!r}")
    return int(value)


def _check_population(value: object, name: str) -> int | None:
    return None if value is None else _check_count(value, name)


# --- rates --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Rate:
    """Searches per 1,000 residents; ``basis`` says over what time (period or annualised)."""

    searches: int
    population: int | None
    per_1000: float | None
    basis: str
    annualised: bool
    reason: str | None = None


def rate_per_1000(searches: int, population: int | None, period: Period | None = None) -> Rate:
    """Searches / population x 1,000 over the period (not annualised)."""
    searches = _check_count(searches, "searches")
    population = _check_population(population, "population")
    basis = "searches per 1,000 residents" + (f", {period.label}" if period else "")
    value, reason = _per_1000(searches, population)
    return Rate(searches, population, value, basis, annualised=False, reason=reason)


def annualised_rate_per_1000(searches: int, population: int | None, period: Period) -> Rate:
    """Searches / population x 1,000 x 12 / months: an annual-equivalent rate, labelled as such."""
    searches = _check_count(searches, "searches")
    population = _check_population(population, "population")
    basis = (f"searches per 1,000 residents per year (annualised: x 12 / {period.months} "
             f"from {period.label})")
    value, reason = _per_1000(searches, population)
    if value is not None:
        value = value * 12 / period.months
    return Rate(searches, population, value, basis, annualised=True, reason=reason)


def _per_1000(searches: int, population: int | None) -> tuple[float | None, str | None]:
    if population is None:
        return None, Reason.NO_DENOMINATOR
    if population == 0:
        return None, Reason.POPULATION_ZERO
    return searches / population * PER, None


# --- rate ratio -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class RateRatio:
    """Rate of a group / rate of the reference group, with its sampling interval."""

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    method: str | None  # WALD_LOG or EXACT_CONDITIONAL; None without an interval
    confidence: float
    reason: str | None = None


def rate_ratio(count: int, population: int | None, reference_count: int, reference_population: int | None,
               *, exact_below: int = EXACT_BELOW, confidence: float = CONFIDENCE) -> RateRatio:
    """(count / population) / (reference_count / reference_population) with a Poisson interval.

    ``wald-log`` when both counts are at least ``exact_below``, else the exact conditional interval.
    """
    return rate_ratios([(count, population, reference_count, reference_population)],
                       exact_below=exact_below, confidence=confidence)[0]


def rate_ratios(rows: Sequence[tuple[int, int | None, int, int | None]], *, exact_below: int = EXACT_BELOW,
                confidence: float = CONFIDENCE) -> list[RateRatio]:
    """:func:`rate_ratio` of each ``(count, population, reference_count, reference_population)``.

    The intervals of all rows come from one statsmodels call per method, not one per row: a borough
    table or a monthly series needs a few hundred, and each scalar call costs ~0.1 ms.
    """
    checked = [(_check_count(count, "count"), _check_population(population, "population"),
                _check_count(reference_count, "reference count"),
                _check_population(reference_population, "reference population"))
               for count, population, reference_count, reference_population in rows]
    alpha = 1 - confidence
    results: list[RateRatio | None] = [None] * len(checked)
    by_method: dict[str, list[int]] = {WALD_LOG: [], EXACT_CONDITIONAL: []}
    for index, (count, population, reference_count, reference_population) in enumerate(checked):
        missing = _ratio_missing_reason(population, reference_count, reference_population)
        if missing:
            results[index] = RateRatio(None, None, None, None, confidence, missing)
        else:
            by_method[EXACT_CONDITIONAL if min(count, reference_count) < exact_below else WALD_LOG].append(index)
    for method, indices in by_method.items():
        if not indices:
            continue
        count, population, reference_count, reference_population = (
            np.array([checked[index][part] for index in indices], dtype=np.float64) for part in range(4))
        if method == WALD_LOG:
            low, high = confint_poisson_2indep(count, population, reference_count, reference_population,
                                               method=WALD_LOG, compare="ratio", alpha=alpha)
        else:
            low, high = _exact_conditional_interval(count, population, reference_count, reference_population, alpha)
        for position, index in enumerate(indices):
            ratio, _ = _ratio_point(*checked[index])
            results[index] = RateRatio(ratio, _finite(low[position]), _finite(high[position]), method, confidence)
    return results  # type: ignore[return-value]


def _ratio_point(count: int, population: int | None, reference_count: int,
                 reference_population: int | None) -> tuple[float | None, str | None]:
    """The ratio alone (no interval), or None with the reason it cannot be had; counts already checked."""
    missing = _ratio_missing_reason(population, reference_count, reference_population)
    if missing:
        return None, missing
    return _finite((count / population) / (reference_count / reference_population)), None


def _ratio_missing_reason(population: int | None, reference_count: int,
                          reference_population: int | None) -> str | None:
    if population is None:
        return Reason.NO_DENOMINATOR
    if population == 0:
        return Reason.POPULATION_ZERO
    if reference_population is None:
        return Reason.REFERENCE_NO_DENOMINATOR
    if reference_population == 0:
        return Reason.REFERENCE_POPULATION_ZERO
    if reference_count == 0:
        return Reason.ZERO_REFERENCE
    return None


def _exact_conditional_interval(count: np.ndarray, population: np.ndarray, reference_count: np.ndarray,
                                reference_population: np.ndarray, alpha: float) -> tuple[np.ndarray, np.ndarray]:
    # Conditional on the total, count ~ Binomial(count + reference_count, p) with
    # p / (1 - p) = RR * population / reference_population; reference_count > 0 here, so p_high < 1.
    p_low, p_high = proportion_confint(count, count + reference_count, alpha=alpha, method="beta")
    scale = reference_population / population
    return np.asarray(p_low) / (1 - np.asarray(p_low)) * scale, np.asarray(p_high) / (1 - np.asarray(p_high)) * scale


# --- proportions ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Proportion:
    """successes / trials with a Wilson interval; ``suppressed`` when successes < 10."""

    successes: int
    trials: int
    value: float | None
    ci_low: float | None
    ci_high: float | None
    suppressed: bool
    reason: str | None = None
    method: str = WILSON


def wilson_proportion(successes: int, trials: int, *, confidence: float = CONFIDENCE,
                      empty_reason: str = Reason.NOT_RECORDED) -> Proportion:
    """A proportion with its Wilson interval; with no trials the value is None and ``empty_reason``."""
    successes, trials = _check_count(successes, "successes"), _check_count(trials, "trials")
    if successes > trials:
        raise ValueError(f"successes ({successes}) exceed trials ({trials})")
    if trials == 0:
        return Proportion(0, 0, None, None, None, suppressed=True, reason=empty_reason)
    low, high = proportion_confint(successes, trials, alpha=1 - confidence, method=WILSON)
    # The Wilson bounds are exactly 0 at 0 successes and 1 at all successes; statsmodels' floating
    # point leaves ~1e-18 there, which would put the interval beside its own point estimate.
    low = 0.0 if successes == 0 else low
    high = 1.0 if successes == trials else high
    return Proportion(successes, trials, successes / trials, _finite(low), _finite(high),
                      suppressed=is_suppressed(successes))


def unknown_ethnicity_share(unknown: int, known: int) -> Proportion:
    """Share of searches whose ethnicity is unknown ("not stated" or blank), with a Wilson interval."""
    return wilson_proportion(unknown, _check_count(unknown, "unknown") + _check_count(known, "known"),
                             empty_reason=Reason.NO_SEARCHES)


# --- unknown-ethnicity sensitivity ----------------------------------------------------------------
@dataclass(frozen=True)
class SensitivityRange:
    """The ratio vs White if every unknown-ethnicity search were White (low) or in the group (high).

    Not a sampling interval: it bounds what the unknowns could do to the point estimate.
    """

    low: float | None
    high: float | None
    unknown: int
    reason: str | None = None


def unknown_sensitivity(count: int, population: int | None, reference_count: int,
                        reference_population: int | None, unknown: int) -> SensitivityRange:
    """The range of the rate ratio over the two extreme assignments of ``unknown`` searches."""
    unknown = _check_count(unknown, "unknown")
    count, reference_count = _check_count(count, "count"), _check_count(reference_count, "reference count")
    population = _check_population(population, "population")
    reference_population = _check_population(reference_population, "reference population")
    # Point estimates only: the range bounds the estimate, it is not a sampling interval.
    low, low_reason = _ratio_point(count, population, reference_count + unknown, reference_population)
    high, high_reason = _ratio_point(count + unknown, population, reference_count, reference_population)
    return SensitivityRange(low, high, unknown, high_reason or low_reason)


# --- the rate table -------------------------------------------------------------------------------
@dataclass(frozen=True)
class GroupDisparity:
    group: str
    searches: int
    population: int | None
    rate: Rate
    annualised_rate: Rate
    ratio: RateRatio  # vs White; for White itself ratio 1 with no interval
    sensitivity: SensitivityRange
    suppressed: bool

    @property
    def reasons(self) -> tuple[str, ...]:
        found = (self.rate.reason, self.ratio.reason, self.sensitivity.reason)
        return tuple(dict.fromkeys(str(reason) for reason in found if reason))


@dataclass(frozen=True)
class DisparityResult:
    period: Period
    groups: tuple[GroupDisparity, ...]
    unknown_ethnicity: int
    unknown_share: Proportion
    notes: tuple[str, ...]

    @property
    def total_searches(self) -> int:
        return sum(group.searches for group in self.groups) + self.unknown_ethnicity

    def group(self, name: str) -> GroupDisparity:
        for group in self.groups:
            if group.group == name:
                return group
        raise KeyError(name)


def disparity_by_group(searches_by_group: Mapping[str, int], populations: Mapping[str, int] | None, *,
                       period: Period, unknown_ethnicity: int = 0, groups: tuple[str, ...] = ETHNIC_GROUPS,
                       reference: str = REFERENCE_GROUP, exact_below: int = EXACT_BELOW) -> DisparityResult:
    """Rates, ratios vs White, intervals and sensitivity ranges for every group.

    ``searches_by_group`` holds known groups only (a missing group has 0 searches); searches of
    unknown ethnicity go in ``unknown_ethnicity``. ``populations`` None means no denominator.
    Person rates count person searches only: the caller leaves vehicle-only searches out
    (statistics.md, "Rates"), and counts one ethnicity source, never both mixed.
    """
    counts = _group_counts(searches_by_group, groups, int)
    unknown = _check_count(unknown_ethnicity, "unknown_ethnicity")
    population_of = {group: _check_population((populations or {}).get(group), f"population of {group}")
                     for group in groups}
    reference_count, reference_population = counts[reference], population_of[reference]
    results = []
    compared = [group for group in groups if group != reference]
    ratios = dict(zip(compared, rate_ratios([(counts[group], population_of[group], reference_count,
                                              reference_population) for group in compared],
                                            exact_below=exact_below), strict=True))
    for group in groups:
        count, population = counts[group], population_of[group]
        if group == reference:
            ratio = _reference_ratio(count, population)
            sensitivity = SensitivityRange(None, None, unknown, Reason.REFERENCE)
        else:
            ratio = ratios[group]
            sensitivity = unknown_sensitivity(count, population, reference_count, reference_population, unknown)
        results.append(GroupDisparity(
            group=group, searches=count, population=population,
            rate=rate_per_1000(count, population, period),
            annualised_rate=annualised_rate_per_1000(count, population, period),
            ratio=ratio, sensitivity=sensitivity, suppressed=is_suppressed(count),
        ))
    known = sum(counts.values())
    return DisparityResult(period, tuple(results), unknown, unknown_ethnicity_share(unknown, known),
                           notes=(EVENTS_NOT_PEOPLE, SENSITIVITY_NOTE))


def _reference_ratio(count: int, population: int | None) -> RateRatio:
    # White against itself is 1 by definition, with no interval; it still needs a rate to be 1 of.
    missing = _ratio_missing_reason(population, count, population)
    if missing:
        return RateRatio(None, None, None, None, CONFIDENCE, missing)
    return RateRatio(1.0, None, None, None, CONFIDENCE, Reason.REFERENCE)


def _group_counts(counts: Mapping[str, object], groups: tuple[str, ...], kind: type) -> dict:
    unexpected = sorted(set(counts) - set(groups), key=str)
    if unexpected:
        raise ValueError(f"counts for unknown group(s) {unexpected}; expected {', '.join(groups)} "
                         "(searches of unknown ethnicity go in unknown_ethnicity)")
    if kind is int:
        return {group: _check_count(counts.get(group, 0), f"searches of {group}") for group in groups}
    return {group: _as_outcome_counts(counts.get(group), group) for group in groups}


# --- outcome tests --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measure:
    key: str  # the CLI's --measure value
    label: str  # what charts and tables call it
    numerator: str  # what counts as positive
    base: str  # what the proportion is of


FIND_RATE = Measure("find-rate", "find rate (outcome linked to the object of search)",
                    "outcome_linked is true", "searches where outcome_linked is recorded")
REMOVAL_RATE = Measure("removal-rate", "more than outer clothing removed",
                       "removal_more_than_outer is true", "searches where removal_more_than_outer is recorded")
NON_NFA_RATE = Measure("non-nfa-rate", "any outcome other than no further action",
                       "an outcome other than no further action", "searches with an outcome recorded")
OUTCOME_MEASURES: Mapping[str, Measure] = {m.key: m for m in (FIND_RATE, REMOVAL_RATE, NON_NFA_RATE)}
RATE_MEASURE = "rate"


@dataclass(frozen=True)
class OutcomeCounts:
    """For one group: searches, how many had the field recorded, and how many of those were true."""

    searches: int
    recorded: int
    positive: int

    def __post_init__(self) -> None:
        for name in ("searches", "recorded", "positive"):
            _check_count(getattr(self, name), name)
        if not self.positive <= self.recorded <= self.searches:
            raise ValueError(f"need positive <= recorded <= searches, got {self.positive}, "
                             f"{self.recorded}, {self.searches}")


def _as_outcome_counts(value: object, group: str) -> OutcomeCounts:
    if value is None:
        return OutcomeCounts(0, 0, 0)
    if isinstance(value, OutcomeCounts):
        return value
    raise ValueError(f"outcome counts for {group} must be OutcomeCounts, not {value!r}")


@dataclass(frozen=True)
class ProportionRatio:
    """A group's proportion / White's proportion, with a Katz log interval."""

    ratio: float | None
    ci_low: float | None
    ci_high: float | None
    method: str | None
    confidence: float
    reason: str | None = None


@dataclass(frozen=True)
class GroupOutcome:
    group: str
    counts: OutcomeCounts
    proportion: Proportion
    ratio: ProportionRatio
    suppressed: bool  # positive count under 10

    @property
    def reasons(self) -> tuple[str, ...]:
        found = (self.proportion.reason, self.ratio.reason)
        return tuple(dict.fromkeys(str(reason) for reason in found if reason))


@dataclass(frozen=True)
class OutcomeResult:
    measure: Measure
    period: Period
    groups: tuple[GroupOutcome, ...]
    unknown_ethnicity: int
    not_recorded: bool  # the field is blank for the whole selection
    fallback: Measure | None  # what to offer instead when not recorded
    notes: tuple[str, ...]

    def group(self, name: str) -> GroupOutcome:
        for group in self.groups:
            if group.group == name:
                return group
        raise KeyError(name)


def outcome_rates(measure: Measure | str, counts_by_group: Mapping[str, OutcomeCounts], *, period: Period,
                  unknown_ethnicity: int = 0, groups: tuple[str, ...] = ETHNIC_GROUPS,
                  reference: str = REFERENCE_GROUP) -> OutcomeResult:
    """Proportion (Wilson) and ratio vs White for an outcome measure, with the not-recorded rule."""
    measure = OUTCOME_MEASURES[measure] if isinstance(measure, str) else measure
    counts = _group_counts(counts_by_group, groups, OutcomeCounts)
    unknown = _check_count(unknown_ethnicity, "unknown_ethnicity")
    not_recorded = sum(c.recorded for c in counts.values()) == 0
    reference_counts = counts[reference]
    results = []
    for group in groups:
        group_counts = counts[group]
        empty_reason = Reason.NOT_RECORDED if group_counts.searches else Reason.NO_SEARCHES
        proportion = wilson_proportion(group_counts.positive, group_counts.recorded, empty_reason=empty_reason)
        if group == reference:
            ratio = (ProportionRatio(None, None, None, None, CONFIDENCE, proportion.reason)
                     if proportion.value is None else
                     ProportionRatio(1.0, None, None, None, CONFIDENCE, Reason.REFERENCE))
        else:
            ratio = proportion_ratio(group_counts.positive, group_counts.recorded,
                                     reference_counts.positive, reference_counts.recorded,
                                     empty_reason=empty_reason)
        results.append(GroupOutcome(group, group_counts, proportion, ratio,
                                    suppressed=is_suppressed(group_counts.positive)))
    notes = [EVENTS_NOT_PEOPLE, f"{measure.label}: {measure.numerator}, out of {measure.base}."]
    fallback = None
    if not_recorded:
        fallback = NON_NFA_RATE if measure is not NON_NFA_RATE else None
        notes.append(f"{measure.label}: not recorded for any search in this selection"
                     + (f"; see instead '{fallback.label}'." if fallback else "."))
    return OutcomeResult(measure, period, tuple(results), unknown, not_recorded, fallback, tuple(notes))


def find_rate(counts_by_group: Mapping[str, OutcomeCounts], *, period: Period,
              unknown_ethnicity: int = 0) -> OutcomeResult:
    """``outcome_linked`` true / recorded, by group."""
    return outcome_rates(FIND_RATE, counts_by_group, period=period, unknown_ethnicity=unknown_ethnicity)


def removal_rate(counts_by_group: Mapping[str, OutcomeCounts], *, period: Period,
                 unknown_ethnicity: int = 0) -> OutcomeResult:
    """"More than outer clothing removed" true / recorded, by group (never called "strip search")."""
    return outcome_rates(REMOVAL_RATE, counts_by_group, period=period, unknown_ethnicity=unknown_ethnicity)


def non_nfa_rate(counts_by_group: Mapping[str, OutcomeCounts], *, period: Period,
                 unknown_ethnicity: int = 0) -> OutcomeResult:
    """Any outcome other than no further action / outcome recorded, by group: the fallback when
    ``outcome_linked`` is not recorded. ``positive`` counts non-NFA outcomes."""
    return outcome_rates(NON_NFA_RATE, counts_by_group, period=period, unknown_ethnicity=unknown_ethnicity)


def proportion_ratio(positive: int, recorded: int, reference_positive: int, reference_recorded: int, *,
                     confidence: float = CONFIDENCE, empty_reason: str = Reason.NOT_RECORDED) -> ProportionRatio:
    """(positive / recorded) / (reference_positive / reference_recorded), Katz log interval."""
    if recorded == 0:
        return ProportionRatio(None, None, None, None, confidence, empty_reason)
    if reference_recorded == 0:
        return ProportionRatio(None, None, None, None, confidence, Reason.REFERENCE_NOT_RECORDED)
    if reference_positive == 0:
        return ProportionRatio(None, None, None, None, confidence, Reason.REFERENCE_NONE_POSITIVE)
    ratio = (positive / recorded) / (reference_positive / reference_recorded)
    if positive == 0:
        return ProportionRatio(0.0, None, None, None, confidence, Reason.ZERO_CELL)
    # Zero numerators were handled above; a zero "negative" cell (every search positive) gets the
    # 0.5 (Haldane) correction in statsmodels, for the interval only.
    table = Table2x2([[positive, recorded - positive], [reference_positive, reference_recorded - reference_positive]],
                     shift_zeros=True)
    low, high = table.riskratio_confint(alpha=1 - confidence)
    return ProportionRatio(_finite(ratio), _finite(low), _finite(high), KATZ_LOG, confidence)


# --- stopsearch disparity --json ------------------------------------------------------------------
@dataclass(frozen=True)
class DisparityLabels:
    """What the counts are of: echoed into the JSON so a figure never travels without its context."""

    ethnicity_source: str  # "self" or "officer"
    age: str  # the CLI --age value
    area: str  # "london" or a borough
    denominator_source: str | None = None
    denominator_year: int | None = None
    denominator_note: str | None = None
    denominator_suppressed_cells: int | None = None


def disparity_json(*, measure: str, counts: Mapping[str, int] | Mapping[str, OutcomeCounts],
                   unknown_ethnicity: int, populations: Mapping[str, int] | None, period: Period,
                   labels: DisparityLabels, fallback_counts: Mapping[str, OutcomeCounts] | None = None,
                   redact_suppressed: bool = False) -> dict[str, object]:
    """The object ``stopsearch disparity --json`` prints (shared/spec/cli.md), from counts.

    ``measure`` is ``rate`` (``counts``: searches per group; ``populations`` required for rates)
    or an outcome measure (``find-rate``, ``removal-rate``, ``non-nfa-rate``; ``counts``:
    :class:`OutcomeCounts` per group). For an outcome measure recorded for nothing in the selection,
    ``fallback_counts`` (non-NFA counts) are reported under ``"alternative"``, labelled.
    ``redact_suppressed`` nulls the numbers of groups under 10 (for exported packs).
    Every number that cannot be computed is null and the group's ``reason`` says why.
    """
    head: dict[str, object] = {
        "measure": measure,
        "period": period.as_json(),
        "ethnicity_source": labels.ethnicity_source,
        "age": labels.age,
        "area": labels.area,
        "denominator": {
            "source": labels.denominator_source,
            "year": labels.denominator_year,
            "suppressed_cells": labels.denominator_suppressed_cells,
            "note": labels.denominator_note,
        },
        "unknown_ethnicity": _check_count(unknown_ethnicity, "unknown_ethnicity"),
    }
    if measure == RATE_MEASURE:
        rate_counts = {group: (c.searches if isinstance(c, OutcomeCounts) else c) for group, c in counts.items()}
        result = disparity_by_group(rate_counts, populations, period=period, unknown_ethnicity=unknown_ethnicity)
        return head | {
            "label": f"searches per 1,000 residents, {period.label}",
            "unknown_ethnicity_share": result.unknown_share.value,
            "total_searches": result.total_searches,
            "groups": [_rate_group_json(group, redact_suppressed) for group in result.groups],
            "notes": list(result.notes),
        }
    if measure not in OUTCOME_MEASURES:
        raise ValueError(f"unknown measure {measure!r}; expected {RATE_MEASURE}, {', '.join(OUTCOME_MEASURES)}")
    outcome = outcome_rates(measure, counts, period=period, unknown_ethnicity=unknown_ethnicity)
    body = head | _outcome_json(outcome, redact_suppressed)
    if outcome.not_recorded and outcome.fallback is not None and fallback_counts is not None:
        alternative = outcome_rates(outcome.fallback, fallback_counts, period=period,
                                    unknown_ethnicity=unknown_ethnicity)
        body["alternative"] = {"measure": alternative.measure.key} | _outcome_json(alternative, redact_suppressed)
    return body


def _rate_group_json(group: GroupDisparity, redact: bool) -> dict[str, object]:
    entry: dict[str, object] = {
        "group": group.group,
        "searches": group.searches,
        "population": group.population,
        "rate_per_1000": group.rate.per_1000,
        "rate_per_1000_annualised": group.annualised_rate.per_1000,
        "ratio_vs_white": group.ratio.ratio,
        "ci_low": group.ratio.ci_low,
        "ci_high": group.ratio.ci_high,
        "ci_method": group.ratio.method,
        "sensitivity_low": group.sensitivity.low,
        "sensitivity_high": group.sensitivity.high,
        "suppressed": group.suppressed,
        "reason": "; ".join(group.reasons) or None,
    }
    if redact and group.suppressed:
        entry |= dict.fromkeys(("searches", "rate_per_1000", "rate_per_1000_annualised", "ratio_vs_white",
                                "ci_low", "ci_high", "sensitivity_low", "sensitivity_high"))
        entry["reason"] = "; ".join((Reason.SUPPRESSED, *group.reasons))
    return entry


def _outcome_json(result: OutcomeResult, redact: bool) -> dict[str, object]:
    groups = []
    for group in result.groups:
        entry: dict[str, object] = {
            "group": group.group,
            "searches": group.counts.searches,
            "recorded": group.counts.recorded,
            "positive": group.counts.positive,
            "population": None,
            "rate_per_1000": None,
            "proportion": group.proportion.value,
            "proportion_ci_low": group.proportion.ci_low,
            "proportion_ci_high": group.proportion.ci_high,
            "ratio_vs_white": group.ratio.ratio,
            "ci_low": group.ratio.ci_low,
            "ci_high": group.ratio.ci_high,
            "ci_method": group.ratio.method,
            "suppressed": group.suppressed,
            "reason": "; ".join(group.reasons) or None,
        }
        if redact and group.suppressed:
            entry |= dict.fromkeys(("positive", "proportion", "proportion_ci_low", "proportion_ci_high",
                                    "ratio_vs_white", "ci_low", "ci_high"))
            entry["reason"] = "; ".join((Reason.SUPPRESSED, *group.reasons))
        groups.append(entry)
    return {
        "label": result.measure.label,
        "base": result.measure.base,
        "not_recorded": result.not_recorded,
        "fallback_measure": result.fallback.key if result.fallback else None,
        "groups": groups,
        "notes": list(result.notes) + [f"population and rate_per_1000 are null: {Reason.NOT_PER_POPULATION}."],
    }
