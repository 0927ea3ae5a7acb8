"""The ratio vs White month by month, and a test of its change over time (shared/spec/statistics.md,
"Beyond one number": trend; JSON shapes in shared/spec/cli.md, ``stopsearch disparity --by month``).

Input: one :class:`MonthCounts` per *covered* month (a month some force in the selection has records
for; uncovered months are not zeros and must not be passed). Each carries searches and the residents
the covered forces serve that month, per group. Populations may differ month to month because the
forces covering a month differ (statistics.md, "Coverage": resident-time).

Per month: the rate per 1,000 residents and the ratio vs White with the interval of
:func:`stopsearch_app.domain.statistics.rate_ratio` (Poisson wald-log; exact conditional under 30).

Trend: a Poisson GLM (statsmodels) of the monthly counts of the group and of White on
``group + time + group:time`` with ``log(residents)`` as offset, time in months since the first
covered month (gaps keep their true distance). ``exp(12 x`` the interaction ``)`` is the factor by which
the ratio changes per year; its 95% Wald interval and p-value come from the same fit. Monthly search
counts are overdispersed (operations, events, weather), so beside the plain Poisson fit the
quasi-Poisson one is computed: the same coefficients, standard errors x sqrt(phi) with
phi = Pearson chi2 / residual df (McCullagh & Nelder 1989, 4.5). The quasi-Poisson figure is the one
*shown* when phi > 1 (it is then wider); the plain Poisson one when phi <= 1 (never narrower than
Poisson). ``method`` says which is shown and ``alternative`` carries the other.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.tools.sm_exceptions import PerfectSeparationWarning

from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.statistics import (CONFIDENCE, REFERENCE_GROUP, _check_count, _check_population,
                                              _month_index, is_suppressed, rate_per_1000, rate_ratios)

POISSON = "poisson-glm"
QUASI_POISSON = "quasi-poisson-glm"
MIN_MONTHS = 3  # fewer covered months leave no residual degrees of freedom worth the name
MONTHS_PER_YEAR = 12
TREND_GROUP = "Black"  # the cli.md trend is Black vs White
MAX_LOG_CHANGE = 50.0  # |12 x log ratio change| beyond this is no estimate (and would overflow exp)
UNBOUNDED = "unbounded"


class TrendReason:
    FEW_MONTHS = "fewer than 3 covered months: no trend"
    NO_GROUP_SEARCHES = "no searches of the group in the covered months: no trend"
    NO_REFERENCE_SEARCHES = "no searches of White people in the covered months: no trend"
    NOT_CONVERGED = "the regression did not converge: no trend"
    UNBOUNDED = "the months cannot bound the trend (its interval spans more than e^50 a year): no trend"


@dataclass(frozen=True)
class MonthCounts:
    """One covered month: searches and covered residents per group (White included)."""

    month: str  # YYYY-MM
    searches: Mapping[str, int]
    populations: Mapping[str, int | None]

    def __post_init__(self) -> None:
        _month_index(self.month)
        for group, count in self.searches.items():
            _check_count(count, f"{self.month} searches of {group}")
        for group, population in self.populations.items():
            _check_population(population, f"{self.month} population of {group}")


@dataclass(frozen=True)
class TrendFit:
    method: str
    ratio_change_per_year: float
    ci_low: float
    ci_high: float
    p_value: float
    scale: float  # 1 for Poisson; phi for quasi-Poisson

    def as_json(self) -> dict[str, object]:
        return {"method": self.method, "ratio_change_per_year": self.ratio_change_per_year,
                "ci_low": self.ci_low, "ci_high": self.ci_high, "p_value": self.p_value}


@dataclass(frozen=True)
class TrendResult:
    """The trend of one group's ratio vs White; ``shown`` is None (with ``reason``) when there is none."""

    group: str
    reference: str
    months: tuple[str, ...]  # the months in the fit
    shown: TrendFit | None
    alternative: TrendFit | None
    dispersion: float | None  # Pearson chi2 / df of the Poisson fit
    reason: str | None = None
    left_out: tuple[str, ...] = ()  # covered months without a population for the group or White

    @property
    def note(self) -> str:
        if self.shown is None:
            return f"Trend of the {self.group} / {self.reference} ratio: {self.reason}."
        fit = self.shown
        change = (fit.ratio_change_per_year - 1) * 100
        direction = "rises" if change >= 0 else "falls"
        other = ("" if self.alternative is None else
                 f"; {_label(self.alternative.method)}: {self.alternative.ci_low:.2f}-{self.alternative.ci_high:.2f}")
        return (f"Trend over {len(self.months)} covered months: the {self.group} / {self.reference} ratio "
                f"{direction} {abs(change):.0f}% a year (x{fit.ratio_change_per_year:.2f} per year, 95% interval "
                f"{fit.ci_low:.2f}-{fit.ci_high:.2f}, p = {_p_text(fit.p_value)}; {_label(fit.method)}, "
                f"dispersion {self.dispersion:.2f}{other}).")

    def as_json(self) -> dict[str, object]:
        shown = self.shown
        return {
            "method": shown.method if shown else None,
            "ratio_change_per_year": shown.ratio_change_per_year if shown else None,
            "ci_low": shown.ci_low if shown else None,
            "ci_high": shown.ci_high if shown else None,
            "p_value": shown.p_value if shown else None,
            "group": self.group,
            "reference": self.reference,
            "months": list(self.months),
            "dispersion": self.dispersion,
            "alternative": self.alternative.as_json() if self.alternative else None,
            "reason": self.reason,
            "left_out_months": list(self.left_out),
            "note": self.note,
        }


# --- the series -----------------------------------------------------------------------------------
def monthly_series(months: Sequence[MonthCounts], *, groups: Sequence[str] = ETHNIC_GROUPS,
                   reference: str = REFERENCE_GROUP) -> list[dict[str, object]]:
    """The ``series`` of ``stopsearch disparity --by month``: per covered month, per group, the rate per
    1,000 covered residents and the ratio vs White with its 95% interval (None with a reason when a
    month has no White searches or no population)."""
    ordered = sorted(months, key=lambda m: _month_index(m.month))
    compared = [group for group in groups if group != reference]
    ratios = iter(rate_ratios([(int(month.searches.get(group, 0)), month.populations.get(group),
                                int(month.searches.get(reference, 0)), month.populations.get(reference))
                               for month in ordered for group in compared]))
    series = []
    for month in ordered:
        entries = []
        for group in groups:
            count = int(month.searches.get(group, 0))
            population = month.populations.get(group)
            rate = rate_per_1000(count, population)
            if group == reference:
                ratio_value, low, high, reason = (1.0 if rate.per_1000 else None), None, None, rate.reason
            else:
                ratio = next(ratios)
                ratio_value, low, high, reason = ratio.ratio, ratio.ci_low, ratio.ci_high, ratio.reason
            entries.append({"group": group, "searches": count, "population": population,
                            "rate_per_1000": rate.per_1000, "ratio_vs_white": ratio_value,
                            "ci_low": low, "ci_high": high, "suppressed": is_suppressed(count),
                            "reason": None if reason is None else str(reason)})
        series.append({"month": month.month, "groups": entries})
    return series


# --- the trend ------------------------------------------------------------------------------------
def ratio_trend(months: Sequence[MonthCounts], *, group: str = TREND_GROUP,
                reference: str = REFERENCE_GROUP, confidence: float = CONFIDENCE) -> TrendResult:
    """Poisson and quasi-Poisson regression of the group's and White's monthly counts (see module)."""
    ordered = sorted(months, key=lambda m: _month_index(m.month))
    usable, left_out = [], []
    for month in ordered:
        populations = (month.populations.get(group), month.populations.get(reference))
        (usable if all(populations) else left_out).append(month)
    used = tuple(m.month for m in usable)

    def empty(reason: str) -> TrendResult:
        return TrendResult(group, reference, used, None, None, None, reason, tuple(m.month for m in left_out))

    if len(usable) < MIN_MONTHS:
        return empty(TrendReason.FEW_MONTHS)
    counts = np.array([[int(m.searches.get(group, 0)), int(m.searches.get(reference, 0))] for m in usable])
    if counts[:, 0].sum() == 0:
        return empty(TrendReason.NO_GROUP_SEARCHES)
    if counts[:, 1].sum() == 0:
        return empty(TrendReason.NO_REFERENCE_SEARCHES)
    populations = np.array([[m.populations[group], m.populations[reference]] for m in usable], dtype=float)
    first = _month_index(usable[0].month)
    times = np.array([_month_index(m.month) - first for m in usable], dtype=float)
    fitted = interaction_fit(counts[:, 0], populations[:, 0], counts[:, 1], populations[:, 1], times,
                             confidence=confidence)
    if fitted is None:
        return empty(TrendReason.NOT_CONVERGED)
    if fitted is UNBOUNDED:
        return empty(TrendReason.UNBOUNDED)
    poisson, quasi, dispersion = fitted
    shown, alternative = (quasi, poisson) if dispersion > 1 else (poisson, quasi)
    return TrendResult(group, reference, used, shown, alternative, dispersion, None,
                       tuple(m.month for m in left_out))


def interaction_fit(counts: Sequence[int], populations: Sequence[float], reference_counts: Sequence[int],
                    reference_populations: Sequence[float], times: Sequence[float], *,
                    confidence: float = CONFIDENCE) -> tuple[TrendFit, TrendFit, float] | str | None:
    """(Poisson fit, quasi-Poisson fit, dispersion) of the group x time interaction, per year.

    Rows: one per time point for the group (indicator 1) and one for the reference (0). Returns None
    when the fit does not converge, :data:`UNBOUNDED` when its interval is no estimate at all. With two time points the model is saturated: the interaction is
    then ln((a2/N2)/(b2/M2) / ((a1/N1)/(b1/M1))) per unit of time, SE sqrt(1/a1+1/b1+1/a2+1/b2).
    """
    times = np.asarray(times, dtype=float)
    y = np.concatenate([np.asarray(counts, dtype=float), np.asarray(reference_counts, dtype=float)])
    exposure = np.concatenate([np.asarray(populations, dtype=float), np.asarray(reference_populations, dtype=float)])
    indicator = np.concatenate([np.ones(len(times)), np.zeros(len(times))])
    t = np.concatenate([times, times])
    design = np.column_stack([np.ones_like(y), indicator, t, indicator * t])
    model = sm.GLM(y, design, family=sm.families.Poisson(), offset=np.log(exposure))
    df = len(y) - design.shape[1]
    try:
        with warnings.catch_warnings():
            if df == 0:  # saturated (two time points): a perfect fit is expected, not a warning sign
                warnings.simplefilter("ignore", (PerfectSeparationWarning, RuntimeWarning))
            result = model.fit()
    except (ValueError, np.linalg.LinAlgError):
        return None
    if not result.converged or not np.all(np.isfinite(result.bse)):
        return None
    beta, se = float(result.params[3]), float(result.bse[3])
    dispersion = float(result.pearson_chi2 / df) if df > 0 else 1.0
    z = stats.norm.ppf(1 - (1 - confidence) / 2)

    def fit(method: str, scale: float) -> TrendFit:
        scaled = se * math.sqrt(scale)
        if method == QUASI_POISSON and df > 0:
            # With phi estimated, the Wald statistic is referred to t on the residual df.
            critical = stats.t.ppf(1 - (1 - confidence) / 2, df)
            p_value = 2 * stats.t.sf(abs(beta / scaled), df)
        else:
            critical = z
            p_value = 2 * stats.norm.sf(abs(beta / scaled))
        logs = [MONTHS_PER_YEAR * value for value in (beta, beta - critical * scaled, beta + critical * scaled)]
        if not all(math.isfinite(value) and abs(value) <= MAX_LOG_CHANGE for value in logs):
            raise _Unbounded
        return TrendFit(method, *(math.exp(value) for value in logs), float(p_value), scale)

    try:
        return fit(POISSON, 1.0), fit(QUASI_POISSON, max(dispersion, 1e-12)), dispersion
    except _Unbounded:
        return UNBOUNDED


class _Unbounded(Exception):
    """A yearly change (or its interval) the counts cannot bound: sparse months, near separation."""


def _label(method: str) -> str:
    return {POISSON: "Poisson regression", QUASI_POISSON: "quasi-Poisson (overdispersion-scaled)"}.get(method, method)


def _p_text(p: float) -> str:
    return "<0.001" if p < 0.001 else f"{p:.3f}"
