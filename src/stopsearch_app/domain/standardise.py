"""The directly age-standardised ratio vs White (shared/spec/statistics.md, "Beyond one number").

The Black population of London is younger than the White, and young people are searched far more, so
the crude ratio mixes "more likely to be searched at the same age" with "more often of a searched
age". Direct standardisation applies each group's age-specific rates to one standard population:

    DSR_g = sum_i w_i x d_gi / n_gi,   w_i = S_i / sum S   (x 1,000)

with S_i London's residents (all groups) in age band i, d_gi searches and n_gi residents of group g in
the band. The standardised ratio is DSR_g / DSR_White, shown beside the crude ratio.

Age bands: the records' age ranges (``domain.records.AGE_RANGES``: under 10, 10-17, 18-24, 25-34,
over 34), the finest the searches are recorded in. A selection of one age band standardises nothing
(the standardised and crude ratios are then the same, and the result says so).

Intervals
    * each DSR: Fay & Feuer (1997), "Confidence intervals for directly standardized rates: a method
      based on the gamma distribution", Statistics in Medicine 16:791-801 (conservative; reduces to
      the exact Poisson interval with one band);
    * the ratio of DSRs: log-normal (delta method), var(ln DSR) = sum w_i^2 d_i / n_i^2 / DSR^2, the
      two groups independent; a band with no searches of a group adds nothing to its variance.
      Reasonable when each group has some tens of searches; below that the Fay-Feuer intervals of
      the two DSRs are the better guide.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from scipy import stats

from stopsearch_app.domain.records import AGE_RANGES
from stopsearch_app.domain.statistics import CONFIDENCE, PER, REFERENCE_GROUP, _check_count, rate_ratio

# The records' age ranges as inclusive years for the Census table (None: and over).
AGE_RANGE_YEARS: Mapping[str, tuple[int, int | None]] = {
    "under 10": (0, 9), "10-17": (10, 17), "18-24": (18, 24), "25-34": (25, 34), "over 34": (35, None)}
assert tuple(AGE_RANGE_YEARS) == AGE_RANGES

METHOD = ("direct standardisation to London's residents by age range; Fay-Feuer gamma DSR intervals, "
          "log-normal ratio interval")


class StandardiseReason:
    NO_STANDARD = "the standard population is empty in the selected age ranges"
    NO_POPULATION = "no residents of the group in an age range that has searches"
    NO_REFERENCE = "no searches of White people: no standardised ratio"
    NO_SEARCHES = "no searches of the group"


@dataclass(frozen=True)
class DirectRate:
    """A directly standardised rate per 1,000 with its Fay-Feuer interval."""

    group: str
    rate: float | None
    ci_low: float | None
    ci_high: float | None
    variance: float | None  # of the rate per 1,000
    searches: int
    reason: str | None = None


@dataclass(frozen=True)
class StandardisedRatio:
    group: str
    reference: str
    bands: tuple[str, ...]
    standardised: float | None
    ci_low: float | None
    ci_high: float | None
    crude: float | None
    crude_ci_low: float | None
    crude_ci_high: float | None
    rate: DirectRate
    reference_rate: DirectRate
    reason: str | None = None

    def as_json(self) -> dict[str, object]:
        return {
            "method": METHOD,
            "group": self.group,
            "reference": self.reference,
            "age_ranges": list(self.bands),
            "standardised_ratio": self.standardised,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "crude_ratio": self.crude,
            "crude_ci_low": self.crude_ci_low,
            "crude_ci_high": self.crude_ci_high,
            "standardised_rate_per_1000": self.rate.rate,
            "standardised_rate_ci": [self.rate.ci_low, self.rate.ci_high],
            "reference_standardised_rate_per_1000": self.reference_rate.rate,
            "reference_standardised_rate_ci": [self.reference_rate.ci_low, self.reference_rate.ci_high],
            "reason": self.reason,
            "note": ("One age range: standardisation changes nothing." if len(self.bands) == 1 else
                     "Directly standardised to London's age structure (all residents), records' age ranges."),
        }


def direct_rate(group: str, searches: Mapping[str, int], populations: Mapping[str, int],
                standard: Mapping[str, int], *, confidence: float = CONFIDENCE) -> DirectRate:
    """The directly standardised rate per 1,000 of one group over the bands of ``standard``."""
    total_standard = sum(int(standard[b]) for b in standard)
    counts = {b: _check_count(searches.get(b, 0), f"searches of {group} aged {b}") for b in standard}
    if total_standard <= 0:
        return DirectRate(group, None, None, None, None, sum(counts.values()), StandardiseReason.NO_STANDARD)
    rate = variance = 0.0
    weights_over_population = []  # w_i / n_i: the Poisson weight of one search in band i
    for band, size in standard.items():
        n = int(populations.get(band) or 0)
        w = int(size) / total_standard
        if n <= 0:
            if counts[band] or w > 0:
                return DirectRate(group, None, None, None, None, sum(counts.values()),
                                  StandardiseReason.NO_POPULATION)
            continue
        rate += w * counts[band] / n
        variance += (w / n) ** 2 * counts[band]
        weights_over_population.append(w / n)
    low, high = _fay_feuer(rate, variance, max(weights_over_population), confidence)
    return DirectRate(group, rate * PER, low * PER, high * PER, variance * PER**2, sum(counts.values()))


def standardised_ratio(searches: Mapping[str, Mapping[str, int]], populations: Mapping[str, Mapping[str, int]],
                       standard: Mapping[str, int], *, group: str, reference: str = REFERENCE_GROUP,
                       confidence: float = CONFIDENCE) -> StandardisedRatio:
    """DSR(group) / DSR(White) beside the crude ratio.

    ``searches[g][band]`` and ``populations[g][band]`` per group and band; ``standard[band]`` the
    standard population (London, all groups) over the same bands.
    """
    rate = direct_rate(group, searches.get(group, {}), populations.get(group, {}), standard, confidence=confidence)
    reference_rate = direct_rate(reference, searches.get(reference, {}), populations.get(reference, {}),
                                 standard, confidence=confidence)
    crude = rate_ratio(sum(int(searches.get(group, {}).get(b, 0)) for b in standard),
                       sum(int(populations.get(group, {}).get(b) or 0) for b in standard),
                       sum(int(searches.get(reference, {}).get(b, 0)) for b in standard),
                       sum(int(populations.get(reference, {}).get(b) or 0) for b in standard))
    bands = tuple(standard)

    def result(value=None, low=None, high=None, reason=None) -> StandardisedRatio:
        return StandardisedRatio(group, reference, bands, value, low, high, crude.ratio, crude.ci_low,
                                 crude.ci_high, rate, reference_rate, reason)

    reason = rate.reason or reference_rate.reason
    if reason:
        return result(reason=reason)
    if not reference_rate.rate:
        return result(reason=StandardiseReason.NO_REFERENCE)
    if not rate.rate:
        return result(0.0, reason=StandardiseReason.NO_SEARCHES)
    ratio = rate.rate / reference_rate.rate
    se = math.sqrt(rate.variance / rate.rate**2 + reference_rate.variance / reference_rate.rate**2)
    z = stats.norm.ppf(1 - (1 - confidence) / 2)
    return result(ratio, ratio * math.exp(-z * se), ratio * math.exp(z * se))


def standard_from_table(table, area: str = "london", bands: Mapping[str, tuple[int, int | None]] = AGE_RANGE_YEARS,
                        ) -> tuple[dict[str, int], dict[str, dict[str, int]]]:
    """(standard population per band, populations[group][band]) from a DenominatorTable."""
    standard: dict[str, int] = {}
    by_group: dict[str, dict[str, int]] = {}
    for band, (first, last) in bands.items():
        selection = table.select_years(area, first, last, band_name=band)
        standard[band] = selection.total
        for group, count in selection.populations.items():
            by_group.setdefault(group, {})[band] = count
    return standard, by_group


def _fay_feuer(rate: float, variance: float, max_weight: float, confidence: float) -> tuple[float, float]:
    # Fay & Feuer (1997), eq. 5-6: gamma with the DSR's mean and variance, the upper one with one
    # more "search" of the largest weight added.
    alpha = 1 - confidence
    low = 0.0 if rate == 0 else stats.gamma.ppf(alpha / 2, rate**2 / variance, scale=variance / rate)
    rate_up, variance_up = rate + max_weight, variance + max_weight**2
    high = stats.gamma.ppf(1 - alpha / 2, rate_up**2 / variance_up, scale=variance_up / rate_up)
    return float(low), float(high)
