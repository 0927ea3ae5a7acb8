"""Officer-defined denominators without Mixed (domain/officer_ethnicity.py), on the shipped Census
table's 19 categories for London, summed here from the CSV."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from stopsearch_app.domain.officer_ethnicity import FIVE_GROUP_ONLY, OFFICER_GROUPS, officer_denominators

CENSUS = Path(__file__).resolve().parents[2] / "resources" / "census" / "census2021_la_age_ethnicity.csv"


@pytest.fixture(scope="module")
def london_19():
    totals: Counter[str] = Counter()
    with CENSUS.open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            if row["geography_code"] == "E12000007":
                totals[row["ethnic_group_19"]] += int(row["population"])
    return dict(totals)


def test_both_variants_from_19_categories(london_19):
    result = officer_denominators(london_19)
    mixed = {k: v for k, v in london_19.items() if k.startswith("Mixed")}
    assert len(mixed) == 4
    assert result.mixed_residents == sum(mixed.values())
    assert 480_000 < result.mixed_residents < 540_000  # statistics.md: about 0.51 M
    black = sum(v for k, v in london_19.items() if k.startswith("Black"))
    assert result.left_out["Black"] == black
    caribbean = london_19["Mixed or Multiple ethnic groups: White and Black Caribbean"]
    african = london_19["Mixed or Multiple ethnic groups: White and Black African"]
    assert result.allocated["Black"] == pytest.approx(black + (caribbean + african) / 2, abs=1)
    assert abs(sum(result.allocated.values()) - sum(london_19.values())) <= 4  # rounding only
    assert sum(result.left_out.values()) == sum(london_19.values()) - result.mixed_residents
    assert tuple(result.left_out) == OFFICER_GROUPS


def test_five_groups_give_only_left_out():
    result = officer_denominators({"White": 100, "Black": 40, "Asian": 30, "Mixed": 10, "Other": 5})
    assert result.left_out == {"White": 100, "Black": 40, "Asian": 30, "Other": 5}
    assert result.allocated is None and result.reason == FIVE_GROUP_ONLY
    with pytest.raises(ValueError, match="Mixed category"):
        officer_denominators({"White: British": 5, "Mixed or Multiple ethnic groups: Something": 3})
