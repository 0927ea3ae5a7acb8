"""Monthly ratio series and the trend test (domain/trend.py). Expected values come from a hand-written
Newton-Raphson Poisson fit, the saturated-model formula, or a known generating trend; never from the
module's own output."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from stopsearch_app.domain.statistics import Reason
from stopsearch_app.domain.trend import (POISSON, QUASI_POISSON, MonthCounts, TrendReason, interaction_fit,
                                         monthly_series, ratio_trend)


def months_of(rows, start_year=2023, start_month=1, skip=()):
    """rows: (black, white, black_pop, white_pop); month k is start + k (+ skipped months)."""
    out, k = [], 0
    index = start_year * 12 + start_month - 1
    for row in rows:
        while k in skip:
            k += 1
        year, month = divmod(index + k, 12)
        b, w, nb, nw = row
        out.append(MonthCounts(f"{year}-{month + 1:02d}", {"Black": b, "White": w},
                               {"Black": nb, "White": nw}))
        k += 1
    return out


def newton_poisson(y, X, offset, iterations=50):
    beta = np.zeros(X.shape[1])
    beta[0] = math.log(y.sum() / np.exp(offset).sum())
    for _ in range(iterations):
        mu = np.exp(X @ beta + offset)
        step = np.linalg.solve(X.T @ (mu[:, None] * X), X.T @ (y - mu))
        beta += step
        if np.max(np.abs(step)) < 1e-12:
            break
    mu = np.exp(X @ beta + offset)
    cov = np.linalg.inv(X.T @ (mu[:, None] * X))
    return beta, cov, mu


def test_two_periods_match_the_saturated_formula():
    a1, n1, b1, m1, a2, n2, b2, m2 = 120, 1_000_000, 300, 4_000_000, 150, 1_050_000, 290, 4_100_000
    poisson, _quasi, _phi = interaction_fit([a1, a2], [n1, n2], [b1, b2], [m1, m2], [0.0, 1.0])
    log_change = math.log((a2 / n2) / (b2 / m2)) - math.log((a1 / n1) / (b1 / m1))
    se = math.sqrt(1 / a1 + 1 / b1 + 1 / a2 + 1 / b2)
    assert poisson.ratio_change_per_year == pytest.approx(math.exp(12 * log_change), rel=1e-7)
    assert poisson.ci_low == pytest.approx(math.exp(12 * (log_change - 1.959963985 * se)), rel=1e-6)
    assert poisson.ci_high == pytest.approx(math.exp(12 * (log_change + 1.959963985 * se)), rel=1e-6)
    assert poisson.p_value == pytest.approx(2 * stats.norm.sf(abs(log_change / se)), rel=1e-6)


def test_poisson_and_quasi_poisson_agree_with_a_hand_fit():
    rng = np.random.default_rng(7)
    rows = []
    for t in range(14):
        nb, nw = 1_180_000 + 1000 * t, 4_700_000 - 2000 * t
        rows.append((int(rng.poisson(4000 * 0.99**t * (1.3 if t % 2 else 0.8))),
                     int(rng.poisson(5000 * (1.2 if t % 3 else 0.85))), nb, nw))
    result = ratio_trend(months_of(rows, skip=(5,)))  # a gap: month 5 not covered
    times = np.array([t if t < 5 else t + 1 for t in range(14)], dtype=float)
    y = np.array([r[0] for r in rows] + [r[1] for r in rows], dtype=float)
    offset = np.log([r[2] for r in rows] + [r[3] for r in rows])
    g = np.r_[np.ones(14), np.zeros(14)]
    t = np.r_[times, times]
    X = np.column_stack([np.ones(28), g, t, g * t])
    beta, cov, mu = newton_poisson(y, X, offset)
    se = math.sqrt(cov[3, 3])
    phi = float(((y - mu) ** 2 / mu).sum() / (28 - 4))
    assert phi > 1.5  # built overdispersed
    assert result.dispersion == pytest.approx(phi, rel=1e-6)
    assert result.shown.method == QUASI_POISSON and result.alternative.method == POISSON
    assert result.alternative.ratio_change_per_year == pytest.approx(math.exp(12 * beta[3]), rel=1e-6)
    assert result.alternative.ci_low == pytest.approx(math.exp(12 * (beta[3] - 1.959963985 * se)), rel=1e-5)
    critical = stats.t.ppf(0.975, 24)
    assert result.shown.ci_high == pytest.approx(math.exp(12 * (beta[3] + critical * se * math.sqrt(phi))), rel=1e-5)
    assert result.shown.ci_high - result.shown.ci_low > result.alternative.ci_high - result.alternative.ci_low
    assert len(result.months) == 14 and "2023-06" not in result.months


def test_a_known_trend_is_recovered():
    # Expected counts follow a ratio that falls by 20% a year; large counts, rounded.
    monthly = 0.8 ** (1 / 12)
    rows = [(round(20_000 * monthly**t), 30_000, 1_000_000, 4_000_000) for t in range(24)]
    result = ratio_trend(months_of(rows))
    assert result.shown.ratio_change_per_year == pytest.approx(0.8, abs=0.002)
    assert result.shown.ci_low < 0.8 < result.shown.ci_high
    assert result.shown.p_value < 1e-6
    assert result.shown.method == POISSON  # rounding only: no overdispersion
    assert result.dispersion < 1


def test_few_months_give_no_trend_and_say_why():
    result = ratio_trend(months_of([(50, 80, 10_000, 40_000), (60, 85, 10_000, 40_000)]))
    assert result.shown is None and result.reason == TrendReason.FEW_MONTHS
    body = result.as_json()
    assert body["ratio_change_per_year"] is None and body["reason"] == TrendReason.FEW_MONTHS
    assert "fewer than 3" in result.note


def test_zero_counts_and_a_month_without_white_searches():
    rows = [(0, 40, 10_000, 40_000), (12, 0, 10_000, 40_000), (9, 35, 10_000, 40_000), (15, 44, 10_000, 40_000)]
    months = months_of(rows)
    series = monthly_series(months)
    assert [m["month"] for m in series] == ["2023-01", "2023-02", "2023-03", "2023-04"]
    february = {g["group"]: g for g in series[1]["groups"]}
    assert february["Black"]["ratio_vs_white"] is None
    assert february["Black"]["reason"] == Reason.ZERO_REFERENCE
    assert february["White"]["ratio_vs_white"] is None  # a rate of 0: nothing to be 1 of
    january = {g["group"]: g for g in series[0]["groups"]}
    assert january["Black"]["ratio_vs_white"] == 0.0 and january["Black"]["ci_low"] == 0.0
    result = ratio_trend(months)
    assert result.shown is not None and math.isfinite(result.shown.ratio_change_per_year)
    assert ratio_trend(months_of([(0, 40, 1, 4)] * 4)).reason == TrendReason.NO_GROUP_SEARCHES
    assert ratio_trend(months_of([(5, 0, 1, 4)] * 4)).reason == TrendReason.NO_REFERENCE_SEARCHES


def test_series_uses_the_shared_ratio_interval():
    months = months_of([(500, 800, 100_000, 400_000), (20, 900, 100_000, 400_000), (400, 700, 110_000, 390_000)])
    series = monthly_series(months, groups=("White", "Black"))
    black = [next(g for g in m["groups"] if g["group"] == "Black") for m in series]
    assert black[0]["ratio_vs_white"] == pytest.approx((500 / 100_000) / (800 / 400_000))
    assert black[0]["rate_per_1000"] == pytest.approx(5.0)
    se = math.sqrt(1 / 500 + 1 / 800)
    assert black[0]["ci_low"] == pytest.approx(2.5 * math.exp(-1.959963985 * se), rel=1e-6)
    # Under 30: the exact conditional interval (wider than wald-log would be).
    wald_low = (20 / 100_000) / (900 / 400_000) * math.exp(-1.96 * math.sqrt(1 / 20 + 1 / 900))
    assert black[1]["ci_low"] < wald_low
    assert black[2]["population"] == 110_000


def test_months_without_population_are_left_out_of_the_fit():
    rows = [(50, 80, 10_000, 40_000), (55, 82, None, 40_000), (60, 85, 10_000, 40_000),
            (52, 79, 10_000, 40_000), (58, 90, 10_000, 40_000)]
    result = ratio_trend(months_of(rows))
    assert result.left_out == ("2023-02",) and len(result.months) == 4
    body = result.as_json()
    assert set(body) >= {"method", "ratio_change_per_year", "ci_low", "ci_high", "p_value", "dispersion",
                         "alternative"}
    assert body["alternative"]["method"] in (POISSON, QUASI_POISSON)


def test_real_city_of_london_months(city_months):
    """Dec 2019 - Feb 2020, City of London police.uk CSVs: three covered months, small counts."""
    result = ratio_trend(city_months)
    assert result.months == ("2019-12", "2020-01", "2020-02")
    assert result.shown is not None
    assert result.shown.ci_low < result.shown.ratio_change_per_year < result.shown.ci_high
    series = monthly_series(city_months)
    assert [m["month"] for m in series] == list(result.months)


@pytest.fixture
def city_months():
    from tests.domain.real_counts import CITY_POPULATION, city_of_london_month_counts

    counts = city_of_london_month_counts()
    return [MonthCounts(month, dict(row), dict(CITY_POPULATION)) for month, row in counts.items()]


def test_months_that_cannot_bound_a_trend_give_no_trend_not_an_overflow():
    """A group with no search in the first three months and forty in the fourth (near separation):
    the fitted yearly change is unbounded. It used to overflow math.exp and stop the pack's charts."""
    from stopsearch_app.domain.trend import MonthCounts, TrendReason, ratio_trend

    counts = [(0, 10), (0, 12), (0, 9), (40, 11)]
    months = [MonthCounts(f"2020-0{i + 1}", {"Other": c, "White": w}, {"Other": 481, "White": 5954})
              for i, (c, w) in enumerate(counts)]
    result = ratio_trend(months, group="Other")
    assert result.shown is None and result.reason == TrendReason.UNBOUNDED
    assert result.as_json()["ratio_change_per_year"] is None and "no trend" in result.note
