"""The shipped Census 2021 denominators and user denominator tables (shared/spec/statistics.md,
"Denominators" and "Cross-checks"; shared/reference/domain.md section 8).

Expected figures are the published ones (statistics.md cross-checks, domain.md section 8), or are
recomputed here from the raw ONS file, never taken from the code under test.
"""

from __future__ import annotations

import csv
import importlib.util
from pathlib import Path

import pytest

from stopsearch_app.domain.denominators import (
    AGE_BANDS,
    FIVE_GROUP,
    NINETEEN_GROUP,
    DenominatorFormatError,
    DenominatorMismatch,
    DenominatorUnavailable,
    load_denominator_table,
    parse_age,
    parse_denominator_csv,
    shipped_denominator_table,
)
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.resources import resource_path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
RAW_CENSUS = Path("/work/shared/data/census/"
                  "WildPigen_MY472finalproject__census2021_ethnic_group_by_single_age_LA.csv")
needs_raw_census = pytest.mark.skipif(not RAW_CENSUS.is_file(), reason="shared ONS source file not present")

# statistics.md "Cross-checks": London, Census 2021, in millions to 2 decimals ("about 4.73 M White").
PUBLISHED_LONDON_MILLIONS = {"White": 4.73, "Asian": 1.82, "Black": 1.19, "Mixed": 0.51, "Other": 0.56}
PUBLISHED_LONDON_10_17 = 837_635
PUBLISHED_LONDON_BLACK_10_17_ABOUT = 164_600  # "about", i.e. to the nearest hundred
PUBLISHED_LONDON_BLACK_10_17_PERCENT = 19.6
# domain.md section 8 (TS021, verified figures): usual residents and Black residents of London.
PUBLISHED_LONDON_TOTAL = 8_799_728
PUBLISHED_LONDON_BLACK = 1_188_370
# The ONS perturbs and rounds cells (to 5 in this table): allow 0.01% against the published counts.
PERTURBATION_TOLERANCE = 1e-4
CITY_OF_LONDON_TS022 = 8_581  # Census 2021 TS022, E09000001


@pytest.fixture(scope="module")
def table():
    return shipped_denominator_table()


# --- the shipped table --------------------------------------------------------------------------
def test_shipped_table_metadata(table):
    meta = table.metadata
    assert meta.year == 2021
    assert meta.classification == FIVE_GROUP
    assert "Census 2021" in meta.source
    assert meta.licence == "Contains public sector information licensed under the Open Government Licence v3.0"
    assert "Westminster" in meta.geography
    assert table.json_label() == {"source": meta.source, "year": 2021}


def test_shipped_metadata_file_has_the_documented_fields():
    import tomllib

    meta = tomllib.loads(resource_path("census", "census2021_la_age_ethnicity.meta.toml").read_text())
    for key in ("source", "source_table", "year", "geography", "classification", "licence", "built_by",
                "suppressed_cells", "city_of_london"):
        assert key in meta, key
    assert "Westminster" in meta["city_of_london"]
    assert "41.7" in meta["london"]["note"]


def test_shipped_csv_has_the_tidy_columns():
    with resource_path("census", "census2021_la_age_ethnicity.csv").open(newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["geography_code", "geography_name", "age", "ethnic_group_19", "ethnic_group_5",
                      "population", "suppressed"]


def test_suppressed_cells_in_data_match_the_builders_count(table):
    import tomllib

    meta = tomllib.loads(resource_path("census", "census2021_la_age_ethnicity.meta.toml").read_text())
    assert table.suppressed_cells_total == meta["suppressed_cells"] > 0
    assert table.suppressed_cells("london", "all") == meta["suppressed_cells_region"]


@pytest.mark.parametrize("group", sorted(PUBLISHED_LONDON_MILLIONS))
def test_london_all_ages_matches_published_millions(table, group):
    population = table.population("london", "all")[group]
    assert round(population / 1e6, 2) == PUBLISHED_LONDON_MILLIONS[group]


def test_london_total_and_black_match_census_ts021_within_perturbation(table):
    selection = table.select("london", "all", exclude_city_of_london=False)
    assert selection.total == pytest.approx(PUBLISHED_LONDON_TOTAL, rel=PERTURBATION_TOLERANCE)
    assert selection.populations["Black"] == pytest.approx(PUBLISHED_LONDON_BLACK, rel=PERTURBATION_TOLERANCE)


def test_london_10_to_17_matches_published_figures(table):
    selection = table.select("london", "10-17", exclude_city_of_london=False)
    assert selection.total == PUBLISHED_LONDON_10_17
    black = selection.populations["Black"]
    assert round(black, -2) == PUBLISHED_LONDON_BLACK_10_17_ABOUT
    assert round(100 * black / selection.total, 1) == PUBLISHED_LONDON_BLACK_10_17_PERCENT


def test_age_bands_add_up(table):
    for area in ("london", "Lambeth", "Westminster"):
        by_band = {band: table.population(area, band) for band in AGE_BANDS}
        for group in ETHNIC_GROUPS:
            assert by_band["child"][group] == by_band["under-10"][group] + by_band["10-17"][group]
            assert by_band["all"][group] == by_band["child"][group] + by_band["adult"][group]


def test_london_is_the_met_area_london_less_the_city(table):
    selection = table.select("london", "all")
    assert selection.area_codes == ("E12000007", "-E09000001")
    assert "less the City" in selection.note
    whole = table.select("london", "all", exclude_city_of_london=False)
    assert whole.area_codes == ("E12000007",)
    assert whole.total - selection.total == CITY_OF_LONDON_TS022


def test_city_of_london_is_its_own_ts022_residents(table):
    city = table.select("City of London", "all")
    assert city.area_codes == ("E09000001",)
    assert city.total == CITY_OF_LONDON_TS022
    assert dict(city.populations) == {"White": 5954, "Black": 231, "Asian": 1445, "Mixed": 470, "Other": 481}
    with pytest.raises(DenominatorUnavailable, match="no age breakdown exists for the City of London alone"):
        table.select("City of London", "10-17")


@pytest.mark.parametrize("name", ["Westminster", "city of westminster", "E09000033"])
def test_westminster_is_the_joint_row_less_the_city(table, name):
    westminster = table.select(name, "all")
    assert westminster.area_codes == ("E09000033",) and westminster.area_label == "Westminster"
    joint = split_free_table().select("E09000001", "all")
    assert joint.area_label == "City of London and Westminster"
    for group in ETHNIC_GROUPS:
        assert westminster.populations[group] + table.population("City of London", "all")[group] \
            == joint.populations[group]
    # Bands use the City's age estimate and say so; they still add up to all ages.
    band = table.select(name, "10-17")
    assert "estimated" in band.note


def split_free_table():
    from stopsearch_app.domain.denominators import SHIPPED_TABLE, load_denominator_table

    return load_denominator_table(resource_path(*SHIPPED_TABLE))


@pytest.mark.parametrize("name", ["lambeth", "LAMBETH", " Lambeth ", "E09000022"])
def test_borough_lookup_is_case_insensitive(table, name):
    assert table.select(name, "all").area_label == "Lambeth"


def test_ampersand_means_and(table):
    assert table.select("Hammersmith & Fulham").area_label == "Hammersmith and Fulham"


def test_32_borough_rows_and_london(table):
    names = table.area_names()
    assert names[0] == "London"
    assert len(names) == 34  # 32 boroughs, the City (TS022) and Westminster split, plus London


def test_unknown_area_is_refused(table):
    with pytest.raises(DenominatorUnavailable, match="Narnia") as caught:
        table.population("Narnia", "all")
    assert caught.value.reason == "no denominator"


def test_unknown_age_band_is_refused(table):
    with pytest.raises(ValueError, match="age band"):
        table.population("london", "teenagers")


def test_age_band_spellings(table):
    assert table.population("london", "under_10") == table.population("london", "under-10")
    assert table.population("london", "10_17") == table.population("london", "10-17")


def test_suppressed_cells_are_reported_for_the_selection(table):
    # Small borough x single age x 19-group cells are suppressed; the count travels with the figure.
    borough = table.select("Westminster", "10-17")
    assert borough.suppressed_cells == sum(borough.suppressed_by_group.values())
    assert table.suppressed_cells("Westminster", "10-17") == borough.suppressed_cells


def test_five_group_table_refuses_a_nineteen_group_request(table):
    with pytest.raises(DenominatorMismatch, match="ons-19-group"):
        table.population("london", "all", classification=NINETEEN_GROUP)


# --- checked against the raw ONS file -----------------------------------------------------------
def _raw_sum(code: str, ages: range, prefix: str) -> tuple[int, int]:
    total = suppressed = 0
    with RAW_CENSUS.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        columns = [i for i, name in enumerate(header) if name.startswith(prefix)]
        for row in reader:
            if row[0] == code and row[2].isdigit() and int(row[2]) in ages:
                for i in columns:
                    if row[i] == "c":
                        suppressed += 1
                    else:
                        total += int(row[i])
    return total, suppressed


@needs_raw_census
def test_black_10_17_in_lambeth_matches_the_raw_file(table):
    expected, expected_suppressed = _raw_sum("E09000022", range(10, 18), "Black")
    selection = table.select("Lambeth", "10-17")
    assert selection.populations["Black"] == expected
    assert selection.suppressed_by_group["Black"] == expected_suppressed


@needs_raw_census
def test_builder_reproduces_the_shipped_files(tmp_path):
    spec = importlib.util.spec_from_file_location("build_census", PROJECT_ROOT / "tools" / "build_census_denominators.py")
    builder = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(builder)
    builder.build(RAW_CENSUS, tmp_path)
    shipped = resource_path("census")
    for name in ("census2021_la_age_ethnicity.csv", "census2021_la_age_ethnicity.meta.toml"):
        assert (tmp_path / name).read_bytes() == (shipped / name).read_bytes(), name


# --- user tables ----------------------------------------------------------------------------------
HEADER_5 = "# source = Test population\n# year = 2023\n# geography = test boroughs\n# classification = ons-5-group\n"


def _user_table(body: str, header: str = HEADER_5):
    return parse_denominator_csv(header + body, origin="user.csv")


def test_user_table_with_comment_metadata_and_bands():
    table = _user_table("area,age,group,population\n"
                        "Lambeth,10-17,Black,9120\nLambeth,10-17,white,7000\nLambeth,10-17,Asian,c\n"
                        "Lambeth,0-9,Black,10000\nLambeth,18+,Black,50000\n")
    assert table.metadata.source == "Test population" and table.metadata.year == 2023
    assert table.population("Lambeth", "10-17") == {"White": 7000, "Black": 9120, "Asian": 0, "Mixed": 0, "Other": 0}
    assert table.suppressed_cells("Lambeth", "10-17") == 1
    assert table.population("Lambeth", "child")["Black"] == 19120
    assert table.population("Lambeth", "all")["Black"] == 69120


def test_user_table_band_that_rows_do_not_tile_is_unavailable():
    table = _user_table("area,age,group,population\nLambeth,10-17,Black,9120\nLambeth,15-19,White,1\n")
    with pytest.raises(DenominatorUnavailable, match="15-19"):
        table.population("Lambeth", "10-17")
    only_children = _user_table("area,age,group,population\nLambeth,10-17,Black,9120\n")
    with pytest.raises(DenominatorUnavailable, match="no rows for ages 18"):
        only_children.population("Lambeth", "adult")


def test_user_table_with_sidecar_metadata(tmp_path):
    path = tmp_path / "visitors.csv"
    path.write_text("area,age,group,population,suppressed\nLondon,0+,Black,100,0\nLondon,0+,White,200,yes\n")
    (tmp_path / "visitors.meta.toml").write_text(
        'source = "Visitor-adjusted"\nyear = 2022\ngeography = "London"\nclassification = "ons-5-group"\n')
    table = load_denominator_table(path)
    assert table.metadata.source == "Visitor-adjusted"
    assert table.population("london", "all")["White"] == 200
    assert table.suppressed_cells("london", "all") == 1


def test_user_table_london_less_the_city_when_the_table_separates_it():
    rows = ["area_code,area,age,group,population",
            "E12000007,London,0+,Black,1000", "E12000007,London,0+,White,5000",
            "E09000001,City of London,0+,Black,10", "E09000001,City of London,0+,White,60",
            "E09000033,Westminster,0+,Black,50", "E09000033,Westminster,0+,White,150"]
    table = _user_table("\n".join(rows) + "\n")
    met = table.select("london", "all")
    assert met.populations["Black"] == 990 and met.populations["White"] == 4940
    assert "less the City" in met.note
    assert table.population("london", "all", exclude_city_of_london=False)["White"] == 5000
    assert table.select("Westminster").populations["White"] == 150


def test_user_table_london_from_borough_codes_when_no_region_row():
    rows = ["area_code,area,age,group,population",
            "E09000022,Lambeth,0+,Black,100", "E09000028,Southwark,0+,Black,80", "E08000003,Manchester,0+,Black,70"]
    selection = _user_table("\n".join(rows) + "\n").select("london", "all")
    assert selection.populations["Black"] == 180
    assert "sum of 2 borough rows" in selection.note


def test_user_table_without_london_is_unavailable_for_london():
    with pytest.raises(DenominatorUnavailable, match="no London row"):
        _user_table("area,age,group,population\nLambeth,0+,Black,1\n").population("london", "all")


def test_nineteen_group_table_is_refused_for_five_group_rates():
    header = HEADER_5.replace("ons-5-group", "ons-19-group")
    table = _user_table("area,age,group,population\nLondon,0+,Black: African,10\n", header)
    with pytest.raises(DenominatorMismatch, match="ons-19-group.*ons-5-group"):
        table.population("london", "all")
    assert table.population("london", "all", classification=NINETEEN_GROUP) == {"Black: African": 10}


def test_unknown_classification_is_refused():
    header = HEADER_5.replace("ons-5-group", "police-4-group")
    table = _user_table("area,age,group,population\nLondon,0+,Black,10\n", header)
    with pytest.raises(DenominatorMismatch, match="police-4-group"):
        table.population("london", "all")


@pytest.mark.parametrize(("body", "message"), [
    ("area,age,population\nLondon,0+,10\n", "missing column.*group"),
    ("area,age,group,population\nLondon,0+,Black,-5\n", "line 6.*'population' is negative"),
    ("area,age,group,population\nLondon,0+,Black,ten\n", "line 6.*'population' has 'ten'"),
    ("area,age,group,population\nLondon,0+,Black,\n", "line 6.*'population'"),
    ("area,age,group,population\nLondon,0+,Black,1.5\n", "line 6.*'population'"),
    ("area,age,group,population\nLondon,0+,Purple,1\n", "line 6.*'group' has 'Purple'"),
    ("area,age,group,population\nLondon,ten,Black,1\n", "line 6.*'age'"),
    ("area,age,group,population\nLondon,17-10,Black,1\n", "line 6.*backwards"),
    ("area,age,group,population\n,0+,Black,1\n", "line 6.*'area' is blank"),
    ("area,age,group,population\nLondon,0+,Black,1\nLondon,0+,black,2\n", "line 7.*duplicate.*line 6"),
    ("area,age,group,population\nLondon,0+,Black,1,0\nLondon,0+\n", "line 7.*2 fields"),
    ("area,age,group,population,suppressed\nLondon,0+,Black,1,maybe\n", "line 6.*'suppressed'"),
    ("area,age,group,population\n", "no data rows"),
])
def test_bad_user_csv_names_the_line_and_column(body, message):
    with pytest.raises(DenominatorFormatError, match=message):
        _user_table(body)


def test_bad_user_csv_errors_are_value_errors():
    assert issubclass(DenominatorFormatError, ValueError)
    assert issubclass(DenominatorMismatch, ValueError)


def test_user_csv_without_metadata_is_refused(tmp_path):
    path = tmp_path / "bare.csv"
    path.write_text("area,age,group,population\nLondon,0+,Black,1\n")
    with pytest.raises(DenominatorFormatError, match="no metadata.*bare.meta.toml"):
        load_denominator_table(path)


def test_user_csv_with_incomplete_metadata_is_refused():
    with pytest.raises(DenominatorFormatError, match="missing year, classification"):
        _user_table("area,age,group,population\nLondon,0+,Black,1\n",
                    header="# source = x\n# geography = y\n")


def test_stated_suppressed_count_is_checked():
    with pytest.raises(DenominatorFormatError, match="says 3 suppressed cells but the data has 1"):
        _user_table("area,age,group,population\nLondon,0+,Black,c\n", HEADER_5 + "# suppressed_cells = 3\n")


@pytest.mark.parametrize(("text", "first", "last"), [
    ("12", 12, 12), ("10-17", 10, 17), ("90+", 90, None), ("100 or over", 100, None), (" 0 - 9 ", 0, 9)])
def test_parse_age(text, first, last):
    span = parse_age(text)
    assert (span.first, span.last) == (first, last)
