"""Chart (e): find rate and "more than outer clothing removed" for children, with the not-recorded rule."""

from __future__ import annotations

from collections.abc import Mapping

from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.statistics import SUPPRESSED_TEXT
from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts.base import Chart
from stopsearch_app.ui.charts.panel import ChartPanel
from stopsearch_app.ui.charts.common import chart_notes, hidden_text, nice_top, proportion_row, subtitle_text
from stopsearch_app.ui.charts.style import BAR_WIDTH, GROUP_COLOURS, OKABE_ITO

TITLE = _('(e) Outcomes of searches of children')


def _draw_outcomes(panel: ChartPanel, outcomes: Mapping[str, Mapping]) -> None:
    """Chart (e): find rate and more-than-outer-clothing rate for children, clustered by measure.

    A measure recorded for no search in the selection gets a "not recorded" cluster saying so; the
    first such measure is followed by the "any outcome other than no further action" rate, labelled
    as shown in its place.
    """
    clusters: list[tuple[str, Mapping | None, str]] = []  # (tick label, result to draw or None, placeholder)
    statuses: list[str] = []
    context = None
    fallback_shown = False
    for key in ("find-rate", "removal-rate"):
        result = outcomes.get(key, {})
        if "unavailable" in result:
            clusters.append((key, None, result["unavailable"]))
            statuses.append(result["unavailable"])
            continue
        context = context or result
        if not result["not_recorded"]:
            clusters.append((result["label"], result, ""))
            continue
        clusters.append((result["label"], None, _("not recorded")))
        line = f"{result['label']}: " + _("NOT RECORDED for any search of a child in this selection.")
        if "alternative" in result and not fallback_shown:
            fallback_shown = True
            alternative = result["alternative"]
            clusters.append((_("instead: ") + alternative["label"], alternative, ""))
            line += " " + _("Shown instead: ") + alternative["label"] + "."
        statuses.append(line)
    groups = list(ETHNIC_GROUPS)
    step = BAR_WIDTH / len(groups)
    rows, tops, suppressed, placeholders = [], [10.0], [], []
    for cluster, (label, result, placeholder) in enumerate(clusters):
        if result is None:
            placeholders.append((cluster, label, placeholder))
            rows.append([label, "-", "-", "-", "-", "-", "-", placeholder])
            continue
        for index, group in enumerate(result["groups"]):
            name = group["group"]
            x = cluster - BAR_WIDTH / 2 + step * (index + 0.5)
            hidden, reason = hidden_text(group)
            value = group["proportion"]
            if hidden or value is None:
                panel.add_label(x, 0, SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else "–")
                panel.add_tip(x - step / 2, x + step / 2, 0, 1e9, f"{label}, {name}: {hidden or group['reason']}")
                if hidden == SUPPRESSED_TEXT:
                    suppressed.append(f"{result['label']}: {name}")
            else:
                low, high = group["proportion_ci_low"], group["proportion_ci_high"]
                panel.add_bar(f"{result['measure']} {name}", x, value * 100, step * 0.9, GROUP_COLOURS[name],
                              f"{result['label']}, {name}: {group['positive']:,} of {group['recorded']:,} searches "
                              f"of children = {value * 100:.1f}% (95% interval {low * 100:.1f}–{high * 100:.1f}%)")
                panel.add_whisker(f"{result['measure']} {name}", x, value * 100, low * 100, high * 100,
                                  beam=step * 0.3, width=1.2)
                tops.append(high * 100)
            rows.append(proportion_row(result["label"], group, hidden))
    top = min(100.0, nice_top(max(tops)))
    for cluster, label, placeholder in placeholders:
        panel.add_label(cluster, top / 2, f"{label}:\n{placeholder}", anchor=(0.5, 0.5),
                        colour=OKABE_ITO["vermillion"], width=260, bold=True)
        panel.add_tip(cluster - 0.5, cluster + 0.5, -1e9, 1e9, f"{label}: {placeholder}")
    panel.set_category_ticks("bottom", [(i, label if result is not None else "")
                                        for i, (label, result, _p) in enumerate(clusters)])
    panel.set_ranges((-0.5, max(1, len(clusters)) - 0.5), (0, top))
    panel.set_axes(left="% " + _("of searches of children"), bottom=_("measure"))
    title = _("(e) Outcomes of searches of children (0-17), by ethnic group")
    if context is None:
        panel.set_texts(title=title, status="\n".join(statuses))
    else:
        panel.set_texts(title=title, subtitle=subtitle_text(context, with_age=False, with_denominator=False),
                        legend=[(g, GROUP_COLOURS[g]) for g in groups], status="\n".join(statuses),
                        notes=chart_notes(context, suppressed, separator="; ", extra=[
                            _("Proportions of searches where the field is recorded; whiskers: 95% Wilson interval. "
                              "'More than outer clothing removed' is not the same as a strip search.")]))
    panel.set_table([_("Measure"), _("Group"), _("Searches"), _("Recorded"), _("Positive"), "%",
                     _("95% interval"), _("Note")], rows)


def draw(panel: ChartPanel, dashboard: Dashboard, annualised: bool = False) -> None:
    _draw_outcomes(panel, dashboard.children_outcomes)


CHART = Chart('outcomes', TITLE, 50, draw, needs=('children_outcomes',))
