"""The borough funnel plot (domain/funnel.py): limits from the formula, suppression, Bonferroni and
Benjamini-Hochberg recomputed by hand; boroughs with real Census populations."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from stopsearch_app.domain.denominators import shipped_denominator_table
from stopsearch_app.domain.funnel import BoroughCounts, boroughs_from_json, funnel


def borough(name, black, white, nb=100_000, nw=400_000, code=None):
    return BoroughCounts(name, code, black, nb, white, nw)


def test_point_and_limits_follow_the_formula():
    result = funnel([borough("A", 400, 500), borough("B", 40, 160)], centre=3.0)
    a = result.points[0]
    assert a.ratio == pytest.approx((400 / 100_000) / (500 / 400_000))
    assert a.volume == pytest.approx(1 / (1 / 400 + 1 / 500))
    assert a.z == pytest.approx((math.log(3.2) - math.log(3.0)) / math.sqrt(1 / 400 + 1 / 500))
    low, high = result.limits(100.0, "95")
    assert low == pytest.approx(3.0 * math.exp(-1.959963985 / 10))
    assert high == pytest.approx(3.0 * math.exp(1.959963985 / 10))
    low998, high998 = result.limits(100.0, "99.8")
    assert low998 < low and high998 > high
    assert result.z["99.8"] == pytest.approx(3.090232306)
    # the funnel narrows with volume
    assert result.limits(1000.0, "95")[1] < high


def test_outside_lists_unadjusted_bonferroni_and_fdr():
    # 32 boroughs: 29 on London's ratio, one mildly high, one very high, one very low.
    boroughs = [borough(f"B{i}", 300, 400) for i in range(29)]  # ratio 3.0
    boroughs += [borough("mild", 360, 400), borough("high", 900, 400), borough("low", 100, 400)]
    result = funnel(boroughs, centre=3.0)
    z_mild = (math.log(3.6) - math.log(3.0)) / math.sqrt(1 / 360 + 1 / 400)
    assert 1.96 < z_mild < 3.09
    assert set(result.outside["95"]) == {"mild", "high", "low"}
    assert set(result.outside["99.8"]) == {"high", "low"}
    bonferroni95 = stats.norm.ppf(1 - 0.05 / (2 * 32))
    assert result.z["95_bonferroni"] == pytest.approx(bonferroni95)
    assert ("mild" in result.outside["95_bonferroni"]) == (abs(z_mild) > bonferroni95)
    # Benjamini-Hochberg by hand
    ps = {p.borough: 2 * stats.norm.sf(abs(p.z)) for p in result.points}
    ordered = sorted(ps.items(), key=lambda kv: kv[1])
    k = max((i + 1 for i, (_b, p) in enumerate(ordered) if p <= 0.05 * (i + 1) / 32), default=0)
    assert set(result.outside["fdr_5pct"]) == {b for b, _p in ordered[:k]}
    body = result.as_json()
    assert body["centre"] == 3.0 and len(body["curve"]["volume"]) == len(body["curve"]["high_95"])
    assert "Bonferroni" in body["note"] and "32 boroughs assessed" in body["note"]


def test_suppressed_and_not_assessable_boroughs():
    result = funnel([borough("small", 9, 300), borough("few white", 50, 7), borough("empty", 20, 20, nb=0),
                     borough("ok", 60, 200)], centre=2.0)
    status = {p.borough: p.status for p in result.points}
    assert status == {"small": "suppressed", "few white": "suppressed", "empty": "not_assessable", "ok": "assessed"}
    assert [p.borough for p in result.assessed] == ["ok"]
    small = result.points[0]
    assert small.ratio is None and small.volume is None  # not drawn, nothing to reveal
    assert result.as_json()["suppressed"] == ["small", "few white"]
    with pytest.raises(ValueError):
        funnel([], centre=0.0)


def test_real_borough_populations_under_the_null():
    """The 33 London areas' Census 2021 residents; searches drawn at one true ratio: about 5% outside 95%."""
    table = shipped_denominator_table()
    names = table.area_names()[1:]
    rng = np.random.default_rng(2026)
    rows, outside = [], 0
    trials = 40
    for _trial in range(trials):
        rows = []
        for name in names:
            pops = table.population(name)
            white = int(rng.poisson(pops["White"] * 0.01))
            black = int(rng.poisson(pops["Black"] * 0.01 * 3.5))
            rows.append({"borough": name, "gss_code": None,
                         "groups": [{"group": "White", "searches": white, "population": pops["White"]},
                                    {"group": "Black", "searches": black, "population": pops["Black"]}]})
        result = funnel(boroughs_from_json(rows), centre=3.5)
        outside += len(result.outside["95"])
    share = outside / (trials * len(result.assessed))
    assert 0.02 < share < 0.09
    assert len(names) == 33  # the 32 boroughs and the City of London (split from Westminster, TS022)
