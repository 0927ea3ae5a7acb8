"""Directly age-standardised ratio (domain/standardise.py): one band reduces to the exact Poisson
interval; equal age-specific ratios give that ratio whatever the age structures (while the crude ratio
is confounded); a hand computation; London's standard from the shipped Census table."""

from __future__ import annotations

import math

import pytest
from scipy import stats

from stopsearch_app.domain.denominators import shipped_denominator_table
from stopsearch_app.domain.standardise import (AGE_RANGE_YEARS, StandardiseReason, direct_rate,
                                               standard_from_table, standardised_ratio)


def test_one_band_is_the_crude_rate_with_the_exact_poisson_interval():
    rate = direct_rate("Black", {"all": 37}, {"all": 231}, {"all": 8581})
    assert rate.rate == pytest.approx(37 / 231 * 1000)
    assert rate.ci_low == pytest.approx(stats.chi2.ppf(0.025, 74) / 2 / 231 * 1000, rel=1e-9)
    assert rate.ci_high == pytest.approx(stats.chi2.ppf(0.975, 76) / 2 / 231 * 1000, rel=1e-9)


def test_equal_age_specific_ratios_survive_different_age_structures():
    # The group is young, White old; in every band the group's rate is 2x White's.
    white_rates = {"young": 0.05, "old": 0.005}
    populations = {"Black": {"young": 600_000, "old": 400_000}, "White": {"young": 1_000_000, "old": 3_000_000}}
    searches = {g: {b: round(populations[g][b] * white_rates[b] * (2 if g == "Black" else 1)) for b in white_rates}
                for g in populations}
    standard = {"young": 1_600_000, "old": 3_400_000}
    result = standardised_ratio(searches, populations, standard, group="Black")
    assert result.standardised == pytest.approx(2.0, rel=1e-9)
    assert result.ci_low < 2.0 < result.ci_high
    crude = (sum(searches["Black"].values()) / 1_000_000) / (sum(searches["White"].values()) / 4_000_000)
    assert result.crude == pytest.approx(crude)
    assert crude > 3.5  # confounded by age: the young group looks almost twice as disproportionate again


def test_hand_computation_of_rates_and_the_log_normal_interval():
    searches = {"Black": {"a": 30, "b": 120, "c": 15}, "White": {"a": 20, "b": 90, "c": 60}}
    populations = {"Black": {"a": 20_000, "b": 30_000, "c": 40_000}, "White": {"a": 50_000, "b": 60_000, "c": 200_000}}
    standard = {"a": 100_000, "b": 150_000, "c": 350_000}
    total = sum(standard.values())
    dsr, var = {}, {}
    for g in ("Black", "White"):
        dsr[g] = sum(standard[b] / total * searches[g][b] / populations[g][b] for b in standard)
        var[g] = sum((standard[b] / total / populations[g][b]) ** 2 * searches[g][b] for b in standard)
    ratio = dsr["Black"] / dsr["White"]
    se = math.sqrt(var["Black"] / dsr["Black"] ** 2 + var["White"] / dsr["White"] ** 2)
    result = standardised_ratio(searches, populations, standard, group="Black")
    assert result.rate.rate == pytest.approx(dsr["Black"] * 1000)
    assert result.reference_rate.rate == pytest.approx(dsr["White"] * 1000)
    assert result.standardised == pytest.approx(ratio)
    assert result.ci_low == pytest.approx(ratio * math.exp(-1.959963985 * se), rel=1e-7)
    assert result.ci_high == pytest.approx(ratio * math.exp(1.959963985 * se), rel=1e-7)
    # Fay-Feuer: gamma with the DSR's mean and variance
    low = stats.gamma.ppf(0.025, dsr["Black"] ** 2 / var["Black"], scale=var["Black"] / dsr["Black"])
    assert result.rate.ci_low == pytest.approx(low * 1000, rel=1e-7)
    assert result.as_json()["crude_ratio"] == pytest.approx(result.crude)


def test_missing_pieces_say_why():
    standard = {"a": 10, "b": 10}
    no_white = standardised_ratio({"Black": {"a": 3}, "White": {}}, {"Black": {"a": 5, "b": 5},
                                  "White": {"a": 5, "b": 5}}, standard, group="Black")
    assert no_white.standardised is None and no_white.reason == StandardiseReason.NO_REFERENCE
    no_pop = standardised_ratio({"Black": {"a": 3}, "White": {"a": 2}}, {"Black": {"b": 5},
                                "White": {"a": 5, "b": 5}}, standard, group="Black")
    assert no_pop.reason == StandardiseReason.NO_POPULATION


def test_london_standard_from_the_shipped_table():
    table = shipped_denominator_table()
    standard, by_group = standard_from_table(table)
    assert tuple(standard) == tuple(AGE_RANGE_YEARS)
    everyone = table.select("london", "all")
    assert sum(standard.values()) == everyone.total
    assert sum(by_group["Black"].values()) == everyone.populations["Black"]
    assert by_group["Black"]["10-17"] == table.population("london", "10-17")["Black"]
    # The Black population is younger than the White (statistics.md): a larger share under 25.
    young = {g: (by_group[g]["under 10"] + by_group[g]["10-17"] + by_group[g]["18-24"]) / sum(by_group[g].values())
             for g in ("Black", "White")}
    assert young["Black"] > young["White"] + 0.05


def test_real_met_month_standardised_below_crude():
    """Met September 2022 (person searches with an age, self-defined ethnicity), London's Census
    residents: the Black population is younger, so standardising to London's age structure lowers
    the ratio (crude 2.65, standardised 2.42)."""
    import pandas as pd

    from tests.conftest import MET_SEPTEMBER_2022

    frame = pd.read_csv(MET_SEPTEMBER_2022)
    frame = frame[frame["Type"] != "Vehicle search"].dropna(subset=["Age range"])
    frame["group"] = frame["Self-defined ethnicity"].str.extract(r"^(\w+)")[0]
    counts = frame.groupby(["group", "Age range"]).size()
    searches = {g: {band: int(counts.get((g, band), 0)) for band in AGE_RANGE_YEARS} for g in ("Black", "White")}
    assert searches["Black"]["10-17"] == 477  # the figure tests/ui/test_disparity_view.py checks
    standard, populations = standard_from_table(shipped_denominator_table())
    result = standardised_ratio(searches, populations, standard, group="Black")
    crude = ((sum(searches["Black"].values()) / sum(populations["Black"].values()))
             / (sum(searches["White"].values()) / sum(populations["White"].values())))
    assert result.crude == pytest.approx(crude)
    total = sum(standard.values())
    dsr = {g: sum(standard[b] / total * searches[g][b] / populations[g][b] for b in standard) for g in searches}
    assert result.standardised == pytest.approx(dsr["Black"] / dsr["White"])
    assert result.standardised < result.crude
    assert result.ci_low < result.standardised < result.ci_high < result.crude
