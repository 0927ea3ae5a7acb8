"""Chart (c): rates per 1,000 by age band and ethnic group, each band over its own Census population."""

from __future__ import annotations

from collections.abc import Mapping

from stopsearch_app.domain.denominators import AGE_BAND_LABELS
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.statistics import SUPPRESSED_TEXT, SUPPRESSION_THRESHOLD
from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts.base import Chart
from stopsearch_app.ui.charts.panel import ChartPanel
from stopsearch_app.store.aggregates import BAND_CHART_ORDER, UNKNOWN
from stopsearch_app.ui.charts.common import (chart_notes, fmt_int, hidden_text, interval_cell, nice_top,
                                             reason_text, small_count, subtitle_text)
from stopsearch_app.ui.charts.panel import figure_cell, number_cell
from stopsearch_app.ui.charts.style import BAR_WIDTH, GROUP_COLOURS

TITLE = _('(c) Rate per 1,000 by age band and ethnic group')


def _draw_by_age(panel: ChartPanel, by_age: Mapping[str, Mapping], headline: Mapping) -> None:
    groups = list(ETHNIC_GROUPS)
    step = BAR_WIDTH / len(groups)
    rows, tops, suppressed, problems, unknowns = [], [0.0], [], [], []
    for cluster, band in enumerate(BAND_CHART_ORDER):
        result = by_age.get(band, {})
        band_label = AGE_BAND_LABELS[band]
        band_suppressed: list[str] = []
        if "unavailable" in result:
            panel.add_label(cluster, 0, result["unavailable"], width=200)
            problems.append(f"{band_label}: {result['unavailable']}")
            rows.append([band_label, "-", "-", "-", "-", "-", result["unavailable"]])
            continue
        for index, group in enumerate(result["groups"]):
            name = group["group"]
            x = cluster - BAR_WIDTH / 2 + step * (index + 0.5)
            hidden, reason = hidden_text(group)
            value, low, high = group["rate_per_1000"], group.get("rate_ci_low"), group.get("rate_ci_high")
            if hidden or value is None:
                text = SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else "–"
                panel.add_label(x, 0, text)
                panel.add_tip(x - step / 2, x + step / 2, 0, 1e9,
                              f"{band_label}, {name}: {hidden or group['reason']}; "
                              f"{fmt_int(group['population'])} residents")
                if hidden == SUPPRESSED_TEXT:
                    band_suppressed.append(name)
            else:
                panel.add_bar(f"{band} {name}", x, value, step * 0.9, GROUP_COLOURS[name],
                              f"{band_label}, {name}: {group['searches']:,} searches / {group['population']:,} "
                              f"residents = {value:.2f} per 1,000"
                              + (f" (95% interval {low:.2f}–{high:.2f})" if low is not None else ""))
                if low is not None and high is not None:
                    panel.add_whisker(f"{band} {name}", x, value, low, high, beam=step * 0.3, width=1.2)
                    tops.append(high)
                tops.append(value)
            rows.append([band_label, name, figure_cell(group["searches"], hidden, count=True),
                         number_cell(group["population"], decimals=0),
                         figure_cell(value, hidden, reason=group["reason"]),
                         interval_cell(low, high, hidden), reason_text(group, hidden)])
        if band_suppressed:
            suppressed.append(f"{band_label}: " + (_("every group") if len(band_suppressed) == len(groups)
                                                   else ", ".join(band_suppressed)))
        unknowns.append(f"{band_label} {small_count(result['unknown_ethnicity'])}")
        rows.append([band_label, UNKNOWN, number_cell(result["unknown_ethnicity"], decimals=0,
                                                suppressed=result["unknown_ethnicity"] < SUPPRESSION_THRESHOLD),
                     "-", _("no population: not rated"), "-", _("not stated or blank")])
    panel.set_category_ticks("bottom", [(i, AGE_BAND_LABELS[band]) for i, band in enumerate(BAND_CHART_ORDER)])
    panel.set_ranges((-0.5, len(BAND_CHART_ORDER) - 0.5), (0, nice_top(max(tops))))
    panel.set_axes(left=_("searches per 1,000 residents"),
                   bottom=_("age band (each over its own Census population)"))
    panel.set_texts(title=TITLE, subtitle=subtitle_text(headline, with_age=False),
                    legend=[(g, GROUP_COLOURS[g]) for g in groups], status="\n".join(problems),
                    notes=chart_notes(headline, suppressed, unknown=False, separator="; ", extra=[
                        _("Unknown ethnicity (searches, in no bar): ") + "; ".join(unknowns) + ".",
                        _("Whiskers: 95% interval of the rate (exact Poisson).")]))
    panel.set_table([_("Age band"), _("Group"), _("Searches"), _("Residents (Census)"),
                           _("Rate per 1,000"), _("95% interval"), _("Note")], rows)


def draw(panel: ChartPanel, dashboard: Dashboard, annualised: bool = False) -> None:
    _draw_by_age(panel, dashboard.by_age, dashboard.headline)


CHART = Chart('age_bands', TITLE, 30, draw, needs=('by_age', 'headline'))
