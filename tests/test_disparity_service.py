"""The disparity service (disparity.py) on the real Met September 2022 file and on small edge cases:
the contract numbers of shared/spec/cli.md, the not-recorded rule, boroughs, gaps, zero White."""

from __future__ import annotations

import json
from argparse import Namespace

import pytest

from stopsearch_app.services.disparity import (NOT_AN_OFFICER_CATEGORY, DisparityUnavailable, NoBoroughRecorded,
                                      NoDenominator, NoRecords, compute_dashboard, compute_disparity, format_text,
                                      run_cli)
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.store.queries import Labels
from tests.conftest import POLICEUK
from tests.helpers import archive_csv, import_paths
from tests.store.test_aggregates import WHITE_SDE, rows

CLI_GROUP_KEYS = {"group", "searches", "population", "rate_per_1000", "ratio_vs_white", "ci_low", "ci_high",
                  "suppressed"}
CLI_KEYS = {"measure", "period", "ethnicity_source", "age", "area", "denominator", "unknown_ethnicity", "groups"}
# Census 2021, London, aged 10-17 (the shipped table).
# London less the City of London (the Met's area): the Census's 164,575 and 333,675 aged 10-17 less the
# City's estimated 26 and 262 (statistics.md "Coverage").
BLACK_10_17, WHITE_10_17 = 164_549, 333_413


def cli_args(db_url: str, **overrides) -> Namespace:
    values = dict(db=db_url, ethnicity="self", age="all", area="london", month_from=None, month_to=None,
                  measure="rate", filter_force=None, borough=None, by=None)
    values.update(overrides)
    return Namespace(**values)


def by_group(result: dict) -> dict[str, dict]:
    return {group["group"]: group for group in result["groups"]}


@pytest.fixture
def met_db(engine, met_file, db_url):
    import_paths(engine, met_file)
    return db_url


def test_contract_black_children_officer_defined(met_db):
    """stopsearch disparity --ethnicity officer --age 10-17 --from 2022-09 --to 2022-09 --json.

    The file has 852 searches of 10-17-year-olds the officer recorded as Black; one of them (14
    September 2022, 16:05 UTC) is a "Vehicle search" that records the child's age and ethnicity: a
    person was there, so it counts (only vehicle-only searches recording no person are left out).
    """
    result, status = run_cli(cli_args(met_db, ethnicity="officer", age="10-17", month_from="2022-09",
                                      month_to="2022-09"))
    assert status == 0
    text = result.pop("_text")
    json.dumps(result, allow_nan=False)  # no NaN or infinity anywhere
    assert CLI_KEYS <= set(result) and all(CLI_GROUP_KEYS <= set(group) for group in result["groups"])
    assert [group["group"] for group in result["groups"]] == list(ETHNIC_GROUPS)
    assert result["period"] == {"from": "2022-09", "to": "2022-09", "months": 1, "label": "2022-09 (1 month)"}
    assert (result["ethnicity_source"], result["age"], result["area"]) == ("officer", "10-17", "london")
    assert result["denominator"]["source"].startswith("ONS Census 2021") and result["denominator"]["year"] == 2021

    black, white = by_group(result)["Black"], by_group(result)["White"]
    assert black["searches"] == 852 and black["vehicle_only_excluded"] == 0
    assert black["population"] == BLACK_10_17
    assert black["rate_per_1000"] == pytest.approx(852 / BLACK_10_17 * 1000)
    assert black["rate_ci_low"] < black["rate_per_1000"] < black["rate_ci_high"]
    assert white["searches"] == 678 and white["ratio_vs_white"] == 1.0
    assert black["ratio_vs_white"] == pytest.approx((852 / BLACK_10_17) / (678 / WHITE_10_17))
    assert black["ci_low"] < black["ratio_vs_white"] < black["ci_high"]
    assert black["ci_method"] == "wald-log"
    assert black["sensitivity_low"] < black["ratio_vs_white"] < black["sensitivity_high"]
    assert result["unknown_ethnicity"] == 28  # officer-defined ethnicity blank
    assert result["left_out"] == {"other_forces": 0, "vehicle_only": 0, "age_not_recorded": 1658, "no_borough": 0}
    assert "Black" in text and "852" in text and "2.55" in text


def test_vehicle_only_searches_can_be_counted_on_request(engine, met_db):
    result = compute_disparity(engine, Labels(engine), ethnicity="officer", age="10-17", include_vehicle_only=True)
    assert by_group(result)["Black"]["searches"] == 852 and result["person_searches_only"] is False


def test_officer_defined_mixed_is_not_shown_as_zero(engine, met_db):
    result = compute_disparity(engine, Labels(engine), ethnicity="officer", age="10-17")
    mixed = by_group(result)["Mixed"]
    assert mixed["searches"] == 0 and mixed["rate_per_1000"] is None and mixed["ratio_vs_white"] is None
    assert mixed["reason"] == NOT_AN_OFFICER_CATEGORY
    assert any("Mixed" in note for note in result["notes"])


@pytest.mark.parametrize("measure", ["find-rate", "removal-rate"])
def test_outcome_measures_say_not_recorded_on_the_met_file(met_db, measure):
    result, status = run_cli(cli_args(met_db, measure=measure, age="child"))
    assert status == 0
    text = result.pop("_text")
    json.dumps(result, allow_nan=False)
    assert result["not_recorded"] is True and result["fallback_measure"] == "non-nfa-rate"
    for group in result["groups"]:
        assert group["proportion"] is None and group["reason"] == "not recorded"
    alternative = result["alternative"]
    assert alternative["label"] == "any outcome other than no further action"
    black = by_group(alternative)["Black"]
    assert black["recorded"] == black["searches"] == 478 and black["proportion"] == pytest.approx(134 / 478)
    assert "not recorded" in text and "any outcome other than no further action" in text


def met_person_searches_placed(borough: str | None) -> int:
    """Person searches of the Met file inside ``borough`` (None: inside no borough, or not located),
    by an independent point-in-polygon count (tests/test_places.py's ray casting, not shapely)."""
    import pandas as pd

    from tests.test_places import inside_borough, place_all

    frame = pd.read_csv(POLICEUK / "kostis-christodoulou_am10.mam2023__2022-09-metropolitan-stop-and-search.csv")
    latitude, longitude = frame["Latitude"].to_numpy(), frame["Longitude"].to_numpy()
    inside = inside_borough(borough, latitude, longitude) if borough else place_all(latitude, longitude) < 0
    vehicle_only = ((frame["Type"] == "Vehicle search") & frame["Age range"].isna()
                    & frame["Self-defined ethnicity"].isna() & frame["Officer-defined ethnicity"].isna())
    return int((inside & ~vehicle_only.to_numpy()).sum())


def met_lambeth_person_searches() -> int:
    return met_person_searches_placed("Lambeth")


def test_a_borough_on_police_uk_data_comes_from_the_coordinates(engine, met_db):
    result = compute_disparity(engine, Labels(engine), area="Lambeth")
    assert result["area_label"] == "Lambeth" and result["force_slugs"] == ["metropolitan"]
    assert sum(g["searches"] for g in result["groups"]) + result["unknown_ethnicity"] == met_lambeth_person_searches()
    assert result["borough_not_known"] == met_person_searches_placed(None) > 1_000
    assert any("could not be placed in a borough" in note for note in result["notes"])
    cli, status = run_cli(cli_args(met_db, area="lambeth"))
    assert status == 0 and cli["borough_not_known"] == result["borough_not_known"]


def test_a_borough_with_local_records(engine, met_db, tmp_path):
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    frame = generate_extract(rows=300, seed=5)
    import_paths(engine, write_csv(tmp_path / "extract.csv", frame))
    result = compute_disparity(engine, Labels(engine), area="lambeth", measure="rate")
    lambeth = frame[(frame["borough"] == "Lambeth") & (frame["search_type"] != "vehicle")]
    placed = met_lambeth_person_searches()
    assert sum(g["searches"] for g in result["groups"]) + result["unknown_ethnicity"] == len(lambeth) + placed
    assert result["area_label"] == "Lambeth" and result["denominator"]["area"] == "Lambeth"
    # The Met police.uk rows are placed by their coordinates; those with none cannot be.
    assert result["left_out"]["no_borough"] == result["borough_not_known"] > 1_000
    assert any("could not be placed in a borough" in note for note in result["notes"])
    assert by_group(result)["White"]["population"] > 100_000  # Lambeth, all ages


def test_requests_without_a_denominator_or_data_are_refused(engine, met_db):
    labels = Labels(engine)
    with pytest.raises(NoDenominator, match="Atlantis"):
        compute_disparity(engine, labels, area="Atlantis")
    with pytest.raises(NoDenominator, match="not a London force"):
        compute_disparity(engine, labels, force="kent")
    with pytest.raises(NoRecords, match="no searches loaded"):
        compute_disparity(engine, labels, month_from="2023-01", month_to="2023-03")
    with pytest.raises(ValueError, match="not a month"):
        compute_disparity(engine, labels, month_from="Sept 2022")
    with pytest.raises(ValueError, match="ends before it starts"):
        compute_disparity(engine, labels, month_from="2022-10", month_to="2022-09")
    with pytest.raises(ValueError, match="unknown measure"):
        compute_disparity(engine, labels, measure="arrest-rate")
    with pytest.raises(ValueError, match="disagree"):
        run_cli(cli_args("sqlite://", area="Lambeth", borough="Hackney"))
    assert issubclass(NoRecords, DisparityUnavailable) and issubclass(DisparityUnavailable, ValueError)


def test_zero_white_searches(engine, write_file):
    import_paths(engine, write_file("2022-09-metropolitan-stop-and-search.csv", archive_csv(*rows(40))))
    result = compute_disparity(engine, Labels(engine), age="10-17")
    json.dumps(result, allow_nan=False)
    groups = by_group(result)
    assert groups["White"]["searches"] == 0 and groups["White"]["rate_per_1000"] == 0.0
    assert groups["White"]["suppressed"] is True
    black = groups["Black"]
    assert black["searches"] == 40 and black["rate_per_1000"] == pytest.approx(40 / BLACK_10_17 * 1000)
    for key in ("ratio_vs_white", "ci_low", "ci_high", "sensitivity_low", "sensitivity_high"):
        assert black[key] is None
    assert "zero searches in the reference group (White)" in black["reason"]
    assert "zero searches in the reference group (White)" in format_text(result)


def test_a_month_with_nothing_loaded_is_a_gap_not_zero(engine):
    december, february = (POLICEUK / f"Taimur-Shabbir_SaS-Data-Cleaning__{month}-city-of-london-stop-and-search.csv"
                          for month in ("2019-12", "2020-02"))
    import_paths(engine, december, february)
    result = compute_disparity(engine, Labels(engine), month_from="2019-12", month_to="2020-02")
    assert result["period"]["months"] == 2 and result["months_present"] == ["2019-12", "2020-02"]
    assert any("2020-01" in note and "not read as zero" in note for note in result["notes"])
    dashboard = compute_dashboard(engine, Labels(engine), month_from="2019-12", month_to="2020-02", age="child")
    monthly = dashboard.monthly_children
    assert monthly["months"] == ["2019-12", "2020-01", "2020-02"] and monthly["loaded"] == [True, False, True]
    assert all(series[1] is None for series in monthly["groups"].values())


def test_london_leaves_out_other_forces_and_says_how_many(engine, met_file, write_file):
    import_paths(engine, met_file, write_file("2022-09-kent-stop-and-search.csv", archive_csv(*rows(9))))
    result = compute_disparity(engine, Labels(engine), age="10-17", ethnicity="officer")
    assert result["left_out"]["other_forces"] == 9 and result["force_slugs"] == ["metropolitan", "city-of-london"]
    assert by_group(result)["Black"]["searches"] == 852
    assert any("9 searches by forces outside London" in note for note in result["notes"])


def test_cube_and_sql_give_the_same_json(engine, met_db, write_file):
    import_paths(engine, write_file("2022-10-metropolitan-stop-and-search.csv",
                                    archive_csv(*rows(12, month="2022-10", sde=WHITE_SDE, ode="White"))))
    labels = Labels(engine)
    for kwargs in ({"age": "10-17"}, {"age": "child", "measure": "find-rate"}, {"ethnicity": "officer"},
                   {"age": "adult", "month_from": "2022-10"}):
        assert compute_disparity(engine, labels, cached=True, **kwargs) == \
            compute_disparity(engine, labels, cached=False, **kwargs)


def test_dashboard_has_every_chart(engine, met_db):
    dashboard = compute_dashboard(engine, Labels(engine), age="10-17", ethnicity="officer")
    json.dumps(dashboard.as_json(), allow_nan=False)
    assert dashboard.available_months == ("2022-09",)
    assert by_group(dashboard.headline)["Black"]["searches"] == 852
    assert list(dashboard.by_age) == ["under-10", "10-17", "adult"]
    assert dashboard.by_age["10-17"]["groups"] == dashboard.headline["groups"]
    assert all(group["suppressed"] for group in dashboard.by_age["under-10"]["groups"])  # 2 searches in all
    monthly = dashboard.monthly_children
    assert monthly["months"] == ["2022-09"] and monthly["groups"]["Black"] == [853]  # 852 aged 10-17 + 1 under 10
    outcomes = dashboard.children_outcomes
    assert outcomes["find-rate"]["not_recorded"] and outcomes["removal-rate"]["not_recorded"]
    unavailable = compute_dashboard(engine, Labels(engine), area="Narnia")
    assert "no denominator for Narnia" in unavailable.unavailable and unavailable.available_months == ("2022-09",)
    assert unavailable.as_json() == {"unavailable": unavailable.unavailable, "request": unavailable.request,
                                     "available_months": ["2022-09"]}
    hackney = compute_dashboard(engine, Labels(engine), area="Hackney").headline
    assert hackney["area_label"] == "Hackney" and hackney["borough_not_known"] > 0


@pytest.mark.parametrize("request_options", [{"age": "10-17", "ethnicity": "officer"}, {"age": "child"}])
def test_the_dashboards_json_is_the_clis(engine, met_db, capsys, request_options):
    """Dashboard.as_json() carries the figures `stopsearch disparity --json` prints: the headline and the
    monthly ratio as `--by month` gives them, the boroughs as `--by borough`; from_json reads it back."""
    from stopsearch_app.domain.dashboard import Dashboard
    from stopsearch_app.services.cli import main

    def cli(*by: str) -> dict:
        options = [part for key, value in request_options.items() for part in (f"--{key}", value)]
        assert main(["--db", met_db, "disparity", "--json", *options, *by]) == 0
        return json.loads(capsys.readouterr().out)

    dashboard = compute_dashboard(engine, Labels(engine), **request_options)
    shown = json.loads(json.dumps(dashboard.as_json()))
    monthly_keys = ("series", "trend", "overdispersion")
    borough_keys = ("boroughs", "borough_not_known", "funnel")
    by_month = cli("--by", "month")
    assert {key: by_month[key] for key in monthly_keys} == {key: shown[key] for key in monthly_keys}
    assert {key: value for key, value in by_month.items() if key not in monthly_keys} == shown["headline"]
    by_borough = cli("--by", "borough")
    assert {key: by_borough[key] for key in borough_keys} == {key: shown[key] for key in borough_keys}
    assert list(shown) == ["request", "available_months", "headline", *monthly_keys, *borough_keys, "by_age",
                           "monthly_children", "children_outcomes"]
    assert Dashboard.from_json(shown).as_json() == shown
    assert dashboard.monthly_ratio.series == tuple(shown["series"]) and dashboard.boroughs.funnel == shown["funnel"]
