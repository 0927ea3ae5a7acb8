"""The chart registry and its two new charts: the monthly ratio (series + trend) and the borough
funnel plot, drawn from dashboards built by the domain functions (tests/ui/chart_dashboards.py)."""

from __future__ import annotations

import math
from dataclasses import replace

import pytest

from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.ui.charts import Chart, available, chart, registry
from stopsearch_app.ui.charts.panel import ChartPanel
from stopsearch_app.ui.disparity_view import BASE_CHART_KEYS, DisparityView
from tests.ui.chart_dashboards import borough_keys, series_keys


def dashboard_of(**panels) -> Dashboard:
    """A dashboard carrying only these panels' keys (as compute_dashboard's JSON names them)."""
    return Dashboard.from_json({"request": {}, **panels})


@pytest.fixture
def panel(qtbot):
    widget = ChartPanel("test")
    qtbot.addWidget(widget)
    widget.resize(1100, 800)
    widget.show()
    return widget


def test_the_registry_finds_one_module_per_chart():
    assert list(registry()) == ["rates", "ratios", "age_bands", "monthly", "outcomes", "monthly_ratio", "funnel"]
    assert chart("funnel").needs == ("boroughs",)
    assert [c.key for c in available(dashboard_of(series=[], trend={}))] == ["monthly_ratio"]
    assert available(Dashboard.from_json({"unavailable": "no data", "series": []})) == ()
    with pytest.raises(KeyError, match="no dashboard panel"):
        Chart("pie", "Pie", 99, lambda *args: None, needs=("pie",)).available(dashboard_of(series=[], trend={}))
    with pytest.raises(KeyError, match="no chart"):
        chart("pie")


def test_monthly_ratio_chart(panel, tmp_path):
    keys = series_keys()
    chart("monthly_ratio").draw(panel, dashboard_of(**keys))
    series = keys["series"]
    assert len(series) == 14 and "2023-06" not in [m["month"] for m in series]
    # One point per drawn group-month: Other is under 10 everywhere; 2023-09 has no White searches.
    drawn = [(m["month"], g["group"]) for m in series for g in m["groups"]
             if g["group"] != "White" and g["searches"] >= 10 and g["ratio_vs_white"]]
    assert sorted(panel.points) == ["Asian", "Black", "Mixed"]  # Other is under 10 everywhere: not drawn
    for name in panel.points:
        assert len(panel.points[name].getData()[0]) == sum(1 for _month, group in drawn if group == name)
    first = next(g for g in series[0]["groups"] if g["group"] == "Black")
    x, y = panel.points["Black"].getData()
    assert y[0] == pytest.approx(math.log10(first["ratio_vs_white"]))
    opts = panel.whiskers["Black"].opts
    assert opts["y"][0] + opts["top"][0] == pytest.approx(math.log10(first["ci_high"]))
    # 2023-07 sits 6 months after January (the missing June is a gap on the axis); 2023-09 has no
    # White searches, so no Black point sits 8 months in.
    black_months = [round(v) for v in x]
    assert 6 in black_months and 5 not in black_months and 8 not in black_months
    assert "reference" in panel.lines
    assert panel.label_texts() == ["no White searches"]  # 2023-09: covered, nothing to draw
    model = panel.model
    row = model.find_row("2023-01", "Black")
    assert model.text(row, model.column("Ratio vs White")) == f"{first['ratio_vs_white']:,.2f}"
    other = model.find_row("2023-01", "Other")
    assert model.text(other, model.column("Searches")) == "<10"
    assert model.text(model.find_row("2023-09", "Black"), model.column("Note")).startswith("zero searches")
    assert model.rowCount() == 14 * 5
    trend = keys["trend"]
    assert len(trend["months"]) == 14  # 2023-09 (no White searches) still counts in the fit
    assert f"x{trend['ratio_change_per_year']:.2f} per year" in " ".join(panel.note_item.text.split())
    assert panel.export(tmp_path / "m.png").stat().st_size > 10_000
    assert "<svg" in panel.export(tmp_path / "m.svg").read_text(encoding="utf-8")


def test_monthly_ratio_with_too_few_months_says_so(panel):
    keys = series_keys()
    keys["series"] = keys["series"][:2]
    keys["trend"] = {"method": None, "ratio_change_per_year": None, "ci_low": None, "ci_high": None,
                     "p_value": None, "reason": "fewer than 3 covered months: no trend"}
    chart("monthly_ratio").draw(panel, dashboard_of(**keys))
    assert "fewer than 3 covered months" in panel.status_item.text
    chart("monthly_ratio").draw(panel, dashboard_of(series=[], trend={}))
    assert panel.message == "No covered months in this selection."


def test_funnel_chart(panel, tmp_path):
    keys = borough_keys()
    funnel = keys["funnel"]
    chart("funnel").draw(panel, dashboard_of(**keys))
    assessed = [p for p in funnel["points"] if p["status"] == "assessed"]
    drawn = sorted((round(float(x), 9), round(float(y), 9)) for item in panel.points.values()
                   for x, y in zip(*item.getData(), strict=True))
    assert drawn == sorted((round(math.log10(p["volume"]), 9), round(math.log10(p["ratio"]), 9)) for p in assessed)
    outside_998 = panel.points["outside_99.8"].getData()[1]
    assert len(outside_998) == len(funnel["outside"]["99.8"])
    assert "Richmond upon Thames" in funnel["suppressed"]
    assert "Richmond upon Thames" not in [p["borough"] for p in assessed]
    assert {"Kensington and Chelsea", "Hackney"} <= set(funnel["outside"]["99.8"])
    labelled = set(panel.label_texts())
    assert labelled == set(funnel["outside"]["95"])
    for name in ("low_95", "high_95", "low_99.8", "high_99.8", "centre", "one"):
        assert name in panel.lines
    x, y = panel.lines["high_95"].getData()
    volume = 10 ** x[10]
    assert 10 ** y[10] == pytest.approx(funnel["centre"] * math.exp(1.959963985 / math.sqrt(volume)), rel=1e-6)
    model = panel.model
    assert model.rowCount() == len(keys["boroughs"])
    row = model.find_row("Richmond upon Thames")
    assert model.text(row, model.column("Group searches")) == "<10"
    hackney = next(p for p in assessed if p["borough"] == "Hackney")
    row = model.find_row("Hackney")
    assert model.text(row, model.column("Ratio vs White")) == f"{hackney['ratio']:,.2f}"
    assert "99.8" in model.text(row, model.column("Outside limits"))
    assert "Bonferroni" in panel.note_item.text
    assert panel.export(tmp_path / "f.png").stat().st_size > 10_000
    assert "<svg" in panel.export(tmp_path / "f.svg").read_text(encoding="utf-8")


def test_the_tab_shows_the_new_charts_only_when_the_dashboard_has_them(qtbot, loaded_context):
    view = DisparityView(loaded_context)
    qtbot.addWidget(view)
    view.resize(1366, 768)
    view.show()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=30_000)
    # The real dashboard carries the series and the boroughs (disparity.by_month, by_borough).
    assert [k for k, p in view.panels.items() if not p.isHidden()] == [*BASE_CHART_KEYS, "monthly_ratio", "funnel"]
    full = view.result
    view._on_result(replace(full, monthly_ratio=None, boroughs=None))
    assert [k for k, p in view.panels.items() if not p.isHidden()] == list(BASE_CHART_KEYS)
    view._on_result(Dashboard.from_json(full.as_json() | series_keys() | borough_keys()))
    assert not view.panels["monthly_ratio"].isHidden() and not view.panels["funnel"].isHidden()
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=30_000)  # drawn one chart per turn of the event loop
    assert view.panels["monthly_ratio"].points and view.panels["funnel"].points
    view.shutdown()


def test_the_pack_renderer_writes_every_chart_the_dashboard_has(qapp, loaded_context, db_url, tmp_path):
    from stopsearch_app.services.disparity import compute_dashboard
    from stopsearch_app.ui.pack_charts import render, render_dashboard

    request = {"ethnicity": "self", "age": "10-17", "area": "london", "month_from": None, "month_to": None,
               "measure": "rate"}
    written = render(db_url, tmp_path / "plain", request)
    assert [p.rsplit("/", 1)[-1] for p in written] == [f"{key}.png" for key in (*BASE_CHART_KEYS, "monthly_ratio",
                                                                                 "funnel")]
    dashboard = compute_dashboard(loaded_context.engine, loaded_context.labels, **request)
    written = render_dashboard(qapp, Dashboard.from_json(dashboard.as_json() | series_keys() | borough_keys()),
                               tmp_path / "full")
    assert [p.rsplit("/", 1)[-1] for p in written] == [f"{key}.png" for key in registry()]
    for path in written:
        with open(path, "rb") as handle:
            assert handle.read(8) == b"\x89PNG\r\n\x1a\n"
