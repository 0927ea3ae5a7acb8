"""Statistics that say what they cover (shared/spec/statistics.md "Coverage"), on the real police.uk
files: the five ways a panel could be shown a wrong figure that looks right (issue 9)."""

from __future__ import annotations

import shutil

import pandas as pd
import pytest

from stopsearch_app.services.disparity import NoDenominator, compute_disparity, run_cli
from stopsearch_app.domain.denominators import shipped_denominator_table
from stopsearch_app.store import coverage
from stopsearch_app.store.queries import Labels
from tests.conftest import MET_SEPTEMBER_2022, POLICEUK
from tests.helpers import import_paths
from tests.test_disparity_service import by_group, cli_args

CITY_FILES = sorted(POLICEUK.glob("Taimur-Shabbir_SaS-Data-Cleaning__20*-city-of-london-stop-and-search.csv"))
NUMBERS = ("rate_per_1000", "annualised_rate_per_1000", "ratio_vs_white", "ci_low", "ci_high")


@pytest.fixture
def met_and_city(engine, met_file, tmp_path):
    paths = [met_file]
    for source in CITY_FILES:
        target = tmp_path / source.name.split("__", 1)[1]
        shutil.copy(source, target)
        paths.append(target)
    report = import_paths(engine, *paths)
    assert report.imported == 12_447 + 879 and not report.failed
    return engine


def populations(area: str, age: str = "all", **options) -> dict[str, int]:
    return dict(shipped_denominator_table().select(area, age, **options).populations)


def test_annualised_rates_use_each_forces_own_months(met_and_city):
    """Met 1 month + City 3 months, asked for 2019-01..2022-09 (45 months): not 45 months for both."""
    result = compute_disparity(met_and_city, Labels(met_and_city), month_from="2019-01", month_to="2022-09")
    forces = {share["force"]: share for share in result["forces"]}
    assert forces["metropolitan"]["months"] == ["2022-09"]
    assert forces["city-of-london"]["months"] == ["2019-12", "2020-01", "2020-02"]
    assert forces["metropolitan"]["population"] == sum(populations("london").values())
    assert forces["city-of-london"]["population"] == 8_581
    met, city = populations("london"), populations("City of London")
    for group in by_group(result).values():
        resident_years = (met[group["group"]] * 1 + city[group["group"]] * 3) / 12
        assert group["annualised_rate_per_1000"] == pytest.approx(group["searches"] / resident_years * 1000, rel=1e-3)
    met_only = compute_disparity(met_and_city, Labels(met_and_city), force="metropolitan", month_from="2019-01",
                                 month_to="2022-09")
    black = by_group(met_only)["Black"]
    assert met_only["period"]["months"] == 1
    assert black["annualised_rate_per_1000"] == pytest.approx(black["rate_per_1000"] * 12)
    assert black["annualised_rate_per_1000"] == pytest.approx(black["searches"] / met["Black"] * 12_000)
    assert any("each force area's residents count only for the months" in note for note in result["notes"])


def test_outcome_rates_only_over_forces_that_record_the_field(met_and_city):
    labels = Labels(met_and_city)
    both = compute_disparity(met_and_city, labels, measure="removal-rate", age="child")
    city = compute_disparity(met_and_city, labels, measure="removal-rate", age="child", force="city-of-london")
    assert both["recorded_forces"] == ["city-of-london"] and both["not_recorded_forces"] == ["metropolitan"]
    assert both["period"] == city["period"]  # the City's months, not the Met's
    for name, group in by_group(both).items():
        assert (group["recorded"], group["positive"]) == (by_group(city)[name]["recorded"],
                                                          by_group(city)[name]["positive"])
    assert any("not recorded by metropolitan" in note for note in both["notes"])
    met = compute_disparity(met_and_city, labels, measure="removal-rate", age="child", force="metropolitan")
    assert met["not_recorded"] and met["recorded_forces"] == [] and met["not_recorded_forces"] == ["metropolitan"]
    assert {group["status"] for group in met["groups"]} == {"not_recorded"}


def _sde_group(text: object) -> str:
    if not isinstance(text, str) or text.strip() == "" or text.endswith("Not stated"):
        return "unknown"
    return {"White": "White", "Black": "Black", "Asian": "Asian", "Mixed": "Mixed", "Other": "Other"}[text.split()[0].split("/")[0]]


def test_find_rate_bounds_for_unknown_ethnicity_from_the_raw_files(met_and_city):
    """statistics.md "Beyond one number": unknown-ethnicity bounds for proportions as well as rates,
    worked from the City's raw CSVs: every unknown in White, every unknown in the group, or neither."""
    raw = pd.concat([pd.read_csv(path) for path in CITY_FILES])
    assert not raw["Type"].eq("Vehicle search").any()  # every search here is a person search
    raw["group"] = raw["Self-defined ethnicity"].map(_sde_group)
    linked = raw["Outcome linked to object of search"].astype(str).str.casefold()
    raw["recorded"], raw["positive"] = linked.isin(["true", "false"]), linked.eq("true")
    tally = raw.groupby("group")[["recorded", "positive"]].sum()
    result = compute_disparity(met_and_city, Labels(met_and_city), measure="find-rate", force="city-of-london")
    white, unknown = tally.loc["White"], tally.loc["unknown"]
    checked = 0
    for name, group in by_group(result).items():
        if name == "White" or group["ratio_vs_white"] is None:
            continue
        own = tally.loc[name]
        assert (group["recorded"], group["positive"]) == (own["recorded"], own["positive"])
        to_white = (own["positive"] / own["recorded"]) / ((white["positive"] + unknown["positive"])
                                                          / (white["recorded"] + unknown["recorded"]))
        to_group = ((own["positive"] + unknown["positive"]) / (own["recorded"] + unknown["recorded"])) / (
            white["positive"] / white["recorded"])
        point = (own["positive"] / own["recorded"]) / (white["positive"] / white["recorded"])
        assert group["sensitivity_status"] == "ok"
        assert group["sensitivity_low"] == pytest.approx(min(to_white, to_group, point))
        assert group["sensitivity_high"] == pytest.approx(max(to_white, to_group, point))
        assert group["sensitivity_low"] <= group["ratio_vs_white"] <= group["sensitivity_high"]
        checked += 1
    assert checked == 4 and unknown["recorded"] > 0
    assert by_group(result)["White"]["sensitivity_low"] is None


def test_a_city_of_london_rate_uses_the_citys_residents(met_and_city):
    result = compute_disparity(met_and_city, Labels(met_and_city), force="city-of-london")
    groups = by_group(result)
    assert result["denominator"]["total_population"] == 8_581 and groups["Black"]["population"] == 231
    expected = (groups["Black"]["searches"] / 231) / (groups["White"]["searches"] / 5_954)
    assert groups["Black"]["ratio_vs_white"] == pytest.approx(expected)
    assert 5 < expected < 15  # about 9; London's residents would give about 1.4
    with pytest.raises(NoDenominator, match="no age breakdown exists for the City of London alone"):
        compute_disparity(met_and_city, Labels(met_and_city), force="city-of-london", age="10-17")


@pytest.fixture
def met_without_other(engine, tmp_path):
    """The real Met file with every self-defined "Other" and "Not stated" row taken out, as the Met API
    months of 2024-09..2025-04 come (written to break the statistics)."""
    frame = pd.read_csv(MET_SEPTEMBER_2022, dtype=str, keep_default_na=False)
    sde = frame["Self-defined ethnicity"]
    kept = frame[~(sde.str.startswith("Other") | sde.str.contains("Not stated"))]
    path = tmp_path / "2022-09-metropolitan-stop-and-search.csv"
    kept.to_csv(path, index=False)
    assert import_paths(engine, path).imported == len(kept) > 8_000
    return engine


def test_a_category_absent_from_the_source_is_never_a_zero(met_without_other):
    result = compute_disparity(met_without_other, Labels(met_without_other))
    other = by_group(result)["Other"]
    assert other["status"] == "absent_in_source" and other["searches"] == 0
    assert all(other[key] is None for key in NUMBERS)
    assert "absent from the source" in other["reason"]
    assert by_group(result)["Black"]["status"] == "ok"
    for group in result["groups"][1:]:  # no "Not stated" at all: the unknown-ethnicity range cannot be judged
        assert group["sensitivity_low"] is None and group["sensitivity_status"] == "cannot_be_judged"
    assert any("cannot be judged" in note for note in result["notes"])
    month = coverage.load(met_without_other).entry("metropolitan", "2022-09").as_json()
    assert {"Other", "Not stated"} <= set(month["categories_absent"])
    assert "category_absent" in month["flags"]
    officer = compute_disparity(met_without_other, Labels(met_without_other), ethnicity="officer")
    assert by_group(officer)["Other"]["status"] == "ok"  # officer-defined Other is still recorded


def test_the_real_file_has_no_category_absent(engine, met_file):
    import_paths(engine, met_file)
    result = compute_disparity(engine, Labels(engine))
    assert {group["status"] for group in result["groups"]} == {"ok"}
    assert all(group["sensitivity_low"] is not None for group in result["groups"] if group["group"] != "White")
    month = coverage.load(engine).entry("metropolitan", "2022-09").as_json()
    assert month["categories_absent"] == [] and month["flags"] == []
    assert month["fields_recorded"]["outcome_linked"] == 0.0 and month["fields_recorded"]["legislation"] > 0.99


def test_cli_json_carries_the_coverage_keys(met_and_city, db_url):
    result, status = run_cli(cli_args(db_url, measure="find-rate"))
    assert status == 0
    assert {"forces", "recorded_forces", "not_recorded_forces"} <= set(result)
    assert all({"force", "months", "population", "records"} <= set(share) for share in result["forces"])
    assert all({"annualised_rate_per_1000", "status"} <= set(group) or "status" in group for group in result["groups"])
    rate, _ = run_cli(cli_args(db_url))
    assert all({"annualised_rate_per_1000", "status"} <= set(group) for group in rate["groups"])


def test_by_month_has_exactly_the_covered_months_and_a_trend(met_and_city, db_url):
    result, status = run_cli(cli_args(db_url, by="month", month_from="2019-01", month_to="2022-09"))
    assert status == 0
    assert [entry["month"] for entry in result["series"]] == ["2019-12", "2020-01", "2020-02", "2022-09"]
    september = next(entry for entry in result["series"] if entry["month"] == "2022-09")
    black = next(group for group in september["groups"] if group["group"] == "Black")
    met = populations("london")
    assert black["population"] == met["Black"]  # only the Met covers 2022-09: London less the City
    december = next(entry for entry in result["series"] if entry["month"] == "2019-12")
    assert next(g for g in december["groups"] if g["group"] == "Black")["population"] == 231  # only the City
    trend = result["trend"]
    assert {"method", "ratio_change_per_year", "ci_low", "ci_high", "p_value"} <= set(trend)
    assert trend["method"] in ("poisson-glm", "quasi-poisson-glm")
    assert trend["ci_low"] < trend["ratio_change_per_year"] < trend["ci_high"] and 0 <= trend["p_value"] <= 1
    black = by_group(result)["Black"]
    assert black["ci_low_overdispersed"] <= black["ci_low"] < black["ci_high"] <= black["ci_high_overdispersed"]
    assert black["standardised_ci_low"] < black["standardised_ratio"] < black["standardised_ci_high"]


def test_by_borough_sets_every_borough_side_by_side_with_a_funnel(met_and_city, db_url):
    result, status = run_cli(cli_args(db_url, by="borough", month_from="2022-09", month_to="2022-09"))
    assert status == 0 and len(result["boroughs"]) == 33
    lambeth = next(entry for entry in result["boroughs"] if entry["borough"] == "Lambeth")
    single, _ = run_cli(cli_args(db_url, area="Lambeth", month_from="2022-09", month_to="2022-09"))
    assert lambeth["gss_code"] == "E09000022"
    assert [(g["group"], g["searches"], g["ratio_vs_white"]) for g in lambeth["groups"]] == \
        [(g["group"], g["searches"], g["ratio_vs_white"]) for g in single["groups"]]
    funnel = result["funnel"]
    assert funnel["centre"] == by_group(result)["Black"]["ratio_vs_white"]
    assert {"95", "99.8", "95_bonferroni", "fdr_5pct"} <= set(funnel["outside"])
    suppressed = {point["borough"] for point in funnel["points"] if point["status"] == "suppressed"}
    for entry in result["boroughs"]:
        counts = {g["group"]: g["searches"] for g in entry["groups"]}
        if entry["groups"] and (counts["Black"] < 10 or counts["White"] < 10):
            assert entry["borough"] in suppressed
    assert result["borough_not_known"] > 0


def test_stopsearch_coverage_json(met_and_city, db_url, capsys):
    from stopsearch_app.services.cli import main

    assert main(["coverage", "--db", db_url, "--json"]) == 0
    import json

    data = json.loads(capsys.readouterr().out)
    months = {(entry["force"], entry["month"]): entry for entry in data["force_months"]}
    assert set(months) == {("metropolitan", "2022-09"), ("city-of-london", "2019-12"), ("city-of-london", "2020-01"),
                           ("city-of-london", "2020-02")}
    met = months[("metropolitan", "2022-09")]
    assert met["records"] == 12_447 and set(met["fields_recorded"]) == {
        "age_range", "self_defined_ethnicity", "officer_defined_ethnicity", "location", "outcome_linked",
        "removal_more_than_outer", "legislation"}
    assert met["fields_recorded"]["removal_more_than_outer"] == 0.0
    assert 0.0 < months[("city-of-london", "2020-01")]["fields_recorded"]["removal_more_than_outer"] <= 1.0
    assert main(["coverage", "--db", db_url, "--force", "city-of-london"]) == 0
    text = capsys.readouterr().out
    assert "city-of-london" in text and "metropolitan" not in text
