"""Chart (d): searches of children per month by group (a month with nothing loaded is a gap, not zero)."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pyqtgraph as pg
from PySide6.QtCore import Qt

from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.statistics import EVENTS_NOT_PEOPLE, SUPPRESSED_TEXT, SUPPRESSION_THRESHOLD
from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts.base import Chart
from stopsearch_app.ui.charts.panel import ChartPanel
from stopsearch_app.store.aggregates import UNKNOWN
from stopsearch_app.ui.charts.common import nice_top, small_count, with_gaps
from stopsearch_app.ui.charts.style import GROUP_COLOURS, OKABE_ITO

TITLE = _('(d) Searches of children per month')


def _draw_monthly(panel: ChartPanel, monthly: Mapping) -> None:
    if "unavailable" in monthly:
        panel.show_message(TITLE, monthly["unavailable"])
        return
    months, loaded = monthly["months"], monthly["loaded"]
    series_names = (*ETHNIC_GROUPS, UNKNOWN)
    top, suppressed_cells = 1.0, 0
    for name in series_names:
        values = monthly["groups"][name]
        xs = [i for i, v in enumerate(values) if v is not None and v >= SUPPRESSION_THRESHOLD]
        ys = [values[i] for i in xs]
        suppressed_cells += sum(1 for v in values if v is not None and v < SUPPRESSION_THRESHOLD)
        if not xs:
            continue
        pen = pg.mkPen(GROUP_COLOURS[name], width=2.5,
                       style=Qt.PenStyle.DashLine if name == UNKNOWN else Qt.PenStyle.SolidLine)
        # Draw only runs of consecutive months: a suppressed or missing month breaks the line.
        item = pg.PlotDataItem(with_gaps(xs, ys, len(months)), pen=pen, symbol="o", symbolSize=9,
                               symbolBrush=GROUP_COLOURS[name], symbolPen=pg.mkPen(GROUP_COLOURS[name]),
                               connect="finite", name=name)
        panel.plot.addItem(item)
        panel.lines[name] = item
        top = max(top, *ys)
    for i, month in enumerate(months):
        if not loaded[i]:
            panel.add_label(i, 0, _("none loaded"), colour=OKABE_ITO["vermillion"])
        parts = [f"{month}: " + (_("no searches loaded (a gap, not zero)") if not loaded[i] else "")]
        if loaded[i]:
            parts += [f"{name} {small_count(monthly['groups'][name][i])}" for name in series_names]
        panel.add_tip(i - 0.5, i + 0.5, -1e9, 1e9, "\n".join(parts))
    step = max(1, math.ceil(len(months) / 12))
    panel.set_category_ticks("bottom", [(i, m) for i, m in enumerate(months) if i % step == 0])
    panel.set_ranges((-0.6, len(months) - 0.4), (0, nice_top(top)))
    panel.set_axes(left=_("searches of children per month"), bottom=_("month (London time)"))
    notes = [_("Searches are events, not people: one child searched twice counts twice."),
             *[n for n in monthly["notes"] if n != EVENTS_NOT_PEOPLE]]
    if suppressed_cells:
        notes.insert(0, f"{suppressed_cells} month-group cells under {SUPPRESSION_THRESHOLD} are not drawn "
                        f"(shown as {SUPPRESSED_TEXT} in the table).")
    status = _("Only one month is loaded for this selection: no trend to show yet.") if sum(loaded) == 1 else ""
    panel.set_texts(title=_("(d) Searches of children (0-17) per month, by ethnic group"), status=status,
                    subtitle=f"{monthly['area_label']} · {monthly['period']['label']} · {monthly['ethnicity_label']}"
                             " · " + _("counts of searches (no denominator)"),
                    legend=[(n if n != UNKNOWN else _("unknown ethnicity (dashed)"), GROUP_COLOURS[n])
                            for n in series_names], notes=notes)
    rows = [[month, *([small_count(monthly["groups"][n][i]) for n in series_names] if loaded[i]
                      else [_("none loaded")] * len(series_names))] for i, month in enumerate(months)]
    panel.set_table([_("Month"), *series_names], rows)


def draw(panel: ChartPanel, dashboard: Dashboard, annualised: bool = False) -> None:
    _draw_monthly(panel, dashboard.monthly_children)


CHART = Chart('monthly', TITLE, 40, draw, needs=('monthly_children',))
