"""The Disparity tab as a panel member drives it: filters change what the charts draw, and the bar
heights, whiskers, points and tables are checked against the statistics computed independently."""

from __future__ import annotations

import math

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from stopsearch_app.services.disparity import NOT_AN_OFFICER_CATEGORY, compute_dashboard, compute_disparity
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.ui.disparity_view import CHART_KEYS, DisparityView, ExportRole, FigureTableModel
from tests.conftest import POLICEUK
from tests.helpers import import_paths


def wait_idle(qtbot, view: DisparityView) -> None:
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=30_000)


@pytest.fixture
def view(qtbot, loaded_context):
    widget = DisparityView(loaded_context)
    qtbot.addWidget(widget)
    widget.resize(1100, 900)
    widget.show()  # the first show computes
    wait_idle(qtbot, widget)
    yield widget
    widget.shutdown()


def expected(context, **request) -> dict:
    """The statistics by the plain-SQL path, independent of the view and of the cached cube."""
    return compute_disparity(context.engine, context.labels, cached=False, **request)


def groups(result: dict) -> dict[str, dict]:
    return {group["group"]: group for group in result["groups"]}


def bar_height(panel, name: str) -> float:
    return float(panel.bars[name].opts["height"][0])


def whisker_span(panel, name: str) -> tuple[float, float]:
    """(low, high) drawn by the item: vertical whiskers from y, horizontal ones from x."""
    opts = panel.whiskers[name].opts
    if opts["top"] is not None:
        y = opts["y"][0]
        return float(y - opts["bottom"][0]), float(y + opts["top"][0])
    x = opts["x"][0]
    return float(x - opts["left"][0]), float(x + opts["right"][0])


def cell(panel, row_key: tuple[str, ...], heading: str) -> tuple[str, float | None]:
    model = panel.model
    row, column = model.find_row(*row_key), model.column(heading)
    return model.text(row, column), model.data(model.index(row, column), ExportRole)


def test_rates_chart_draws_the_statistics(view, loaded_context):
    truth = groups(expected(loaded_context, age="10-17"))
    panel = view.panels["rates"]
    assert set(panel.bars) == set(ETHNIC_GROUPS)  # self-defined: every group has 10 or more searches
    for name, group in truth.items():
        assert bar_height(panel, name) == pytest.approx(group["rate_per_1000"])
        assert whisker_span(panel, name) == pytest.approx((group["rate_ci_low"], group["rate_ci_high"]))
        text, value = cell(panel, (name,), "Rate per 1,000 (period)")
        assert value == pytest.approx(group["rate_per_1000"]) and text == f"{group['rate_per_1000']:,.2f}"
        assert cell(panel, (name,), "Searches")[1] == group["searches"]
    assert truth["Black"]["searches"] == 477 and bar_height(panel, "Black") == pytest.approx(477 / 164_549 * 1000)
    assert cell(panel, ("Unknown",), "Searches")[0] == "501"
    title = panel.title_item.text
    for words in ("per 1,000 residents", "age 10-17", "London", "2022-09 (1 month)", "self-defined ethnicity",
                  "Census 2021"):
        assert words in title
    assert "Searches are events, not people" in panel.note_item.text
    assert "Unknown ethnicity: 501 searches (27.0%)" in panel.note_item.text
    assert "per 1,000" in panel.plot.getAxis("left").labelText
    assert "ethnic group" in panel.plot.getAxis("bottom").labelText
    assert "477 searches / 164,549 residents" in panel.tooltip_at(1.0, 1.0)  # hover over the Black bar
    assert "1,658 searches with no age left out" in view.status.text()


def test_filters_change_what_is_drawn(qtbot, view, loaded_context):
    panel = view.panels["rates"]
    view.ethnicity.setCurrentIndex(view.ethnicity.findData("officer"))
    wait_idle(qtbot, view)
    truth = groups(expected(loaded_context, age="10-17", ethnicity="officer"))
    assert truth["Black"]["searches"] == 852
    assert bar_height(panel, "Black") == pytest.approx(852 / 164_549 * 1000)
    black = truth["Black"]
    assert whisker_span(panel, "Black") == pytest.approx((black["rate_ci_low"], black["rate_ci_high"]))
    assert "Mixed" not in panel.bars  # police.uk officers record no Mixed: no zero bar
    assert NOT_AN_OFFICER_CATEGORY in panel.label_texts()
    assert cell(panel, ("Mixed",), "Rate per 1,000 (period)")[0] == NOT_AN_OFFICER_CATEGORY
    assert "officer-defined ethnicity" in panel.title_item.text

    view.annualised.setChecked(True)  # a view of the same numbers: no recomputation
    assert not view._slot.is_busy()
    wait_idle(qtbot, view)  # the charts are redrawn one per turn of the event loop
    assert bar_height(panel, "Black") == pytest.approx(852 / 164_549 * 1000 * 12)
    assert "per year (annualised)" in panel.title_item.text
    view.annualised.setChecked(False)

    view.age.setCurrentIndex(view.age.findData("under-10"))  # 2 searches in all: everything suppressed
    wait_idle(qtbot, view)
    assert panel.bars == {} and panel.whiskers == {}
    assert panel.label_texts().count("<10") == 4
    assert cell(panel, ("Black",), "Searches") == ("<10", None)
    assert cell(panel, ("Black",), "Rate per 1,000 (period)")[0] == "<10"
    assert "Suppressed (fewer than 10, not drawn): White, Black, Asian, Other" in panel.note_item.text


def test_find_rate_not_recorded_shows_the_labelled_alternative(qtbot, view, loaded_context):
    view.set_filters(measure="find-rate", age="child")
    wait_idle(qtbot, view)
    truth = expected(loaded_context, age="child", measure="find-rate")
    assert truth["not_recorded"]
    alternative = groups(truth["alternative"])
    panel = view.panels["rates"]
    assert "NOT RECORDED" in panel.status_item.text and "any outcome other than no further action" in \
        panel.status_item.text
    assert "Any outcome other than no further action" in panel.title_item.text
    for name, group in alternative.items():
        assert bar_height(panel, name) == pytest.approx(group["proportion"] * 100)
        assert whisker_span(panel, name) == pytest.approx((group["proportion_ci_low"] * 100,
                                                           group["proportion_ci_high"] * 100))
    assert cell(panel, ("Black",), "%")[0] == "28.03%"
    forest = view.panels["ratios"]
    black = alternative["Black"]
    assert forest.points["Black"].getData()[0][0] == pytest.approx(math.log10(black["ratio_vs_white"]))
    assert "NOT RECORDED" in forest.status_item.text


def test_a_borough_on_police_uk_data_comes_from_the_coordinates(qtbot, view):
    view.area.setCurrentIndex(view.area.findData("Hackney"))
    wait_idle(qtbot, view)
    headline = view.result.headline
    assert headline["area_label"] == "Hackney" and headline["borough_not_known"] > 0
    assert f"{headline['borough_not_known']:,} searches with no borough left out" in view.status.text()
    assert "could not be placed in a borough" in view.panels["rates"].note_item.text
    view.area.setCurrentIndex(0)  # back to London: figures again
    wait_idle(qtbot, view)
    assert "Black" in view.panels["rates"].bars and view.panels["rates"].plot.getAxis("left").isVisible()


def test_forest_plot_points_intervals_and_sensitivity(view, loaded_context):
    truth = groups(expected(loaded_context, age="10-17"))
    panel = view.panels["ratios"]
    assert panel.points["White"].getData()[0][0] == 0.0  # ratio 1 on the log axis
    for name in ("Black", "Asian", "Mixed", "Other"):
        group = truth[name]
        x, y = (values[0] for values in panel.points[name].getData())
        assert x == pytest.approx(math.log10(group["ratio_vs_white"]))
        assert whisker_span(panel, name) == pytest.approx((math.log10(group["ci_low"]), math.log10(group["ci_high"])))
        assert whisker_span(panel, f"{name} (unknown-ethnicity range)") == pytest.approx(
            (math.log10(group["sensitivity_low"]), math.log10(group["sensitivity_high"])))
        assert cell(panel, (name,), "Ratio vs White")[1] == pytest.approx(group["ratio_vs_white"])
    ticks = dict((label, position) for position, label in panel.plot.getAxis("bottom")._tickLevels[0])
    assert ticks["1"] == 0.0 and "2" in ticks
    assert "log scale" in panel.plot.getAxis("bottom").labelText
    assert "1.75 times White" in panel.tooltip_at(math.log10(truth["Black"]["ratio_vs_white"]), 3)


def test_age_bands_monthly_and_outcome_charts(view, loaded_context):
    dashboard = compute_dashboard(loaded_context.engine, loaded_context.labels, age="10-17", cached=False)
    ages = view.panels["age_bands"]
    for band in ("10-17", "adult"):
        for group in dashboard.by_age[band]["groups"]:
            assert bar_height(ages, f"{band} {group['group']}") == pytest.approx(group["rate_per_1000"])
    assert not any(name.startswith("under-10") for name in ages.bars)  # all suppressed
    assert cell(ages, ("adults (18 and over)", "Black"), "Rate per 1,000")[1] == pytest.approx(
        groups(dashboard.by_age["adult"])["Black"]["rate_per_1000"])

    monthly = view.panels["monthly"]
    for name, values in dashboard.monthly_children["groups"].items():
        x, y = monthly.lines[name].getData()
        assert list(y) == values and list(x) == [0]
    assert cell(monthly, ("2022-09",), "Black")[0] == "478"
    assert "one month" in monthly.status_item.text.lower()

    outcomes = view.panels["outcomes"]
    alternative = groups(dashboard.children_outcomes["find-rate"]["alternative"])
    for name, group in alternative.items():
        assert bar_height(outcomes, f"non-nfa-rate {name}") == pytest.approx(group["proportion"] * 100)
    placeholders = [text for text in outcomes.label_texts() if "not recorded" in text]
    assert len(placeholders) == 2 and any("more than outer clothing removed" in t for t in placeholders)
    assert "NOT RECORDED" in outcomes.status_item.text
    assert "not the same as a strip search" in outcomes.note_item.text


def test_copy_and_export(qtbot, view, tmp_path, monkeypatch):
    panel = view.panels["rates"]
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied == panel.model.to_tsv()
    lines = copied.splitlines()
    assert lines[0].split("\t")[:3] == ["Group", "Searches", "Residents (Census)"]
    assert lines[2].split("\t")[:2] == ["Black", "477"]
    for key in CHART_KEYS:
        png = view.panels[key].export(tmp_path / f"{key}.png")
        svg = view.panels[key].export(tmp_path / f"{key}.svg")
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
        assert "<svg" in svg.read_text(encoding="utf-8")
    with pytest.raises(ValueError, match="png or .svg"):
        panel.export(tmp_path / "chart.pdf")
    target = tmp_path / "chosen"
    monkeypatch.setattr("stopsearch_app.ui.disparity_view.QFileDialog.getSaveFileName",
                        lambda *args, **kwargs: (str(target), "SVG (*.svg)"))
    qtbot.mouseClick(panel.svg_button, Qt.MouseButton.LeftButton)
    assert "Black" in (tmp_path / "chosen.svg").read_text(encoding="utf-8")


def test_new_records_recompute_and_fill_the_months(qtbot, view, loaded_context):
    assert [view.month_from.itemData(i) for i in range(view.month_from.count())] == [None, "2022-09"]
    import_paths(loaded_context.engine,
                 POLICEUK / "Taimur-Shabbir_SaS-Data-Cleaning__2019-12-city-of-london-stop-and-search.csv")
    with qtbot.waitSignal(view.computed, timeout=30_000):
        loaded_context.data_changed()
    wait_idle(qtbot, view)
    assert [view.month_to.itemData(i) for i in range(view.month_to.count())] == [None, "2019-12", "2022-09"]
    assert view.result.headline["period"]["label"] == "2019-12 to 2022-09 (2 months)"
    assert "city-of-london" in view.result.headline["coverage"]
    view.set_filters(month_from="2019-12", month_to="2019-12")
    wait_idle(qtbot, view)
    assert view.result.headline["coverage"] == {"city-of-london": ["2019-12"]}


def test_large_type(qtbot, view):
    view.set_large_type(True)
    wait_idle(qtbot, view)
    panel = view.panels["rates"]
    assert panel.title_item.opts["size"] == "19pt" and panel.table.font().pointSize() == 15
    assert panel.plot.getAxis("left").style["tickFont"].pointSize() == 15
    assert "Black" in panel.bars  # redrawn, not lost
    view.set_large_type(False)
    assert panel.title_item.opts["size"] == "12pt"


def test_an_empty_database_says_nothing_is_loaded(qtbot, context):
    widget = DisparityView(context)
    qtbot.addWidget(widget)
    widget.show()
    wait_idle(qtbot, widget)
    assert "no searches loaded" in widget.status.text()
    assert widget.panels["rates"].bars == {}
    widget.shutdown()


def test_figure_table_model(qtmodeltester):
    model = FigureTableModel()
    model.set_table(["Group", "Rate"], [["Black", "5.17"], ["White"]])
    qtmodeltester.check(model)
    assert model.text(1, 1) == "" and model.to_tsv() == "Group\tRate\nBlack\t5.17\nWhite\t\n"
