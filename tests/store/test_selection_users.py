"""Every former filter type now holds a Selection: the record table's RecordQuery, a pack's PackRequest,
a dip sample's selection (and the JSON saved samples hold), the review queue's QueueFilter. Each
selects what the raw police.uk files say it should: the expectations are counted here from the CSVs
themselves (police.uk records carry no exact age, so a child is an age range of "under 10" or "10-17")."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import insert, select

import stopsearch_app.store.review_schema  # noqa: F401 - the review tables on the shared metadata
from stopsearch_app.domain import review
from stopsearch_app.domain.selection import AgeBand, Selection
from stopsearch_app.io.review_pack import read_pack
from stopsearch_app.services.commands_export import PackRequest, export_pack
from stopsearch_app.store import reviews
from stopsearch_app.store.checks import run_check
from stopsearch_app.store.queries import Labels, RecordQuery, matching_ids
from stopsearch_app.store.review_schema import sample
from tests.conftest import MET_SEPTEMBER_2022, POLICEUK
from tests.helpers import import_paths

CITY = {month: POLICEUK / f"Taimur-Shabbir_SaS-Data-Cleaning__{month}-city-of-london-stop-and-search.csv"
        for month in ("2019-12", "2020-01", "2020-02")}
CHILD_RANGES = ("under 10", "10-17")
ADULT_RANGES = ("18-24", "25-34", "over 34")


def raw(path) -> pd.DataFrame:
    return pd.read_csv(path)


def count(frames, ranges) -> int:
    return sum(int(frame["Age range"].isin(ranges).sum()) for frame in frames)


@pytest.fixture
def loaded(engine, tmp_path):
    paths = []
    for source in (MET_SEPTEMBER_2022, *CITY.values()):
        paths.append(tmp_path / source.name.split("__", 1)[1])
        shutil.copy(source, paths[-1])
    assert not import_paths(engine, *paths).failed
    return engine


def test_the_record_table_filter_selects_what_the_files_hold(loaded):
    labels = Labels(loaded)
    met = raw(MET_SEPTEMBER_2022)
    city_from_january = [raw(CITY["2020-01"]), raw(CITY["2020-02"])]

    def listed(**fields) -> int:
        return len(matching_ids(loaded, RecordQuery(Selection.all_searches(**fields)), labels))

    assert listed() == len(met) + sum(len(raw(path)) for path in CITY.values())  # vehicle-only searches too
    assert listed(forces=("metropolitan",), age="child") == count([met], CHILD_RANGES) == 1856
    assert listed(forces=("metropolitan",), age="under-10") == count([met], ("under 10",)) == 2
    assert listed(forces=("metropolitan",), age="10-17") == count([met], ("10-17",))
    assert listed(forces=("metropolitan",), age="adult") == count([met], ADULT_RANGES)
    assert listed(forces=("city-of-london",), month_from="2020-01", age="child") == count(city_from_january,
                                                                                          CHILD_RANGES) == 35
    # the bar's extras: the recorded range (none recorded) and a group of the chosen ethnicity source
    unrecorded = RecordQuery(Selection.all_searches(forces=("metropolitan",)), age_ranges=("(not recorded)",))
    assert len(matching_ids(loaded, unrecorded, labels)) == int(met["Age range"].isna().sum())
    black = RecordQuery(Selection.all_searches(forces=("metropolitan",), ethnicity="officer"), ethnic_groups=("Black",))
    assert len(matching_ids(loaded, black, labels)) == int((met["Officer-defined ethnicity"] == "Black").sum())


def test_a_pack_holds_the_records_of_its_selection(loaded, tmp_path):
    chosen = Selection.all_searches(forces=("city-of-london",), month_from="2020-01", age="10-17")
    result = export_pack(loaded, PackRequest(out=tmp_path / "pack", selection=chosen), user="Sgt Adams")
    pack = read_pack(result.path)
    assert len(pack.records) == result.records == count([raw(CITY["2020-01"]), raw(CITY["2020-02"])], ("10-17",))
    assert pack.manifest["filters"] == {"force": "city-of-london", "month_from": "2020-01", "month_to": None,
                                        "borough": None, "age": "10-17", "area": "london", "ethnicity": "self",
                                        "measure": "rate"}
    with pytest.raises(ValueError, match="one force"):
        PackRequest(out=tmp_path / "x", selection=Selection.all_searches(forces=("metropolitan", "city-of-london")))


def test_a_sample_is_drawn_from_its_selection_and_saved_samples_of_the_first_format_still_load(loaded):
    labels = Labels(loaded)
    adults = Selection.all_searches(forces=("city-of-london",), month_to="2020-01", age="adult")
    drawn = reviews.preview_sample(loaded, labels, 5, 7, adults)
    assert drawn.population == count([raw(CITY["2019-12"]), raw(CITY["2020-01"])], ADULT_RANGES)
    saved = reviews.save_sample(loaded, drawn, "adults", created_by="Insp Rowe")
    with loaded.connect() as connection:
        stored = json.loads(connection.execute(select(sample.c.filters).where(sample.c.id == saved.id)).scalar_one())
    assert stored["selection_version"] == 1 and saved.filters == adults

    # A sample saved before the selection type: SampleFilters.as_json(), no version.
    first_format = {"month_from": "2020-01", "month_to": None, "forces": ["city-of-london"], "boroughs": [],
                    "children_only": True, "ethnicity_source": "self"}
    with loaded.begin() as connection:
        connection.execute(insert(sample).values(
            name="old", seed=3, n=4, filters=json.dumps(first_format, sort_keys=True), strata="age band x ethnic group",
            allocation="{}", method_version="1", created_by="Insp Rowe", created_at=datetime.now(UTC)))
    old = reviews.load_sample(loaded, "old")
    assert old.filters == Selection.all_searches(forces=("city-of-london",), month_from="2020-01", age=AgeBand.CHILD)
    assert {s.name for s in reviews.list_samples(loaded)} == {"adults", "old"}
    again = reviews.preview_sample(loaded, labels, 4, old.seed, old.filters)
    assert again.population == count([raw(CITY["2020-01"]), raw(CITY["2020-02"])], CHILD_RANGES) == 35
    assert old.filters.describe() == "children (0-17) · 2020-01 to … · city-of-london"


def test_the_review_queue_selects_with_a_selection(loaded):
    run_check(loaded, run_by="tester")
    labels = Labels(loaded)

    def needing_review(**fields) -> set[int]:
        query = RecordQuery(Selection.all_searches(age="child", **fields), needs_review=True)
        return set(matching_ids(loaded, query, labels).tolist())

    everything = set(reviews.queue_ids(loaded, labels).tolist())
    city = set(reviews.queue_ids(loaded, labels, reviews.QueueFilter(Selection.all_searches(
        forces=("city-of-london",)))).tolist())
    january = set(reviews.queue_ids(loaded, labels, reviews.QueueFilter.of_month("2020-01")).tolist())
    assert everything == needing_review() and city == needing_review(forces=("city-of-london",))
    assert january == needing_review(month_from="2020-01", month_to="2020-01")
    assert 0 < len(january) < len(city) < len(everything)
    assert len(city) <= count([raw(path) for path in CITY.values()], CHILD_RANGES)
    # The queue is of children whatever the selection's band says.
    assert set(reviews.queue_ids(loaded, labels, reviews.QueueFilter(Selection.all_searches(age="adult")))) == set()
