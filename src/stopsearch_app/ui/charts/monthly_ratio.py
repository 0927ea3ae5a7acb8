"""Chart (f): the ratio vs White in each covered month, with 95% whiskers, a line at 1 and the trend
test in the note. Reads the dashboard's ``series`` (per covered month: the cli.md group objects) and
``trend`` (:meth:`stopsearch_app.domain.trend.TrendResult.as_json`); ``headline`` gives the subtitle
when present.

Months sit at their true distance: a month with no records for any force is a gap on the axis, never a
zero. A group-month with fewer than 10 searches is not drawn (``<10`` in the table)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt

from stopsearch_app.domain.statistics import EVENTS_NOT_PEOPLE, REFERENCE_GROUP, SUPPRESSED_TEXT, SUPPRESSION_THRESHOLD
from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts.base import Chart
from stopsearch_app.ui.charts.common import log_ticks, subtitle_text
from stopsearch_app.ui.charts.panel import Cell, ChartPanel, number_cell
from stopsearch_app.ui.charts.style import GROUP_COLOURS, OKABE_ITO, TEXT_COLOUR

TITLE = _("(f) Ratio vs White per covered month")
TALL = 600  # px: the note under this chart is long, the plot still needs room
OFFSET = 0.12  # months between the groups' points in one month, so whiskers do not overlap


def draw(panel: ChartPanel, dashboard: Dashboard, annualised: bool = False) -> None:
    monthly = dashboard.monthly_ratio
    assert monthly is not None  # Chart.needs
    series, trend = monthly.series, monthly.trend
    panel.graphics.setMinimumHeight(max(panel.graphics.minimumHeight(), TALL))
    if not series:
        panel.show_message(TITLE, _("No covered months in this selection."))
        return
    months = [entry["month"] for entry in series]
    first = _index(months[0])
    xs = [_index(m) - first for m in months]
    groups = [g["group"] for g in series[0]["groups"] if g["group"] != REFERENCE_GROUP]
    shown_groups: list[str] = []
    logs, rows, suppressed, no_ratio = [0.0], [], 0, 0
    empty_months: list[tuple[int, str]] = []  # covered, but no group's ratio could be drawn
    # One scatter and one whisker item per group, not per point: pyqtgraph items cost ~3 ms each.
    drawn: dict[str, dict[str, list[float]]] = {name: {"x": [], "y": [], "low": [], "high": []} for name in groups}
    for x, entry in zip(xs, series, strict=True):
        by_group = {g["group"]: g for g in entry["groups"]}
        drawn_in_month = 0
        for index, name in enumerate(groups):
            group = by_group.get(name)
            if group is None:
                continue
            offset = (index - (len(groups) - 1) / 2) * OFFSET
            ratio, low, high = group.get("ratio_vs_white"), group.get("ci_low"), group.get("ci_high")
            small = group["searches"] < SUPPRESSION_THRESHOLD
            if small:
                suppressed += 1
            elif ratio is None or ratio <= 0:
                no_ratio += 1
            else:
                point = math.log10(ratio)
                # A missing interval draws as a whisker of no length.
                low_log = math.log10(low) if low else point
                high_log = math.log10(high) if high else point
                for key, value in (("x", x + offset), ("y", point), ("low", low_log), ("high", high_log)):
                    drawn[name][key].append(value)
                logs += [point, low_log, high_log]
                tip = f"{entry['month']}, {name}: {ratio:.2f} times White's rate ({group['searches']:,} searches)"
                if low and high:
                    tip += f"\n95% interval {low:.2f}–{high:.2f}"
                panel.add_tip(x + offset - OFFSET / 2, x + offset + OFFSET / 2, -99, 99, tip)
                drawn_in_month += 1
            rows.append(_row(entry["month"], group, small))
        white = by_group.get(REFERENCE_GROUP)
        if not drawn_in_month:
            no_white = white is not None and white["searches"] == 0
            empty_months.append((x, _("no White searches") if no_white else _("no ratio")))
        if white is not None:
            rows.append(_row(entry["month"], white, white["searches"] < SUPPRESSION_THRESHOLD))
    for name, data in drawn.items():
        if not data["x"]:
            continue
        shown_groups.append(name)
        x, y = np.array(data["x"]), np.array(data["y"])
        whiskers = pg.ErrorBarItem(x=x, y=y, bottom=y - np.array(data["low"]), top=np.array(data["high"]) - y,
                                   beam=0.08, pen=pg.mkPen(GROUP_COLOURS[name], width=1.3))
        points = pg.ScatterPlotItem(x=x, y=y, symbol="o", size=9, brush=pg.mkBrush(GROUP_COLOURS[name]),
                                    pen=pg.mkPen(TEXT_COLOUR, width=1))
        panel.plot.addItem(whiskers)
        panel.plot.addItem(points)
        panel.whiskers[name], panel.points[name] = whiskers, points
    line = pg.InfiniteLine(pos=0.0, angle=0, pen=pg.mkPen(TEXT_COLOUR, width=1.5, style=Qt.PenStyle.DashLine))
    panel.plot.addItem(line)
    panel.lines["reference"] = line
    low_edge, high_edge = min(logs), max(logs)
    pad = max(0.08, (high_edge - low_edge) * 0.1)
    y_range = (low_edge - pad, high_edge + pad)
    # Months are placed on the calendar, so covered months can crowd together: a label (tick or
    # "no ratio") is drawn only where it has room; the table lists every month.
    room = (xs[-1] - xs[0] + 1.2) / 11
    for x, text in _spaced(empty_months, room * 1.5):
        panel.add_label(x, sum(y_range) / 2, text, anchor=(0.5, 0.5), colour=OKABE_ITO["vermillion"], width=70)
    panel.set_category_ticks("bottom", _spaced(list(zip(xs, months, strict=True)), room))
    panel.set_category_ticks("left", log_ticks(*y_range))
    margin = max(0.6, (xs[-1] - xs[0]) * 0.04)  # room for the first and last months' labels and whiskers
    panel.set_ranges((-margin, xs[-1] + margin), y_range)
    panel.set_axes(left=_("ratio vs White (log scale)"),
                   bottom=_("covered month (gaps: no records loaded)"))
    notes = [_trend_note(trend)]
    if suppressed:
        notes.append(f"{suppressed} " + _("group-months with fewer than 10 searches are not drawn (")
                     + SUPPRESSED_TEXT + _(" in the table)."))
    if no_ratio:
        notes.append(f"{no_ratio} " + _("group-months have no ratio (no White searches or no residents): "
                                         "see the table."))
    notes += [_("Only months some force in the selection has records for are shown; each month's rate is "
                "over the residents of the forces covering it. Whiskers: 95% interval of the ratio."),
              EVENTS_NOT_PEOPLE]
    headline = dashboard.headline
    status = "" if trend.get("ratio_change_per_year") is not None else (trend.get("reason") or "")
    panel.set_texts(title=TITLE + f" ({len(months)} " + _("months") + ")",
                    subtitle=subtitle_text(headline) if headline else "",
                    legend=[(name, GROUP_COLOURS[name]) for name in shown_groups]
                    + [(_("dashed line: same rate as White"), TEXT_COLOUR)], status=status, notes=notes)
    panel.set_table([_("Month"), _("Group"), _("Searches"), _("Rate per 1,000"), _("Ratio vs White"),
                     _("95% interval"), _("Note")], rows)


def _row(month: str, group: Mapping, small: bool) -> list:
    if small:
        return [month, group["group"], Cell(SUPPRESSED_TEXT), Cell(SUPPRESSED_TEXT), Cell(SUPPRESSED_TEXT),
                Cell(SUPPRESSED_TEXT), _("fewer than 10: suppressed")]
    low, high = group.get("ci_low"), group.get("ci_high")
    reference = group["group"] == REFERENCE_GROUP
    reason = group.get("reason") or ""
    return [month, group["group"], number_cell(group["searches"], decimals=0),
            number_cell(group.get("rate_per_1000"), reason=reason, decimals=3),
            Cell(_("1 (reference)"), 1.0) if reference and group.get("ratio_vs_white") == 1.0
            else number_cell(group.get("ratio_vs_white"), reason=reason),
            Cell(f"{low:,.2f}–{high:,.2f}") if low is not None and high is not None else Cell("-"),
            "" if reference else reason]


def _trend_note(trend: Mapping) -> str:
    if trend.get("note"):
        return str(trend["note"])
    change = trend.get("ratio_change_per_year")
    if change is None:
        return _("Trend: ") + str(trend.get("reason") or _("not computed"))
    return (_("Trend: the ratio changes x") + f"{change:.2f} " + _("per year") +
            f" (95% interval {trend['ci_low']:.2f}–{trend['ci_high']:.2f}, p = {trend['p_value']:.3g}; "
            f"{trend.get('method')}).")


def _index(month: str) -> int:
    year, number = month.split("-")
    return int(year) * 12 + int(number) - 1


CHART = Chart("monthly_ratio", TITLE, 60, draw, needs=("monthly_ratio",))


def _spaced(items: list, room: float) -> list:
    """(x, text) items, left to right, keeping only those at least ``room`` from the last one kept."""
    kept: list = []
    for x, text in items:
        if not kept or x - kept[-1][0] >= room:
            kept.append((x, text))
    return kept
