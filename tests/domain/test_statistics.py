"""Disproportionality statistics over counts (shared/spec/statistics.md; shared/reference/domain.md
section 6; the JSON of shared/spec/cli.md ``stopsearch disparity``).

Expected values are the published cross-checks, or are recomputed in the test from the textbook
formulas (domain.md section 6) or from a different statsmodels routine than the code uses, never
copied from the code's own output.
"""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.stats import norm
from statsmodels.stats.rates import test_poisson_2indep as poisson_2indep_test

from stopsearch_app.domain.denominators import shipped_denominator_table
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.statistics import (
    EXACT_CONDITIONAL,
    FIND_RATE,
    KATZ_LOG,
    NON_NFA_RATE,
    REMOVAL_RATE,
    WALD_LOG,
    DisparityLabels,
    OutcomeCounts,
    Period,
    Reason,
    annualised_rate_per_1000,
    disparity_by_group,
    disparity_json,
    find_rate,
    format_cell,
    is_suppressed,
    non_nfa_rate,
    outcome_rates,
    proportion_ratio,
    rate_per_1000,
    rate_ratio,
    rate_ratios,
    removal_rate,
    unknown_ethnicity_share,
    unknown_sensitivity,
    wilson_proportion,
)

Z = norm.ppf(0.975)
YEAR_TO_MARCH_2024 = Period.between("2023-04", "2024-03")

# Published (statistics.md "Cross-checks"; domain.md section 6 "Worked check for unit tests").
MET_BLACK_SEARCHES_2023_24 = 49_561
LONDON_BLACK_RESIDENTS = 1_188_370
PUBLISHED_BLACK_RATE = 41.7
PUBLISHED_WHITE_RATE = 11.1
PUBLISHED_RATIO = 3.8
WORKED_WHITE_RESIDENTS = 4_731_172
WORKED_WHITE_SEARCHES = 52_516
WORKED_RATIO, WORKED_CI = 3.757, (3.711, 3.804)


def _wald_log_by_hand(a: int, na: int, b: int, nb: int) -> tuple[float, float, float]:
    ratio = (a / na) / (b / nb)
    se = math.sqrt(1 / a + 1 / b)  # domain.md section 6: SE(ln RR) = sqrt(1/a + 1/b)
    return ratio, ratio * math.exp(-Z * se), ratio * math.exp(Z * se)


def _wilson_by_hand(k: int, n: int) -> tuple[float, float]:
    p = k / n
    centre = (p + Z**2 / (2 * n)) / (1 + Z**2 / n)
    half = Z * math.sqrt(p * (1 - p) / n + Z**2 / (4 * n**2)) / (1 + Z**2 / n)
    return centre - half, centre + half


def _labels(**overrides) -> DisparityLabels:
    values = dict(ethnicity_source="self", age="all", area="london", denominator_source="ONS Census 2021",
                  denominator_year=2021)
    return DisparityLabels(**(values | overrides))


# --- published cross-checks -----------------------------------------------------------------------
def test_published_black_rate_41_7():
    rate = rate_per_1000(MET_BLACK_SEARCHES_2023_24, LONDON_BLACK_RESIDENTS, YEAR_TO_MARCH_2024)
    assert round(rate.per_1000, 1) == PUBLISHED_BLACK_RATE
    assert rate.reason is None and not rate.annualised


def test_published_rates_and_ratio_with_the_shipped_census_table():
    london = shipped_denominator_table().population("london", "all")
    # The White count that gives the published 11.1 per 1,000 on the shipped White population.
    white_searches = round(PUBLISHED_WHITE_RATE * london["White"] / 1000)
    result = disparity_by_group({"Black": MET_BLACK_SEARCHES_2023_24, "White": white_searches}, london,
                                period=YEAR_TO_MARCH_2024)
    black, white = result.group("Black"), result.group("White")
    assert round(black.rate.per_1000, 1) == PUBLISHED_BLACK_RATE
    assert round(white.rate.per_1000, 1) == PUBLISHED_WHITE_RATE
    assert round(black.ratio.ratio, 1) == PUBLISHED_RATIO
    assert black.ratio.method == WALD_LOG
    assert black.ratio.ci_low < black.ratio.ratio < black.ratio.ci_high
    # A full year: the annualised rate is the rate.
    assert black.annualised_rate.per_1000 == pytest.approx(black.rate.per_1000)


def test_worked_wald_log_interval_from_domain_reference():
    ratio = rate_ratio(MET_BLACK_SEARCHES_2023_24, LONDON_BLACK_RESIDENTS,
                       WORKED_WHITE_SEARCHES, WORKED_WHITE_RESIDENTS)
    assert ratio.method == WALD_LOG
    assert round(ratio.ratio, 3) == WORKED_RATIO
    assert (round(ratio.ci_low, 3), round(ratio.ci_high, 3)) == WORKED_CI
    expected = _wald_log_by_hand(MET_BLACK_SEARCHES_2023_24, LONDON_BLACK_RESIDENTS,
                                 WORKED_WHITE_SEARCHES, WORKED_WHITE_RESIDENTS)
    assert (ratio.ratio, ratio.ci_low, ratio.ci_high) == pytest.approx(expected, rel=1e-9)


# --- exact vs wald-log at 30 ----------------------------------------------------------------------
@pytest.mark.parametrize(("a", "b", "method"), [
    (30, 30, WALD_LOG), (29, 30, EXACT_CONDITIONAL), (30, 29, EXACT_CONDITIONAL),
    (1000, 29, EXACT_CONDITIONAL), (29, 1000, EXACT_CONDITIONAL), (31, 5000, WALD_LOG), (0, 500, EXACT_CONDITIONAL),
])
def test_interval_method_switches_at_30(a, b, method):
    assert rate_ratio(a, 10_000, b, 40_000).method == method


def test_wald_log_matches_the_textbook_formula_at_the_threshold():
    ratio = rate_ratio(30, 10_000, 30, 40_000)
    assert (ratio.ratio, ratio.ci_low, ratio.ci_high) == pytest.approx(_wald_log_by_hand(30, 10_000, 30, 40_000))


@pytest.mark.parametrize(("a", "na", "b", "nb"), [(5, 1000, 12, 3000), (29, 20_000, 400, 80_000), (3, 500, 3, 500)])
def test_exact_interval_inverts_statsmodels_exact_conditional_test(a, na, b, nb):
    # Each bound is where the one-sided exact-cond test has p = 0.025 (statsmodels' own test).
    ratio = rate_ratio(a, na, b, nb)
    assert ratio.method == EXACT_CONDITIONAL
    p_low = poisson_2indep_test(a, na, b, nb, value=ratio.ci_low, method="exact-cond",
                                compare="ratio", alternative="larger").pvalue
    p_high = poisson_2indep_test(a, na, b, nb, value=ratio.ci_high, method="exact-cond",
                                 compare="ratio", alternative="smaller").pvalue
    assert p_low == pytest.approx(0.025, abs=1e-6)
    assert p_high == pytest.approx(0.025, abs=1e-6)
    assert ratio.ratio == pytest.approx((a / na) / (b / nb))


def _one_at_a_time(a: int, na: int | None, b: int, nb: int | None) -> tuple:
    """The interval of one comparison straight from statsmodels' scalar routines (no batching)."""
    from statsmodels.stats.proportion import proportion_confint
    from statsmodels.stats.rates import confint_poisson_2indep

    if not na or not nb or b == 0:
        return None, None
    if min(a, b) < 30:
        p_low, p_high = proportion_confint(a, a + b, alpha=0.05, method="beta")
        scale = nb / na
        return float(p_low) / (1 - float(p_low)) * scale, float(p_high) / (1 - float(p_high)) * scale
    low, high = confint_poisson_2indep(a, na, b, nb, method="wald-log", compare="ratio", alpha=0.05)
    return float(low), float(high)


counts_drawn = st.one_of(st.integers(0, 40), st.integers(0, 200_000))
populations_drawn = st.one_of(st.none(), st.just(0), st.integers(1, 9_000_000))


@settings(max_examples=60, deadline=None)
@given(rows=st.lists(st.tuples(counts_drawn, populations_drawn, counts_drawn, populations_drawn), max_size=40))
def test_a_batch_of_ratios_gives_what_each_comparison_gives_alone(rows):
    # A borough table or a monthly series asks for hundreds of ratios in one batch: each must be the
    # figure that comparison has on its own, whatever the others in the batch (either method, reasons).
    batch = rate_ratios(rows)
    assert len(batch) == len(rows)
    for (a, na, b, nb), ratio in zip(rows, batch, strict=True):
        alone = rate_ratio(a, na, b, nb)
        assert ratio == alone
        low, high = _one_at_a_time(a, na, b, nb)
        assert (ratio.ci_low, ratio.ci_high) == (pytest.approx(low, rel=1e-12) if low is not None else None,
                                                 pytest.approx(high, rel=1e-12) if high is not None else None)
        if low is not None:
            assert ratio.ratio == pytest.approx((a / na) / (b / nb), rel=1e-12)
        else:
            assert ratio.ratio is None and ratio.reason


# --- zeros and missing numbers --------------------------------------------------------------------
def test_zero_searches_in_a_group_gives_ratio_zero_with_an_upper_bound():
    ratio = rate_ratio(0, 50_000, 200, 300_000)
    assert ratio.ratio == 0.0 and ratio.ci_low == 0.0
    assert 0 < ratio.ci_high < math.inf
    assert ratio.reason is None
    assert rate_per_1000(0, 50_000).per_1000 == 0.0


def test_zero_searches_in_white_gives_no_ratio_and_says_why():
    result = disparity_by_group({"Black": 40, "White": 0}, {g: 100_000 for g in ETHNIC_GROUPS}, period=YEAR_TO_MARCH_2024)
    black = result.group("Black")
    assert black.ratio.ratio is None and black.ratio.ci_low is None and black.ratio.ci_high is None
    assert black.ratio.reason == "zero searches in the reference group (White)"
    assert black.rate.per_1000 == pytest.approx(0.4)
    assert result.group("White").ratio.reason == Reason.ZERO_REFERENCE


@pytest.mark.parametrize(("population", "reason"), [(None, "no denominator"), (0, "population is zero")])
def test_missing_or_zero_population(population, reason):
    rate = rate_per_1000(12, population)
    assert rate.per_1000 is None and rate.reason == reason
    assert rate_ratio(12, population, 50, 1000).reason == reason


@pytest.mark.parametrize(("population", "reason"), [
    (None, "no denominator for the reference group (White)"), (0, "population is zero in the reference group (White)")])
def test_missing_or_zero_reference_population(population, reason):
    assert rate_ratio(12, 1000, 50, population).reason == reason


def test_no_denominator_at_all():
    result = disparity_by_group({"Black": 12, "White": 40}, None, period=YEAR_TO_MARCH_2024)
    for group in result.groups:
        assert group.rate.per_1000 is None and group.rate.reason == "no denominator"
        assert group.ratio.ratio is None


# --- period and annualised ------------------------------------------------------------------------
def test_one_month_period_annualises_by_twelve():
    one_month = Period.between("2022-09", "2022-09")
    assert one_month.months == 1
    rate = rate_per_1000(852, 164_575, one_month)
    annual = annualised_rate_per_1000(852, 164_575, one_month)
    assert annual.per_1000 == pytest.approx(852 / 164_575 * 1000 * 12)
    assert rate.per_1000 == pytest.approx(852 / 164_575 * 1000)
    assert annual.annualised and "annualised" in annual.basis and "x 12 / 1" in annual.basis
    assert "annualised" not in rate.basis


def test_period_months_and_missing_months():
    assert Period.between("2023-11", "2024-02").months == 4
    assert Period.between("2023-11", "2024-02", months=3).months == 3
    assert annualised_rate_per_1000(30, 1000, Period.between("2024-01", "2024-03")).per_1000 == pytest.approx(120.0)
    for bad in (("2024-03", "2024-01"), ("2024-13", "2024-14"), ("March", "2024-01")):
        with pytest.raises(ValueError):
            Period.between(*bad)
    with pytest.raises(ValueError):
        Period.between("2024-01", "2024-03", months=4)


# --- suppression and display ----------------------------------------------------------------------
def test_suppression_threshold_is_ten():
    assert is_suppressed(9) and is_suppressed(0) and not is_suppressed(10)
    result = disparity_by_group({"Black": 9, "White": 10}, {g: 1000 for g in ETHNIC_GROUPS}, period=YEAR_TO_MARCH_2024)
    assert result.group("Black").suppressed and not result.group("White").suppressed


def test_format_cell():
    assert format_cell(5, suppressed=True) == "<10"
    assert format_cell(41.70467) == "41.7"
    assert format_cell(49_561) == "49,561"
    assert format_cell(None, reason=Reason.ZERO_REFERENCE) == "zero searches in the reference group (White)"
    assert format_cell(float("nan")) == "n/a"
    assert format_cell(0.196, percent=True) == "19.6%"


# --- unknown ethnicity ----------------------------------------------------------------------------
def test_unknown_share_and_sensitivity_by_hand():
    populations = {"White": 400_000, "Black": 100_000, "Asian": 150_000, "Mixed": 40_000, "Other": 30_000}
    counts = {"White": 2_000, "Black": 1_500, "Asian": 700, "Mixed": 150, "Other": 90}
    unknown = 600
    result = disparity_by_group(counts, populations, period=YEAR_TO_MARCH_2024, unknown_ethnicity=unknown)
    assert result.unknown_share.value == pytest.approx(600 / 5_040)
    black = result.group("Black")
    assert black.sensitivity.low == pytest.approx((1_500 / 100_000) / (2_600 / 400_000))
    assert black.sensitivity.high == pytest.approx((2_100 / 100_000) / (2_000 / 400_000))
    # Kept apart from the sampling interval: a different, wider range here.
    assert black.sensitivity.low < black.ratio.ci_low < black.ratio.ci_high < black.sensitivity.high
    assert result.group("White").sensitivity.reason == "reference group (White)"


def test_all_unknown_ethnicity():
    result = disparity_by_group({}, {g: 10_000 for g in ETHNIC_GROUPS}, period=YEAR_TO_MARCH_2024,
                                unknown_ethnicity=500)
    assert result.unknown_share.value == 1.0
    assert result.total_searches == 500
    for group in result.groups:
        assert group.searches == 0 and group.rate.per_1000 == 0.0
        assert group.ratio.ratio is None
    black = result.group("Black")
    assert black.sensitivity.low == 0.0  # all 500 White: Black's rate stays 0
    assert black.sensitivity.high is None and black.sensitivity.reason == Reason.ZERO_REFERENCE


def test_no_searches_at_all():
    share = unknown_ethnicity_share(0, 0)
    assert share.value is None and share.reason == "no searches in the group"


# --- proportions ----------------------------------------------------------------------------------
@pytest.mark.parametrize(("k", "n"), [(0, 10), (12, 50), (333, 1_000), (50, 50)])
def test_wilson_interval_matches_the_formula(k, n):
    proportion = wilson_proportion(k, n)
    assert proportion.value == pytest.approx(k / n)
    assert (proportion.ci_low, proportion.ci_high) == pytest.approx(_wilson_by_hand(k, n), abs=1e-12)
    assert proportion.suppressed == (k < 10)


def test_wilson_with_nothing_recorded():
    proportion = wilson_proportion(0, 0)
    assert proportion.value is None and proportion.reason == "not recorded"
    with pytest.raises(ValueError):
        wilson_proportion(5, 4)


def test_proportion_ratio_matches_katz_log_formula():
    a, n1, c, n2 = 120, 400, 300, 900
    ratio = proportion_ratio(a, n1, c, n2)
    expected = (a / n1) / (c / n2)
    se = math.sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2)  # domain.md section 6 (Katz)
    assert ratio.method == KATZ_LOG
    assert (ratio.ratio, ratio.ci_low, ratio.ci_high) == pytest.approx(
        (expected, expected * math.exp(-Z * se), expected * math.exp(Z * se)))


# --- outcome tests and the not-recorded rule ------------------------------------------------------
def test_find_rate_blank_everywhere_is_not_recorded_and_offers_non_nfa():
    counts = {"White": OutcomeCounts(400, 0, 0), "Black": OutcomeCounts(300, 0, 0)}
    result = find_rate(counts, period=YEAR_TO_MARCH_2024)
    assert result.not_recorded
    assert result.fallback is NON_NFA_RATE
    assert result.fallback.label == "any outcome other than no further action"
    for group in result.groups:
        assert group.proportion.value is None
        assert group.proportion.reason in ("not recorded", "no searches in the group")
    assert result.group("Black").proportion.reason == "not recorded"
    assert any("not recorded" in note for note in result.notes)


def test_find_rate_by_group():
    counts = {"White": OutcomeCounts(400, 380, 114), "Black": OutcomeCounts(300, 300, 60),
              "Asian": OutcomeCounts(50, 0, 0)}
    result = find_rate(counts, period=YEAR_TO_MARCH_2024)
    assert not result.not_recorded and result.fallback is None
    assert result.group("White").proportion.value == pytest.approx(114 / 380)
    assert result.group("Black").ratio.ratio == pytest.approx((60 / 300) / (114 / 380))
    assert result.group("Asian").proportion.reason == "not recorded"  # recorded elsewhere, not for this group
    assert result.group("Mixed").proportion.reason == "no searches in the group"


def test_find_rate_with_no_finds_in_white():
    result = find_rate({"White": OutcomeCounts(40, 40, 0), "Black": OutcomeCounts(40, 40, 12)}, period=YEAR_TO_MARCH_2024)
    assert result.group("Black").ratio.ratio is None
    assert result.group("Black").ratio.reason == "none in the reference group (White)"


def test_removal_rate_label_and_non_nfa_have_no_fallback():
    counts = {"White": OutcomeCounts(100, 90, 3), "Black": OutcomeCounts(80, 80, 11)}
    removal = removal_rate(counts, period=YEAR_TO_MARCH_2024)
    assert removal.measure is REMOVAL_RATE
    assert "strip" not in removal.measure.label and "more than outer clothing" in removal.measure.label
    assert removal.group("White").suppressed and not removal.group("Black").suppressed
    blank = non_nfa_rate({"White": OutcomeCounts(5, 0, 0)}, period=YEAR_TO_MARCH_2024)
    assert blank.not_recorded and blank.fallback is None
    assert outcome_rates("find-rate", counts, period=YEAR_TO_MARCH_2024).measure is FIND_RATE


def test_outcome_counts_must_be_consistent():
    with pytest.raises(ValueError):
        OutcomeCounts(10, 11, 0)
    with pytest.raises(ValueError):
        OutcomeCounts(10, 5, 6)


# --- input checking -------------------------------------------------------------------------------
def test_counts_are_checked():
    with pytest.raises(ValueError, match="Not stated"):
        disparity_by_group({"Not stated": 5}, None, period=YEAR_TO_MARCH_2024)
    with pytest.raises(ValueError, match="whole number"):
        disparity_by_group({"Black": -1}, None, period=YEAR_TO_MARCH_2024)
    with pytest.raises(ValueError, match="whole number"):
        rate_per_1000(2.5, 100)


def test_counts_from_numpy_and_decimal_are_accepted():
    import decimal

    import numpy as np

    assert rate_per_1000(np.int64(5), np.int64(1000)).per_1000 == pytest.approx(5.0)
    assert rate_per_1000(decimal.Decimal(5), 1000).per_1000 == pytest.approx(5.0)


# --- stopsearch disparity --json ------------------------------------------------------------------
CLI_TOP_KEYS = {"measure", "period", "ethnicity_source", "age", "area", "denominator", "unknown_ethnicity", "groups"}
CLI_GROUP_KEYS = {"group", "searches", "population", "rate_per_1000", "ratio_vs_white", "ci_low", "ci_high", "suppressed"}


def test_disparity_json_has_the_cli_contract_shape():
    table = shipped_denominator_table()
    selection = table.select("london", "10-17")
    labels = _labels(ethnicity_source="officer", age="10-17", denominator_source=table.metadata.source,
                     denominator_year=table.metadata.year, denominator_note=selection.note,
                     denominator_suppressed_cells=selection.suppressed_cells)
    out = disparity_json(measure="rate", counts={"White": 700, "Black": 852, "Asian": 310, "Mixed": 5},
                         unknown_ethnicity=42, populations=selection.populations,
                         period=Period.between("2022-09", "2022-09"), labels=labels)
    json.dumps(out, allow_nan=False)
    assert CLI_TOP_KEYS <= set(out)
    assert out["measure"] == "rate" and out["age"] == "10-17" and out["ethnicity_source"] == "officer"
    assert out["period"] == {"from": "2022-09", "to": "2022-09", "months": 1}
    assert out["denominator"]["source"] == table.metadata.source and out["denominator"]["year"] == 2021
    assert out["unknown_ethnicity"] == 42
    assert [g["group"] for g in out["groups"]] == list(ETHNIC_GROUPS)
    groups = {g["group"]: g for g in out["groups"]}
    for entry in groups.values():
        assert CLI_GROUP_KEYS <= set(entry)
    black = groups["Black"]
    assert black["searches"] == 852 and black["population"] == selection.populations["Black"]
    assert black["rate_per_1000"] == pytest.approx(852 / selection.populations["Black"] * 1000)
    assert black["ci_low"] < black["ratio_vs_white"] < black["ci_high"]  # as shared/tools/contract-check
    assert black["suppressed"] is False and black["reason"] is None
    assert groups["Mixed"]["suppressed"] is True and groups["Mixed"]["searches"] == 5
    assert groups["Other"]["searches"] == 0
    assert groups["White"]["ratio_vs_white"] == 1.0 and groups["White"]["ci_low"] is None
    assert groups["White"]["reason"] == "reference group (White)"


def test_disparity_json_nulls_carry_reasons():
    out = disparity_json(measure="rate", counts={"Black": 40}, unknown_ethnicity=0,
                         populations={"Black": 1000, "White": 5000}, period=YEAR_TO_MARCH_2024, labels=_labels())
    json.dumps(out, allow_nan=False)
    groups = {g["group"]: g for g in out["groups"]}
    assert groups["Black"]["ratio_vs_white"] is None and groups["Black"]["ci_low"] is None
    assert "zero searches in the reference group (White)" in groups["Black"]["reason"]
    assert groups["Asian"]["rate_per_1000"] is None and "no denominator" in groups["Asian"]["reason"]


def test_disparity_json_redacts_suppressed_groups_for_packs():
    out = disparity_json(measure="rate", counts={"Black": 4, "White": 400}, unknown_ethnicity=0,
                         populations={g: 10_000 for g in ETHNIC_GROUPS}, period=YEAR_TO_MARCH_2024,
                         labels=_labels(), redact_suppressed=True)
    black = next(g for g in out["groups"] if g["group"] == "Black")
    assert black["searches"] is None and black["rate_per_1000"] is None and black["ratio_vs_white"] is None
    assert black["suppressed"] is True and black["reason"].startswith("suppressed (<10)")


def test_disparity_json_find_rate_not_recorded_offers_the_alternative():
    counts = {"White": OutcomeCounts(400, 0, 0), "Black": OutcomeCounts(300, 0, 0)}
    fallback = {"White": OutcomeCounts(400, 400, 100), "Black": OutcomeCounts(300, 300, 60)}
    out = disparity_json(measure="find-rate", counts=counts, unknown_ethnicity=3, populations=None,
                         period=YEAR_TO_MARCH_2024, labels=_labels(), fallback_counts=fallback)
    json.dumps(out, allow_nan=False)
    assert CLI_TOP_KEYS <= set(out)
    assert out["not_recorded"] is True and out["fallback_measure"] == "non-nfa-rate"
    assert all(g["reason"] for g in out["groups"])
    alternative = out["alternative"]
    assert alternative["label"] == "any outcome other than no further action"
    black = next(g for g in alternative["groups"] if g["group"] == "Black")
    assert black["proportion"] == pytest.approx(0.2)


def test_disparity_json_unknown_measure():
    with pytest.raises(ValueError, match="measure"):
        disparity_json(measure="arrest-rate", counts={}, unknown_ethnicity=0, populations=None,
                       period=YEAR_TO_MARCH_2024, labels=_labels())


# --- properties -----------------------------------------------------------------------------------
counts_strategy = st.integers(min_value=0, max_value=200_000)
positive_counts = st.integers(min_value=1, max_value=200_000)
populations_strategy = st.integers(min_value=1, max_value=10_000_000)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(a=positive_counts, na=populations_strategy, b=positive_counts, nb=populations_strategy)
def test_interval_contains_the_point_estimate(a, na, b, nb):
    ratio = rate_ratio(a, na, b, nb)
    assert ratio.ci_low <= ratio.ratio <= ratio.ci_high
    assert ratio.method == (EXACT_CONDITIONAL if min(a, b) < 30 else WALD_LOG)


@FAST
@given(a=counts_strategy, na=populations_strategy, b=positive_counts, nb=populations_strategy,
       unknown=st.integers(min_value=0, max_value=10_000))
def test_sensitivity_range_brackets_the_ratio(a, na, b, nb, unknown):
    ratio = rate_ratio(a, na, b, nb).ratio
    sensitivity = unknown_sensitivity(a, na, b, nb, unknown)
    assert sensitivity.low <= ratio * (1 + 1e-12) and ratio <= sensitivity.high * (1 + 1e-12)


@FAST
@given(k=st.integers(min_value=0, max_value=5_000), extra=st.integers(min_value=0, max_value=5_000))
def test_wilson_interval_contains_the_proportion(k, extra):
    proportion = wilson_proportion(k, k + extra) if k + extra else wilson_proportion(0, 0)
    if proportion.value is not None:
        assert 0 <= proportion.ci_low <= proportion.value <= proportion.ci_high <= 1


@FAST
@given(
    counts=st.dictionaries(st.sampled_from(ETHNIC_GROUPS), counts_strategy),
    populations=st.one_of(st.none(), st.dictionaries(st.sampled_from(ETHNIC_GROUPS),
                                                     st.integers(min_value=0, max_value=10_000_000))),
    unknown=counts_strategy,
    months=st.integers(min_value=1, max_value=12),
)
def test_disparity_json_never_contains_nan_or_unexplained_nulls(counts, populations, unknown, months):
    period = Period.between("2024-01", f"2024-{months:02d}")
    out = disparity_json(measure="rate", counts=counts, unknown_ethnicity=unknown, populations=populations,
                         period=period, labels=_labels())
    json.dumps(out, allow_nan=False)
    for group in out["groups"]:
        if group["rate_per_1000"] is None or group["ratio_vs_white"] is None:
            assert group["reason"]
