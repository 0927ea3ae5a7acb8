"""One selection type (domain/selection.py): its SQL (store/aggregates.py, also the record lists' of
store/queries.py) and its pandas mask give the same searches on real police.uk files and a local extract
with boroughs, field by field; one age-band vocabulary; its JSON round-trips with its version."""

from __future__ import annotations

import json
import shutil

import pytest

from stopsearch_app.domain.selection import AGE_BAND_VALUES, AgeBand, Selection
from stopsearch_app.store.aggregates import CubeCounts, SqlCounts
from stopsearch_app.store.frames import load_records
from stopsearch_app.store.queries import Labels, RecordQuery, matching_ids
from tests.conftest import POLICEUK
from tests.helpers import import_paths

SELECTIONS = [
    Selection(),
    Selection(person_only=False),
    Selection(forces=("metropolitan",), age="10-17"),
    Selection(forces=("city-of-london",), age="child", month_from="2020-01"),
    Selection(age="under-10"),
    Selection(age="adult", ethnicity="officer", month_to="2020-01"),
    Selection(boroughs=("Lambeth",)),
    Selection(boroughs=("hammersmith & fulham", "Westminster"), age="child"),
    Selection(forces=("metropolitan", "city-of-london"), boroughs=("City of London",), person_only=False),
    # each field on its own, then with the others
    Selection(forces=("city-of-london",), person_only=False),
    Selection(month_from="2020-01", month_to="2020-01"),
    Selection(month_to="2019-12", person_only=False),
    *(Selection(age=band, person_only=False) for band in AgeBand),
    *(Selection(age=band, boroughs=("Westminster", "Camden")) for band in (AgeBand.CHILD, AgeBand.ADULT)),
    Selection(boroughs=("city of london",), month_from="2020-02", ethnicity="officer"),
    Selection(boroughs=("Hackney",), person_only=False),  # the local extract records it; police.uk rows are placed
]
NOTHING = (Selection(forces=("no-such-force",)), Selection(boroughs=("Narnia",)))
SELECTIONS += NOTHING


@pytest.fixture
def loaded(engine, met_file, tmp_path):
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    paths = [met_file]
    for source in sorted(POLICEUK.glob("Taimur-Shabbir_SaS-Data-Cleaning__20*-city-of-london-*.csv")):
        paths.append(tmp_path / source.name.split("__", 1)[1])
        shutil.copy(source, paths[-1])
    paths.append(write_csv(tmp_path / "extract.csv", generate_extract(rows=400, seed=11)))
    assert not import_paths(engine, *paths).failed
    return engine


@pytest.mark.parametrize("selection", SELECTIONS, ids=[str(i) for i in range(len(SELECTIONS))])
def test_sql_and_the_pandas_mask_select_the_same_searches(loaded, selection):
    labels = Labels(loaded)
    frame = load_records(loaded, labels=labels)
    chosen = frame[selection.mask(frame)]
    for source in (SqlCounts(loaded, labels), CubeCounts.build(loaded)):
        counts = source.by_group(selection)["searches"]
        assert counts.sum() == len(chosen)
        column = "sde_group" if selection.ethnicity == "self" else "officer_defined_ethnicity"
        for group in ("White", "Black", "Asian"):
            assert counts[group] == int((chosen[column].astype(object) == group).sum()), group
    assert (len(chosen) > 0) is (selection not in NOTHING)


@pytest.mark.parametrize("selection", SELECTIONS, ids=[str(i) for i in range(len(SELECTIONS))])
def test_the_record_lists_select_by_the_same_sql(loaded, selection):
    """The record table, a check, a pack, a sample and the queue list records with RecordQuery, whose
    SQL for the selection is the counts' own (aggregates.selection_conditions)."""
    labels = Labels(loaded)
    frame = load_records(loaded, labels=labels)
    expected = set(frame.loc[selection.mask(frame), "search_id"].tolist())
    assert set(matching_ids(loaded, RecordQuery(selection), labels).tolist()) == expected
    listed = load_records(loaded, RecordQuery(selection), labels)
    assert set(listed["search_id"].tolist()) == expected
    assert bool(expected) is (selection not in NOTHING)


def test_every_field_is_tried_on_records_it_selects_and_records_it_leaves_out(loaded):
    """The cases above are not vacuous: each field leaves out some loaded searches and keeps others."""
    frame = load_records(loaded, labels=Labels(loaded))
    everything = len(frame)
    for chosen in (Selection(forces=("city-of-london",)), Selection(month_from="2020-01", month_to="2020-01"),
                   Selection(boroughs=("Hackney",)), Selection(boroughs=("Westminster", "Camden")),
                   *(Selection(age=band) for band in AgeBand if band is not AgeBand.ALL)):
        kept = int(chosen.with_(person_only=False).mask(frame).sum())
        assert 0 < kept < everything, chosen
    vehicle = int(Selection().mask(frame).sum())
    assert vehicle < everything  # person searches only leave some vehicle-only searches out
    recorded = frame["borough"].astype(object).notna()
    assert recorded.any() and (~recorded & frame["geo_borough"].astype(object).notna()).any()


def test_a_selection_round_trips_through_its_versioned_json():
    chosen = Selection(forces=("metropolitan",), month_from="2022-01", month_to="2022-09",
                       boroughs=("Hackney", "Lambeth"), age="under-10", ethnicity="officer", person_only=False)
    assert Selection.from_json(json.loads(json.dumps(chosen.as_json()))) == chosen
    assert chosen.as_json()["selection_version"] == 1
    with pytest.raises(ValueError, match="format None"):
        Selection.from_json({"age": "child"})
    assert Selection.all_searches(age="child") == Selection(age=AgeBand.CHILD, person_only=False)
    assert chosen.describe() == "under 10 (0-9) · 2022-01 to 2022-09 · metropolitan · Hackney, Lambeth"


@pytest.mark.parametrize(("text", "band"), [("10-17", AgeBand.AGE_10_17), ("10_17", AgeBand.AGE_10_17),
                                            ("under 10", AgeBand.UNDER_10), ("Under_10", AgeBand.UNDER_10),
                                            ("children", AgeBand.CHILD), ("ALL", AgeBand.ALL), ("adult", AgeBand.ADULT)])
def test_one_age_band_vocabulary_reads_every_spelling(text, band):
    assert AgeBand.parse(text) is band and Selection(age=text).age is band


def test_a_bad_selection_is_refused_with_a_reason():
    with pytest.raises(ValueError, match="unknown age band"):
        Selection(age="teenagers")
    with pytest.raises(ValueError, match="not a month"):
        Selection(month_from="2022-13")
    with pytest.raises(ValueError, match="ends before it starts"):
        Selection(month_from="2022-09", month_to="2022-01")
    with pytest.raises(ValueError, match="ethnicity source"):
        Selection(ethnicity="census")
    assert AGE_BAND_VALUES == ("all", "child", "under-10", "10-17", "adult")
    assert AgeBand.AGE_10_17.years == (10, 17) and AgeBand.CHILD.is_children and not AgeBand.ADULT.is_children
