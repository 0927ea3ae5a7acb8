"""Counts for the disparity statistics (store/aggregates.py): grouped in SQL, person searches only,
age bands, London forces, boroughs, outcome tallies; the cached cube always agrees with plain SQL."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from stopsearch_app.store import aggregates
from stopsearch_app.store.aggregates import (AGE_BANDS, GROUP_ROWS, LONDON_FORCES, UNKNOWN, CubeCounts, Selection,
                                             SqlCounts, counts)
from stopsearch_app.store.queries import Labels
from stopsearch_app.store.schema import search
from tests.helpers import archive_csv, import_paths

BLACK_SDE = "Black/African/Caribbean/Black British - African"
WHITE_SDE = "White - English/Welsh/Scottish/Northern Irish/British"
NOT_STATED = "Other ethnic group - Not stated"


def row(*, kind="Person search", date="2022-09-10T12:00:00+00:00", age="10-17", sde=BLACK_SDE, ode="Black",
        outcome="A no further action disposal", linked="", removal="") -> str:
    return (f"{kind},{date},False,,51.5,-0.1,Male,{age},{sde},{ode},"
            f"Misuse of Drugs Act 1971 (section 23),Controlled drugs,{outcome},{linked},{removal}")


def rows(count: int, **fields) -> list[str]:
    # Distinct minutes: identical rows would be one record seen several times, which is fine, but
    # distinct times keep the fixture obviously free of duplicates.
    day = fields.pop("day", 10)
    month = fields.pop("month", "2022-09")
    return [row(date=f"{month}-{day:02d}T{10 + i // 60:02d}:{i % 60:02d}:00+00:00", **fields) for i in range(count)]


MET_SEPTEMBER = [
    *rows(12, outcome="Arrest", linked="True", removal="False"),  # Black 10-17, found, outer only
    *rows(3, kind="Person and Vehicle search", day=11, linked="False", removal="True"),  # Black 10-17
    *rows(2, kind="Vehicle search", day=12, age="", sde="", ode=""),  # vehicle only, no person: not counted
    *rows(5, age="under 10", sde=WHITE_SDE, ode="White", day=13),  # White under 10
    *rows(4, age="18-24", sde="Asian/Asian British - Indian", ode="Asian", day=14),  # Asian adults
    *rows(6, sde=NOT_STATED, ode="White", day=15),  # self: unknown; officer: White
    *rows(2, age="", sde="Mixed/Multiple ethnic groups - White and Black Caribbean", ode="", day=16),  # no age
]
MET_OCTOBER = rows(7, sde=WHITE_SDE, ode="White", month="2022-10")
KENT_SEPTEMBER = rows(9, day=20)


@pytest.fixture
def small_db(engine, write_file):
    import_paths(engine,
                 write_file("2022-09-metropolitan-stop-and-search.csv", archive_csv(*MET_SEPTEMBER)),
                 write_file("2022-10-metropolitan-stop-and-search.csv", archive_csv(*MET_OCTOBER)),
                 write_file("2022-09-kent-stop-and-search.csv", archive_csv(*KENT_SEPTEMBER)))
    return engine


@pytest.fixture
def mixed_db(small_db, tmp_path):
    """The small police.uk set plus a synthetic local extract, whose records carry boroughs."""
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    import_paths(small_db, write_csv(tmp_path / "extract.csv", generate_extract(rows=300, seed=5)))
    return small_db


def both(engine):
    labels = Labels(engine)
    aggregates.invalidate(engine)
    return SqlCounts(engine, labels), counts(engine, labels)


LONDON = Selection(forces=LONDON_FORCES)


def test_searches_by_group_counts_person_searches_in_the_band(small_db):
    for source in both(small_db):
        teens = source.by_group(LONDON.with_(age="10-17"))
        assert list(teens.index) == list(GROUP_ROWS)
        assert teens["searches"].to_dict() == {"White": 7, "Black": 15, "Asian": 0, "Mixed": 0, "Other": 0,
                                               UNKNOWN: 6}
        # "Not stated" is unknown, never Other; officer-defined sees those six as White.
        officer = source.by_group(LONDON.with_(age="10-17", ethnicity="officer"))["searches"]
        assert officer["White"] == 13 and officer["Black"] == 15 and officer[UNKNOWN] == 0
        assert source.by_group(LONDON.with_(age="child"))["searches"]["White"] == 12
        assert source.by_group(LONDON.with_(age="under-10"))["searches"].sum() == 5
        assert source.by_group(LONDON.with_(age="adult"))["searches"].to_dict()["Asian"] == 4
        everything = source.by_group(LONDON)["searches"]
        assert everything.sum() == 12 + 3 + 5 + 4 + 6 + 2 + 7  # all ages, vehicle-only left out
        with_vehicles = source.by_group(LONDON.with_(person_only=False))["searches"]
        assert with_vehicles[UNKNOWN] == source.by_group(LONDON)["searches"][UNKNOWN] + 2


def test_left_out_says_what_each_restriction_removed(small_db):
    for source in both(small_db):
        left = source.left_out(LONDON.with_(age="10-17"))
        assert (left.other_forces, left.vehicle_only, left.age_not_recorded, left.no_borough) == (9, 0, 2, 0)
        assert source.left_out(LONDON).vehicle_only == 2
        # police.uk files record no borough, but every row here has coordinates in London (51.5, -0.1)
        placed = source.left_out(LONDON.with_(age="10-17", boroughs=("Southwark",)))
        assert placed.borough_recorded == source.by_group(LONDON.with_(person_only=False))["searches"].sum() == 41
        assert placed.no_borough == 0
        assert source.left_out(Selection(age="10-17")).other_forces == 0  # no area: nothing outside it
        assert source.left_out(LONDON).age_not_recorded == 0  # "all" ages needs no age


def test_outcome_tallies_by_group(small_db):
    for source in both(small_db):
        black = source.by_group(LONDON.with_(age="10-17")).loc["Black"].to_dict()
        assert black == {"searches": 15, "linked_recorded": 15, "linked_true": 12, "removal_recorded": 15,
                         "removal_true": 3, "outcome_recorded": 15, "non_nfa": 12}
        white = source.by_group(LONDON.with_(age="10-17")).loc["White"]
        assert white["linked_recorded"] == 0 and white["non_nfa"] == 0 and white["outcome_recorded"] == 7


def test_monthly_counts_and_months_loaded(small_db):
    for source in both(small_db):
        monthly = source.by_month(LONDON.with_(age="child"))
        assert list(monthly.index) == ["2022-09", "2022-10"]
        assert monthly.loc["2022-09"].to_dict() == {"White": 5, "Black": 15, "Asian": 0, "Mixed": 0, "Other": 0,
                                                    UNKNOWN: 6}
        assert monthly.loc["2022-10", "White"] == 7
        assert source.months_by_force(LONDON) == {"metropolitan": ["2022-09", "2022-10"]}
        assert source.months_by_force(Selection()) == {"kent": ["2022-09"], "metropolitan": ["2022-09", "2022-10"]}
        assert source.months_by_force(LONDON.with_(month_from="2022-10")) == {"metropolitan": ["2022-10"]}


def test_age_bands_from_one_query(small_db):
    for source in both(small_db):
        bands = source.by_age_band(LONDON)
        assert list(bands) == ["under-10", "10-17", "adult"]
        assert bands["under-10"].loc["White", "searches"] == 5
        assert bands["10-17"]["searches"].equals(source.by_group(LONDON.with_(age="10-17"))["searches"])
        assert bands["adult"]["searches"].sum() == 4


def test_boroughs_filter_local_records_case_insensitively(mixed_db):
    labels = Labels(mixed_db)
    for source in both(mixed_db):
        lambeth = source.by_group(LONDON.with_(boroughs=("lambeth",), person_only=False))["searches"].sum()
        with mixed_db.connect() as connection:
            expected = connection.execute(select(func.count()).select_from(search).where(
                search.c.borough_id == labels.by_field["borough"]["Lambeth"])).scalar_one()
        assert lambeth == expected == 48
        left = source.left_out(LONDON.with_(boroughs=("Lambeth",), person_only=False))
        # The Met police.uk records carry no borough but are placed by their coordinates (51.5, -0.1 is
        # in Southwark, not Lambeth): none is "not known", and none is counted in Lambeth.
        assert left.no_borough == 0
        assert left.borough_recorded == 300 + 12 + 3 + 2 + 5 + 4 + 6 + 2 + 7
        southwark = source.by_group(LONDON.with_(boroughs=("Southwark",), person_only=False))["searches"].sum()
        with mixed_db.connect() as connection:
            recorded_southwark = connection.execute(select(func.count()).select_from(search).where(
                search.c.borough_id == labels.by_field["borough"].get("Southwark", -9))).scalar_one()
        assert southwark == recorded_southwark + 12 + 3 + 2 + 5 + 4 + 6 + 2 + 7
        assert source.by_group(LONDON.with_(boroughs=("Nowhere",)))["searches"].sum() == 0


def test_the_cube_is_reused_until_the_data_change(small_db, write_file):
    labels = Labels(small_db)
    aggregates.invalidate(small_db)
    first = counts(small_db, labels)
    assert isinstance(first, CubeCounts) and counts(small_db, labels) is first
    import_paths(small_db, write_file("2022-11-metropolitan-stop-and-search.csv",
                                      archive_csv(*rows(4, month="2022-11", sde=WHITE_SDE, ode="White"))))
    second = counts(small_db, labels)
    assert second is not first
    assert second.by_group(LONDON.with_(age="10-17"))["searches"]["White"] == 11
    aggregates.invalidate(small_db)
    assert counts(small_db, labels) is not second


def test_module_level_shortcuts(small_db):
    labels = Labels(small_db)
    selection = LONDON.with_(age="10-17")
    for cached in (True, False):
        assert aggregates.searches_by_group(small_db, labels, selection, cached=cached)["Black"] == 15
        assert aggregates.outcome_counts_by_group(small_db, labels, selection, cached=cached).at["Black",
                                                                                                "linked_true"] == 12
        assert aggregates.monthly_counts_by_group(small_db, labels, selection, cached=cached).at["2022-10",
                                                                                                "White"] == 7


def test_an_empty_database_gives_zero_rows_not_errors(engine):
    for source in both(engine):
        frame = source.by_group(LONDON)
        assert list(frame.index) == list(GROUP_ROWS) and frame.to_numpy().sum() == 0
        assert source.by_month(LONDON).empty
        assert source.months_by_force(LONDON) == {}
        assert source.left_out(LONDON.with_(age="child")).vehicle_only == 0


def test_selection_refuses_unknown_bands_and_sources():
    with pytest.raises(ValueError, match="age band"):
        Selection(age="teenagers")
    with pytest.raises(ValueError, match="ethnicity source"):
        Selection(ethnicity="census")


def _selection(period: tuple[str | None, str | None], **fields) -> Selection:
    return Selection(month_from=period[0], month_to=period[1], **fields)


# A selection refuses a period that ends before it starts, so the periods drawn are valid ones.
selections = st.builds(
    _selection,
    forces=st.sampled_from([(), LONDON_FORCES, ("metropolitan",), ("kent",), ("kent", "metropolitan"),
                            ("nonexistent",)]),
    period=st.sampled_from([(None, None), ("2022-09", None), ("2022-10", None), ("2025-04", None), (None, "2022-09"),
                            (None, "2022-10"), ("2022-09", "2022-09"), ("2022-09", "2022-10"), ("2022-10", "2025-05"),
                            ("2025-04", "2025-05")]),
    boroughs=st.sampled_from([(), ("Lambeth",), ("hackney", "Tower Hamlets"), ("Nowhere",)]),
    age=st.sampled_from(AGE_BANDS),
    ethnicity=st.sampled_from(("self", "officer")),
    person_only=st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(selection=selections)
def test_the_cube_agrees_with_sql(mixed_db, selection):
    sql = SqlCounts(mixed_db, Labels(mixed_db))
    cube = counts(mixed_db)
    pd.testing.assert_frame_equal(sql.by_group(selection), cube.by_group(selection))
    pd.testing.assert_frame_equal(sql.by_month(selection), cube.by_month(selection), check_names=False)
    assert sql.left_out(selection) == cube.left_out(selection)
    assert sql.months_by_force(selection) == cube.months_by_force(selection)
    for band, frame in sql.by_age_band(selection).items():
        pd.testing.assert_frame_equal(frame, cube.by_age_band(selection)[band])
    pd.testing.assert_frame_equal(sql.by_place(selection), cube.by_place(selection))


def test_a_vehicle_search_that_records_a_person_counts(engine, write_file):
    """The Met file of September 2022 has a "Vehicle search" of a Black 10-17-year-old: the person
    was there and is counted (the published 852 includes it); a vehicle search with no person is not."""
    import_paths(engine, write_file("2022-09-metropolitan-stop-and-search.csv", archive_csv(
        *rows(2, kind="Vehicle search"), *rows(1, kind="Vehicle search", day=12, age="", sde="", ode=""))))
    for source in both(engine):
        assert source.by_group(LONDON.with_(age="10-17"))["searches"]["Black"] == 2
        assert source.by_group(LONDON)["searches"].sum() == 2
        assert source.left_out(LONDON).vehicle_only == 1
