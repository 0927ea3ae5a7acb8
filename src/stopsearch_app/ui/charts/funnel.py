"""Chart (g): the boroughs' funnel plot. Each borough's ratio vs White against the precision of that
ratio, inside 95% and 99.8% control limits around London's ratio. Reads the dashboard's ``funnel``
(:meth:`stopsearch_app.domain.funnel.FunnelResult.as_json`: points, limits curve, who is outside,
the multiple-comparison note) and ``boroughs`` (cli.md: every borough's group objects, for the
table's residents); ``headline`` gives the subtitle when present.

Both axes are logarithmic (a ratio of 2 and of 1/2 are as far from 1). Suppressed boroughs (under 10
searches of the group or of White) are not drawn and are named in the note and the table."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from stopsearch_app.domain.statistics import EVENTS_NOT_PEOPLE, SUPPRESSED_TEXT
from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts.base import Chart
from stopsearch_app.ui.charts.common import log_ticks, subtitle_text
from stopsearch_app.ui.charts.panel import Cell, ChartPanel, number_cell
from stopsearch_app.ui.charts.style import OKABE_ITO, TEXT_COLOUR

TITLE = _("(g) Boroughs: funnel plot of the ratio vs White")
INSIDE, OUTSIDE_95, OUTSIDE_998 = OKABE_ITO["blue"], OKABE_ITO["orange"], OKABE_ITO["vermillion"]
TALL = 600  # px: room for the funnel under a long multiple-comparison note
LIMIT_NAMES = {"95": "95%", "99.8": "99.8%", "95_bonferroni": "95% Bonferroni", "99.8_bonferroni": "99.8% Bonferroni",
               "fdr_5pct": "FDR 5%"}
CLASS_COLOURS = {"inside": INSIDE, "outside_95": OUTSIDE_95, "outside_99.8": OUTSIDE_998}
LIMIT_PENS = {"95": (OKABE_ITO["orange"], Qt.PenStyle.DashLine), "99.8": (OKABE_ITO["vermillion"], Qt.PenStyle.DotLine)}


def draw(panel: ChartPanel, dashboard: Dashboard, annualised: bool = False) -> None:
    figures = dashboard.boroughs
    assert figures is not None  # Chart.needs
    funnel = figures.funnel
    panel.graphics.setMinimumHeight(max(panel.graphics.minimumHeight(), TALL))
    if "unavailable" in funnel:
        panel.show_message(TITLE, funnel["unavailable"])
        return
    points = funnel.get("points") or []
    assessed = [p for p in points if p["status"] == "assessed"]
    group, reference, centre = funnel["group"], funnel["reference"], funnel["centre"]
    if not assessed:
        panel.show_message(TITLE, _("No borough has 10 or more searches of both groups: nothing to compare."))
        panel.set_table(*_table(points))
        return
    curve = funnel["curve"]
    x_curve = np.log10(curve["volume"])
    for name, (colour, style) in LIMIT_PENS.items():
        for side in ("low", "high"):
            item = pg.PlotDataItem(x_curve, np.log10(curve[f"{side}_{name}"]),
                                   pen=pg.mkPen(colour, width=1.6, style=style))
            panel.plot.addItem(item)
            panel.lines[f"{side}_{name}"] = item
    centre_line = pg.InfiniteLine(pos=math.log10(centre), angle=0, pen=pg.mkPen(TEXT_COLOUR, width=1.6))
    one_line = pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen("#8C8C8C", width=1.2, style=Qt.PenStyle.DashLine))
    panel.plot.addItem(centre_line)
    panel.plot.addItem(one_line)
    panel.lines["centre"], panel.lines["one"] = centre_line, one_line
    ys = [0.0, math.log10(centre)]
    # One scatter item per colour, not per borough: pyqtgraph items cost ~3 ms each.
    classes: dict[str, tuple[list[float], list[float]]] = {}
    for point in assessed:
        x, y = math.log10(point["volume"]), math.log10(point["ratio"])
        outside = point.get("outside") or []
        kind = "outside_99.8" if "99.8" in outside else "outside_95" if "95" in outside else "inside"
        classes.setdefault(kind, ([], []))
        classes[kind][0].append(x)
        classes[kind][1].append(y)
        ys.append(y)
        if "95" in outside:
            panel.add_label(x, y, point["borough"], anchor=(0.0, 1.1), colour=CLASS_COLOURS[kind])
        panel.add_tip(x - 0.03, x + 0.03, y - 0.03, y + 0.03, _tip(point, group, reference))
    for kind, (x_values, y_values) in classes.items():
        item = pg.ScatterPlotItem(x=x_values, y=y_values, symbol="o", size=10, brush=pg.mkBrush(CLASS_COLOURS[kind]),
                                  pen=pg.mkPen(TEXT_COLOUR, width=1))
        panel.plot.addItem(item)
        panel.points[kind] = item
    ys += list(np.log10(curve["low_99.8"])) + list(np.log10(curve["high_99.8"]))
    x_range = (float(x_curve[0]), float(x_curve[-1]))
    pad = max(0.06, (max(ys) - min(ys)) * 0.1)
    y_range = (min(ys) - pad, max(ys) + pad)
    panel.set_category_ticks("bottom", _volume_ticks(*x_range))
    panel.set_category_ticks("left", log_ticks(*y_range))
    panel.set_ranges(x_range, y_range)
    panel.set_axes(left=f"{group} / {reference} " + _("ratio (log scale)"),
                   bottom=_("precision: 1 / (1/group searches + 1/White searches), log scale"))
    notes = [str(funnel.get("note") or ""),
             _("Limits: London's ratio x exp(±z / sqrt(precision)), z = 1.96 (95%, dashed) and 3.09 (99.8%, "
               "dotted). Points outside 95% are named."),
             EVENTS_NOT_PEOPLE]
    headline = dashboard.headline
    panel.set_texts(title=TITLE + f": {group} " + _("vs") + f" {reference}",
                    subtitle=subtitle_text(headline) if headline else "",
                    legend=[(_("London's ratio") + f" {centre:.2f}", TEXT_COLOUR), (_("95% limits"), OUTSIDE_95),
                            (_("99.8% limits"), OUTSIDE_998), (_("borough inside the 95% limits"), INSIDE),
                            (_("ratio 1 (grey dashed)"), "#8C8C8C")],
                    notes=[n for n in notes if n])
    panel.set_table(*_table(points, _residents(figures.boroughs, group, reference)))


def _tip(point: Mapping, group: str, reference: str) -> str:
    outside = point.get("outside") or []
    where = _outside_text(outside) if outside else _("inside the 95% limits")
    return (f"{point['borough']}: {group} / {reference} ratio {point['ratio']:.2f}\n"
            f"{point['searches']:,} {group} and {point['reference_searches']:,} {reference} searches\n"
            f"p = {point['p_value']:.3g} (BH-adjusted {point.get('p_adjusted_bh') or 0:.3g}); {where}")


def _table(points, residents: Mapping[str, tuple] | None = None) -> tuple[list[str], list[list]]:
    residents = residents or {}
    headers = [_("Borough"), _("GSS code"), _("Group searches"), _("White searches"), _("Group residents"),
               _("White residents"), _("Ratio vs White"), _("Precision"), _("z"), _("p"), _("p (BH-adjusted)"),
               _("Outside limits"), _("Note")]
    rows = []
    for point in points:
        pops = residents.get(point["borough"], (None, None))
        if point["status"] == "suppressed":
            rows.append([point["borough"], point.get("gss_code") or "-", Cell(SUPPRESSED_TEXT), Cell(SUPPRESSED_TEXT),
                         number_cell(pops[0], decimals=0), number_cell(pops[1], decimals=0), Cell(SUPPRESSED_TEXT),
                         "-", "-", "-", "-", "-", _("fewer than 10: suppressed")])
            continue
        assessed = point["status"] == "assessed"
        rows.append([point["borough"], point.get("gss_code") or "-", number_cell(point["searches"], decimals=0),
                     number_cell(point["reference_searches"], decimals=0), number_cell(pops[0], decimals=0),
                     number_cell(pops[1], decimals=0), number_cell(point.get("ratio"), reason=point.get("reason")),
                     number_cell(point.get("volume"), decimals=1), number_cell(point.get("z"), decimals=2),
                     number_cell(point.get("p_value"), decimals=4),
                     number_cell(point.get("p_adjusted_bh"), decimals=4),
                     _outside_text(point.get("outside") or []) or ("-" if not assessed else _("none")),
                     point.get("reason") or ""])
    return headers, rows


def _outside_text(names) -> str:
    return ", ".join(LIMIT_NAMES.get(name, name) for name in names)


def _residents(boroughs, group: str, reference: str) -> dict[str, tuple]:
    found = {}
    for entry in boroughs:
        by_group = {g["group"]: g for g in entry.get("groups", [])}
        found[entry["borough"]] = (by_group.get(group, {}).get("population"),
                                   by_group.get(reference, {}).get("population"))
    return found


def _volume_ticks(low: float, high: float) -> list[tuple[float, str]]:
    values = [v * 10**e for e in range(0, 6) for v in (1, 2, 5)]
    return [(math.log10(v), f"{v:,}") for v in values if low <= math.log10(v) <= high]


CHART = Chart("funnel", TITLE, 70, draw, needs=("boroughs",))
