"""Coverage flags (domain/coverage.py) on force-months written for the tests."""

from __future__ import annotations

from stopsearch_app.domain.coverage import COVERAGE_FIELDS, CoverageTable, Flag, ForceMonth

FULL = dict.fromkeys(COVERAGE_FIELDS, 1.0)
SDE = {"White": 300, "Black": 150, "Asian": 100, "Mixed": 30, "Other": 20, "Not stated": 100}
ODE = {"White": 320, "Black": 180, "Asian": 120, "Other": 30}


def month(name: str, records: int = 700, *, first: int = 1, last: int = 30, sde=None, ode=None, shares=None,
          constant_false=(), force: str = "metropolitan") -> ForceMonth:
    recorded = {field: int(records * (shares or FULL).get(field, 1.0)) for field in COVERAGE_FIELDS}
    return ForceMonth(force, name, records, recorded,
                      {"self_defined_ethnicity": sde if sde is not None else SDE,
                       "officer_defined_ethnicity": ode if ode is not None else ODE},
                      first, last, tuple(constant_false))


def flags(table: CoverageTable, name: str) -> tuple[Flag, ...]:
    return table.entry("metropolitan", name).flags


def test_a_month_that_stops_early_is_partial_but_a_quiet_force_is_not():
    table = CoverageTable([month("2024-09", last=10), month("2024-10"), month("2024-11", first=9),
                           month("2024-06", records=20, first=3, last=24, force="small")])
    assert Flag.PARTIAL_MONTH in flags(table, "2024-09") and Flag.PARTIAL_MONTH in flags(table, "2024-11")
    assert flags(table, "2024-10") == ()
    assert "no record after day 10 of 30" in table.entry("metropolitan", "2024-09").flag_details[0]
    assert table.entry("small", "2024-06").flags == ()  # 20 a month: a few quiet days prove nothing


def test_volume_far_below_the_forces_other_months():
    table = CoverageTable([month("2024-01"), month("2024-02"), month("2024-03", records=300), month("2024-04")])
    assert Flag.LOW_VOLUME in flags(table, "2024-03") and Flag.LOW_VOLUME not in flags(table, "2024-01")


def test_a_category_missing_where_it_is_expected_is_absent_from_the_source():
    without = {key: value for key, value in SDE.items() if key not in ("Other", "Not stated")}
    table = CoverageTable([month("2024-08"), month("2024-09", sde=without), month("2024-10", 400, sde=without)])
    entry = table.entry("metropolitan", "2024-09")
    assert Flag.CATEGORY_ABSENT in entry.flags
    assert set(entry.categories_absent["self_defined_ethnicity"]) == {"Other", "Not stated"}
    assert table.entry("metropolitan", "2024-10").flags == ()  # under 500 records: too few to say
    assert [e.month for e in table.absent("self_defined_ethnicity", "Other", ["metropolitan"], None, None)] == ["2024-09"]


def test_officer_defined_mixed_is_never_expected():
    with_mixed = dict(ODE, Mixed=40)
    table = CoverageTable([month("2024-08", ode=with_mixed), month("2024-09")])
    assert table.entry("metropolitan", "2024-09").flags == ()


def test_a_field_false_on_every_record_and_missing_months():
    table = CoverageTable([month("2024-01", constant_false=("outcome_linked",)), month("2024-04")])
    assert Flag.CONSTANT_FALSE in flags(table, "2024-01")
    assert table.missing_months("metropolitan") == ["2024-02", "2024-03"]
    entry = table.entry("metropolitan", "2024-01")
    assert not entry.counts.records_field("outcome_linked") and entry.counts.records_field("legislation")
    json = entry.as_json()
    assert json["flags"] == ["constant_false"] and json["fields_recorded"]["age_range"] == 1.0
