"""Unknown-ethnicity bounds for proportions and rates (domain/sensitivity.py), by hand."""

from __future__ import annotations

import pytest

from stopsearch_app.domain.sensitivity import (CANNOT_BE_JUDGED, NOT_COMPUTABLE, OK, proportion_bounds,
                                               rate_bounds)
from stopsearch_app.domain.statistics import OutcomeCounts


def test_proportion_bounds_by_hand():
    black, white, unknown = OutcomeCounts(200, 180, 36), OutcomeCounts(400, 380, 57), OutcomeCounts(50, 40, 2)
    to_white = (36 / 180) / ((57 + 2) / (380 + 40))
    to_black = ((36 + 2) / (180 + 40)) / (57 / 380)
    elsewhere = (36 / 180) / (57 / 380)
    bounds = proportion_bounds(black, white, unknown)
    assert bounds.status == OK
    assert bounds.low == pytest.approx(min(to_white, to_black, elsewhere))
    assert bounds.high == pytest.approx(max(to_white, to_black, elsewhere))
    assert bounds.proportion_low == pytest.approx(38 / 220) and bounds.proportion_high == pytest.approx(0.2)


def test_proportion_bounds_hold_the_point_estimate_when_both_extremes_fall_below_it():
    """Unknowns whose find rate is the group's: joining either side pulls the ratio towards 1."""
    black, white, unknown = OutcomeCounts(100, 100, 40), OutcomeCounts(100, 100, 20), OutcomeCounts(100, 100, 40)
    to_white, to_black, point = 0.4 / (60 / 200), (80 / 200) / 0.2, 2.0
    assert to_white < point and to_black <= point
    bounds = proportion_bounds(black, white, unknown)
    assert bounds.low == pytest.approx(min(to_white, to_black)) and bounds.high == pytest.approx(point)


def test_rate_bounds_and_cannot_be_judged():
    bounds = rate_bounds(100, 1000, 200, 8000, 30)
    assert bounds.low == pytest.approx((100 / 1000) / (230 / 8000))
    assert bounds.high == pytest.approx((130 / 1000) / (200 / 8000))
    none_recorded = rate_bounds(100, 1000, 200, 8000, 0)
    assert none_recorded.status == CANNOT_BE_JUDGED and none_recorded.low is None
    assert "cannot be judged" in none_recorded.reason
    genuine_zero = rate_bounds(100, 1000, 200, 8000, 0, source_records_unknown=True)
    assert genuine_zero.status == OK and genuine_zero.low == genuine_zero.high == pytest.approx(4.0)
    assert proportion_bounds(OutcomeCounts(5, 5, 1), OutcomeCounts(5, 5, 1), OutcomeCounts(0, 0, 0)).status \
        == CANNOT_BE_JUDGED
    assert proportion_bounds(OutcomeCounts(5, 0, 0), OutcomeCounts(5, 5, 1), OutcomeCounts(3, 3, 1)).status \
        == NOT_COMPUTABLE
