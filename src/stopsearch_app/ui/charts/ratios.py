"""Chart (b): the ratio vs White as a forest plot on a log scale, with the unknown-ethnicity range drawn
apart from the sampling interval."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pyqtgraph as pg
from PySide6.QtCore import Qt

from stopsearch_app.domain.statistics import REFERENCE_GROUP, SUPPRESSED_TEXT
from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts.base import Chart
from stopsearch_app.ui.charts.panel import ChartPanel
from stopsearch_app.ui.charts.common import (chart_notes, forest_measure, hidden_text, interval_cell, log_ticks,
                                             outcome_shown, ratio_cell, reason_text, subtitle_text, tip_count)
from stopsearch_app.ui.charts.style import GROUP_COLOURS, SENSITIVITY_COLOUR, TEXT_COLOUR

TITLE = _('(b) Ratio vs White')


def _draw_forest(panel: ChartPanel, result: Mapping) -> None:
    shown, status = (result, "") if result["measure"] == "rate" else outcome_shown(result)
    groups = shown["groups"]
    n = len(groups)
    logs, rows, suppressed = [0.0], [], []
    for index, group in enumerate(groups):
        name, y = group["group"], n - 1 - index
        hidden, reason = hidden_text(group)
        ratio, low, high = group["ratio_vs_white"], group["ci_low"], group["ci_high"]
        sens_low, sens_high = group.get("sensitivity_low"), group.get("sensitivity_high")
        if name == REFERENCE_GROUP and ratio == 1.0 and not hidden:
            panel.add_point(name, 0.0, y, GROUP_COLOURS[name], symbol="d", size=13)
            panel.add_label(0.0, y + 0.18, _("reference (1)"), anchor=(0.5, 1.0))
            panel.add_tip(-99, 99, y - 0.4, y + 0.4, f"{name}: the reference group (ratio 1)")
        elif hidden or ratio is None or ratio <= 0:
            text = hidden or (_("no finds (ratio 0)") if ratio == 0 else group["reason"]) or _("n/a")
            panel.add_label(0.0, y, text, anchor=(0.5, 0.5), width=260 if len(text) > 20 else None)
            panel.add_tip(-99, 99, y - 0.4, y + 0.4, f"{name}: {text}")
            if hidden == SUPPRESSED_TEXT:
                suppressed.append(name)
        else:
            point = math.log10(ratio)
            panel.add_point(name, point, y, GROUP_COLOURS[name])
            logs.append(point)
            tip = f"{name}: {ratio:.2f} times White's {forest_measure(shown)}"
            if low is not None and high is not None:
                panel.add_whisker(name, point, y, math.log10(low), math.log10(high), horizontal=True,
                                  beam=0.15)
                logs += [math.log10(low), math.log10(high)]
                tip += f"\n95% interval {low:.2f}–{high:.2f} ({group['ci_method']})"
            if sens_low and sens_high:
                panel.add_whisker(f"{name} (unknown-ethnicity range)", point, y - 0.28, math.log10(sens_low),
                                  math.log10(sens_high), horizontal=True, colour=SENSITIVITY_COLOUR, width=3,
                                  beam=0.0)
                logs += [math.log10(sens_low), math.log10(sens_high)]
                tip += f"\nunknown-ethnicity range {sens_low:.2f}–{sens_high:.2f} (not a sampling interval)"
            tip += f"\n{tip_count(group)}"
            panel.add_tip(-99, 99, y - 0.45, y + 0.45, tip)
        rows.append([name, ratio_cell(group, hidden), interval_cell(low, high, hidden),
                     (group["ci_method"] or "-") if not hidden else "-",
                     interval_cell(sens_low, sens_high, hidden), reason_text(group, hidden)])
    low_edge, high_edge = min(logs), max(logs)
    pad = max(0.08, (high_edge - low_edge) * 0.12)
    x_range = (low_edge - pad, high_edge + pad)
    line = pg.InfiniteLine(pos=0.0, angle=90, pen=pg.mkPen(TEXT_COLOUR, width=1.5, style=Qt.PenStyle.DashLine))
    panel.plot.addItem(line)
    panel.set_category_ticks("bottom", log_ticks(*x_range))
    panel.set_category_ticks("left", [(n - 1 - i, g["group"]) for i, g in enumerate(groups)])
    panel.set_ranges(x_range, (-0.7, n - 0.3))
    panel.set_axes(left=_("ethnic group"), bottom=_("ratio vs White (log scale; the dashed line at 1 = same as White)"))
    legend = [(_("ratio, with 95% interval"), TEXT_COLOUR)]
    if shown["measure"] == "rate":
        legend.append((_("grey bar: range if every search of unknown ethnicity were White / in the group"),
                       SENSITIVITY_COLOUR))
    elif any(group.get("sensitivity_low") for group in groups):
        legend.append((_("grey bar: range if every search of unknown ethnicity were White / in the group / "
                         "neither"), SENSITIVITY_COLOUR))
    panel.set_texts(title=_("(b) Ratio vs White: ") + forest_measure(shown), subtitle=subtitle_text(result),
                    legend=legend, status=status, notes=chart_notes(result, suppressed))
    panel.set_table([_("Group"), _("Ratio vs White"), _("95% interval"), _("Interval method"),
                           _("Unknown-ethnicity range"), _("Note")], rows)


def draw(panel: ChartPanel, dashboard: Dashboard, annualised: bool = False) -> None:
    _draw_forest(panel, dashboard.headline)


CHART = Chart('ratios', TITLE, 20, draw, needs=('headline',))
