"""One selection type (domain/selection.py): its SQL (store/aggregates.py) and its pandas mask give the
same searches on real police.uk files and a local extract with boroughs; one age-band vocabulary."""

from __future__ import annotations

import shutil

import pytest

from stopsearch_app.domain.selection import AGE_BAND_VALUES, AgeBand, Selection
from stopsearch_app.store.aggregates import CubeCounts, SqlCounts
from stopsearch_app.store.frames import load_records
from stopsearch_app.store.queries import Labels
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
]


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
    assert len(chosen) > 0 or selection.boroughs


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
