"""Issue 12 item 6: officer and team patterns, the minimum volumes before any rate, peer comparison."""

from __future__ import annotations

import numpy as np
import pandas as pd

from stopsearch_app.domain import patterns
from stopsearch_app.domain.patterns import Thresholds

SETTINGS = Thresholds("test", min_searches_for_rate=20, min_recorded_for_share=20, min_peers=3)


def frame(officers: dict[str, int], *, team: str = "STN-1", linked_every: int = 4, child_every: int = 5,
          black_every: int = 2) -> pd.DataFrame:
    rows = []
    for officer, count in officers.items():
        for i in range(count):
            rows.append({"officer_ref": officer, "officer_station": team, "outcome_linked": i % linked_every == 0,
                         "child_status": "child" if i % child_every == 0 else "adult",
                         "sde_group": "Black" if i % black_every == 0 else "White"})
    return pd.DataFrame(rows)


def test_no_rate_below_the_minimum_volume_and_counts_always_shown():
    records = frame({"OFC-A": 19, "OFC-B": 20, "OFC-C": 40})
    table = patterns.patterns(records, np.zeros(len(records)), settings=SETTINGS).set_index("officer")
    assert table.loc["OFC-A", "searches"] == 19 and table.loc["OFC-A", "children"] == 4
    assert not table.loc["OFC-A", "rate_shown"] and np.isnan(table.loc["OFC-A", "find_rate"])
    assert np.isnan(table.loc["OFC-A", "share_Black"]) and np.isnan(table.loc["OFC-A", "fail_rate"])
    assert patterns.rate_text(table.loc["OFC-A", "find_rate"], table.loc["OFC-A", "rate_shown"]) == "too few searches"
    assert table.loc["OFC-B", "rate_shown"] and table.loc["OFC-B", "find_rate"] == 5 / 20  # exactly at the threshold
    assert table.loc["OFC-C", "share_Black"] == 0.5 and table.loc["OFC-C", "fail_rate"] == 0.0
    assert patterns.rate_text(table.loc["OFC-B", "find_rate"], True) == "25%"


def test_shares_need_enough_recorded_ethnicity_and_compare_with_the_area():
    records = frame({"OFC-A": 30})
    records.loc[:14, "sde_group"] = None  # 15 of 30 with no ethnicity recorded: under 20 recorded
    table = patterns.patterns(records, None, settings=SETTINGS, area_shares={"Black": 0.25, "White": 0.75})
    assert table.loc[0, "rate_shown"] and np.isnan(table.loc[0, "share_Black"])
    full = patterns.patterns(frame({"OFC-A": 30}), None, settings=SETTINGS, area_shares={"Black": 0.25, "White": 0.75})
    assert full.loc[0, "share_Black"] == 0.5 and full.loc[0, "share_Black_vs_area"] == 2.0
    assert np.isnan(full.loc[0, "with_a_fail"])  # not checked is not zero fails


def test_peer_comparison_needs_enough_peers_and_records_without_an_officer_are_counted():
    records = pd.concat([frame({"OFC-A": 20, "OFC-B": 40, "OFC-C": 60}, team="STN-1"),
                         frame({"OFC-D": 30, "OFC-E": 90}, team="STN-2"),
                         frame({"": 7}, team="STN-2")], ignore_index=True)
    fails = np.r_[np.ones(10), np.zeros(len(records) - 10)]
    table = patterns.patterns(records, fails, settings=SETTINGS).set_index("officer")
    assert table.loc["OFC-C", "searches_vs_team_median"] == 60 / 40
    assert table.loc["OFC-A", "with_a_fail"] == 10 and table.loc["OFC-A", "fail_rate"] == 0.5
    assert np.isnan(table.loc["OFC-D", "searches_vs_team_median"])  # two officers in STN-2: no median comparison
    assert table.attrs["records_without_officer"] == 7 and "" not in table.index
    teams = patterns.patterns(records, fails, by="team", settings=SETTINGS).set_index("team")
    assert teams.loc["STN-2", "searches"] == 127 and teams.loc["STN-1", "with_a_fail"] == 10
