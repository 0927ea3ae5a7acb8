"""Chart (a): the chosen measure by ethnic group (rate per 1,000 with exact Poisson 95% whiskers, or a
proportion with Wilson whiskers, with the not-recorded fallback)."""

from __future__ import annotations

from collections.abc import Mapping

from stopsearch_app.services.disparity import measure_label
from stopsearch_app.domain.statistics import SUPPRESSED_TEXT, SUPPRESSION_THRESHOLD
from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts.base import Chart
from stopsearch_app.ui.charts.panel import ChartPanel
from stopsearch_app.store.aggregates import UNKNOWN
from stopsearch_app.ui.charts.common import (chart_notes, hidden_text, interval_cell, nice_top,
                                             outcome_shown, proportion_row, reason_text, share_text,
                                             subtitle_text, tip_count, fmt_int)
from stopsearch_app.ui.charts.panel import figure_cell, number_cell
from stopsearch_app.ui.charts.style import BAR_WIDTH, GROUP_COLOURS

TITLE = _('(a) By ethnic group')


def _draw_headline(panel: ChartPanel, result: Mapping, annualised: bool) -> None:
    if result["measure"] == "rate":
        _draw_rates(panel, result, annualised)
    else:
        _draw_proportions(panel, result, "(a)")


def _draw_rates(panel: ChartPanel, result: Mapping, annualised: bool) -> None:
    months = result["period"]["months"]
    scale = 12 / months if annualised else 1.0
    rate_key = "rate_per_1000_annualised" if annualised else "rate_per_1000"
    age, denominator = result["age_label"], result["denominator"]["label"]
    rows, tops, suppressed = [], [0.0], []
    for x, group in enumerate(result["groups"]):
        name = group["group"]
        value, low, high = group[rate_key], group.get("rate_ci_low"), group.get("rate_ci_high")
        hidden, reason = hidden_text(group)
        population = group["population"]
        if hidden or value is None:
            text = SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else (hidden or group["reason"] or _("n/a"))
            panel.add_label(x, 0, text, width=130 if len(text) > 12 else None)
            panel.add_tip(x - 0.4, x + 0.4, 0, 1e9, f"{name}: {tip_count(group)}; "
                          f"{fmt_int(population)} residents aged {age} ({denominator}); {text}")
            if hidden == SUPPRESSED_TEXT:
                suppressed.append(name)
        else:
            tip = (f"{name}: {group['searches']:,} searches / {population:,} residents aged {age} "
                   f"({denominator})\n= {value:.2f} per 1,000" + (" per year (annualised)" if annualised else "")
                   + (f", 95% interval {low * scale:.2f}–{high * scale:.2f}" if low is not None else ""))
            panel.add_bar(name, x, value, BAR_WIDTH, GROUP_COLOURS[name], tip)
            if low is not None and high is not None:
                panel.add_whisker(name, x, value, low * scale, high * scale)
                tops.append(high * scale)
            tops.append(value)
        rows.append([name, figure_cell(group["searches"], hidden, count=True), number_cell(population, decimals=0),
                     figure_cell(group["rate_per_1000"], hidden, reason=group["reason"]),
                     interval_cell(group.get("rate_ci_low"), group.get("rate_ci_high"), hidden),
                     figure_cell(group["rate_per_1000_annualised"], hidden, reason=group["reason"]),
                     figure_cell(group["vehicle_only_excluded"], hidden, count=True),
                     reason_text(group, hidden)])
    rows.append([UNKNOWN, number_cell(result["unknown_ethnicity"], suppressed=result["unknown_ethnicity"]
                                < SUPPRESSION_THRESHOLD, decimals=0), "-", _("no population: not rated"), "-", "-",
                 "-", share_text(result)])
    panel.set_category_ticks("bottom", [(x, g["group"]) for x, g in enumerate(result["groups"])])
    panel.set_ranges((-0.6, len(result["groups"]) - 0.4), (0, nice_top(max(tops))))
    panel.set_axes(left=_("searches per 1,000 residents") + (_(" per year") if annualised else ""),
                   bottom=_("ethnic group") + f" ({result['ethnicity_label']})")
    panel.set_texts(title=_("(a) ") + measure_label(result, annualised=annualised).capitalize()
                    + _(", by ethnic group"), subtitle=subtitle_text(result),
                    notes=chart_notes(result, suppressed,
                                      extra=[_("Whiskers: 95% interval of the rate (exact Poisson).")]))
    panel.set_table(
        [_("Group"), _("Searches"), _("Residents (Census)"), _("Rate per 1,000 (period)"), _("95% interval"),
         _("Annualised rate per 1,000 per year"), _("Vehicle-only left out"), _("Note")], rows)


def _draw_proportions(panel: ChartPanel, result: Mapping, prefix: str) -> None:
    """Chart (a) for an outcome measure: the proportion by group, or its fallback when not recorded."""
    shown, status = outcome_shown(result)
    rows, tops, suppressed = [], [0.0], []
    for x, group in enumerate(shown["groups"]):
        name = group["group"]
        hidden, reason = hidden_text(group)
        value = group["proportion"]
        if hidden or value is None:
            text = hidden or group["reason"] or _("n/a")
            panel.add_label(x, 0, text, width=130 if len(text) > 12 else None)
            panel.add_tip(x - 0.4, x + 0.4, 0, 1e9, f"{name}: {group['searches']:,} searches, "
                          f"{group['recorded']:,} recorded; {text}")
            if hidden == SUPPRESSED_TEXT:
                suppressed.append(name)
        else:
            low, high = group["proportion_ci_low"], group["proportion_ci_high"]
            panel.add_bar(name, x, value * 100, BAR_WIDTH, GROUP_COLOURS[name],
                          f"{name}: {group['positive']:,} of {group['recorded']:,} searches with the field recorded"
                          f" = {value * 100:.1f}% (95% interval {low * 100:.1f}–{high * 100:.1f}%)")
            panel.add_whisker(name, x, value * 100, low * 100, high * 100)
            tops.append(high * 100)
        rows.append(proportion_row(shown["label"], group, hidden)[1:])
    panel.set_category_ticks("bottom", [(x, g["group"]) for x, g in enumerate(shown["groups"])])
    panel.set_ranges((-0.6, len(shown["groups"]) - 0.4), (0, min(100.0, nice_top(max(tops)))))
    panel.set_axes(left="% " + _("of searches with it recorded"),
                   bottom=_("ethnic group") + f" ({result['ethnicity_label']})")
    panel.set_texts(title=f"{prefix} " + str(shown["label"]).capitalize() + _(", by ethnic group"),
                    subtitle=subtitle_text(result), status=status,
                    notes=chart_notes(result, suppressed, extra=[_("Whiskers: 95% Wilson interval.")]))
    panel.set_table([_("Group"), _("Searches"), _("Recorded"), _("Positive"), "%", _("95% interval"),
                           _("Note")], rows)


def draw(panel: ChartPanel, dashboard: Dashboard, annualised: bool = False) -> None:
    _draw_headline(panel, dashboard.headline, annualised)


CHART = Chart('rates', TITLE, 10, draw, needs=('headline',))
