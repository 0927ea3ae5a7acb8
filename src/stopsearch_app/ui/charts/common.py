"""Helpers the chart modules share: what a suppressed or missing figure shows instead, table cells,
subtitles and notes, axis ranges and ticks."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

from stopsearch_app.services.disparity import NOT_AN_OFFICER_CATEGORY, describe
from stopsearch_app.domain.statistics import (EVENTS_NOT_PEOPLE, REFERENCE_GROUP, SUPPRESSED_TEXT,
                                              SUPPRESSION_THRESHOLD)
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts.panel import Cell, figure_cell, number_cell


def hidden_text(group: Mapping) -> tuple[str | None, str | None]:
    """(text shown instead of the group's numbers, reason), or (None, reason) when they are shown."""
    reason = group.get("reason")
    if reason == NOT_AN_OFFICER_CATEGORY:
        return NOT_AN_OFFICER_CATEGORY, reason
    if group.get("recorded") == 0:  # an outcome field not recorded: the reason says so, not "<10"
        return None, reason
    if group.get("suppressed"):
        return SUPPRESSED_TEXT, reason
    return None, reason


def outcome_shown(result: Mapping) -> tuple[Mapping, str]:
    """What an outcome chart draws: the measure, or its labelled fallback when not recorded."""
    if result.get("not_recorded") and "alternative" in result:
        alternative = result["alternative"]
        return alternative, (f"{result['label']}: " + _("NOT RECORDED for any search in this selection. Shown "
                                                         "instead: ") + f"{alternative['label']}.")
    if result.get("not_recorded"):
        return result, f"{result['label']}: " + _("NOT RECORDED for any search in this selection.")
    return result, ""


def forest_measure(result: Mapping) -> str:
    return _("rate per 1,000") if result["measure"] == "rate" else str(result["label"])


def proportion_row(label: str, group: Mapping, hidden: str | None) -> list:
    return [label, group["group"], number_cell(group["searches"], decimals=0),
            number_cell(group["recorded"], decimals=0),
            figure_cell(group["positive"], hidden, count=True),
            figure_cell(group["proportion"], hidden, reason=group["reason"], percent=True),
            interval_cell(group["proportion_ci_low"], group["proportion_ci_high"], hidden, percent=True),
            reason_text(group, hidden)]


def interval_cell(low: float | None, high: float | None, hidden: str | None, *, percent: bool = False) -> Cell:
    if hidden:
        return Cell(SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else "-")
    if low is None or high is None:
        return Cell("-")
    if percent:
        return Cell(f"{low * 100:.1f}–{high * 100:.1f}%")
    return Cell(f"{low:,.2f}–{high:,.2f}")


def ratio_cell(group: Mapping, hidden: str | None) -> Cell:
    if hidden:
        return Cell(SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else hidden)
    if group["group"] == REFERENCE_GROUP and group["ratio_vs_white"] == 1.0:
        return Cell(_("1 (reference)"), 1.0)
    return number_cell(group["ratio_vs_white"], reason=group["reason"])


def reason_text(group: Mapping, hidden: str | None) -> str:
    if hidden == SUPPRESSED_TEXT:
        return _("fewer than 10: suppressed")
    reason = group.get("reason") or ""
    return "" if reason.startswith("reference group") else reason


def summary(result: Mapping) -> str:
    parts = [describe(result)]
    share = result.get("unknown_ethnicity_share")
    unknown = result["unknown_ethnicity"]
    parts.append(_("unknown ethnicity: ") + (SUPPRESSED_TEXT if unknown < SUPPRESSION_THRESHOLD else f"{unknown:,}")
                 + (f" ({share * 100:.1f}%)" if isinstance(share, float) and unknown >= SUPPRESSION_THRESHOLD else ""))
    left = result.get("left_out", {})
    for key, text in (("other_forces", _("searches of other forces left out")),
                      ("vehicle_only", _("vehicle-only searches left out")),
                      ("age_not_recorded", _("searches with no age left out")),
                      ("no_borough", _("searches with no borough left out"))):
        if left.get(key):
            parts.append(f"{left[key]:,} {text}")
    return " · ".join(parts)


def subtitle_text(result: Mapping, *, with_age: bool = True, with_denominator: bool = True) -> str:
    denominator = result["denominator"]
    pieces = [result["area_label"] + f" ({', '.join(result.get('force_slugs', result['forces']))})", result["period"]["label"],
              result["ethnicity_label"]]
    if with_age:
        age = result["age_label"]
        pieces.insert(0, _("age ") + age if age[:1].isdigit() else age)
    if with_denominator:
        pieces.append(_("denominator: ") + f"{denominator['label']} " + _("usual residents")
                      + f", {denominator['area']}")
    return " · ".join(pieces)


def chart_notes(result: Mapping, suppressed: Sequence[str], *, extra: Sequence[str] = (), unknown: bool = True,
                separator: str = ", ") -> list[str]:
    notes = []
    if suppressed:
        notes.append(_("Suppressed (fewer than 10, not drawn): ") + separator.join(suppressed) + ".")
    if unknown:
        count = result["unknown_ethnicity"]
        share = result.get("unknown_ethnicity_share")
        notes.append(_("Unknown ethnicity: ") + (SUPPRESSED_TEXT if count < SUPPRESSION_THRESHOLD else f"{count:,}")
                     + _(" searches") + (f" ({share * 100:.1f}%)" if isinstance(share, float)
                                          and count >= SUPPRESSION_THRESHOLD else "")
                     + _(", not in any group."))
    cells = result["denominator"].get("suppressed_cells")
    if cells:
        notes.append(f"{cells:,} " + _("suppressed Census cells counted as 0 in the denominator."))
    notes.extend(extra)
    notes.extend(result.get("coverage_notes", ()))  # what the data cover and what was left out (statistics.md)
    notes.append(EVENTS_NOT_PEOPLE)
    return notes


def share_text(result: Mapping) -> str:
    share = result.get("unknown_ethnicity_share")
    if result["unknown_ethnicity"] < SUPPRESSION_THRESHOLD or not isinstance(share, float):
        return _("not stated or blank")
    return f"{share * 100:.1f}% " + _("of searches: not stated or blank")


def tip_count(group: Mapping) -> str:
    searches = group.get("searches")
    if group.get("suppressed"):
        return _("fewer than 10 searches")
    return f"{searches:,} " + _("searches") if searches is not None else _("searches not known")


def small_count(value: int | None) -> str:
    if value is None:
        return _("none loaded")
    return SUPPRESSED_TEXT if value < SUPPRESSION_THRESHOLD else f"{value:,}"


def fmt_int(value: int | None) -> str:
    return f"{value:,}" if value is not None else _("no")


def with_gaps(xs: Sequence[int], ys: Sequence[float], length: int) -> dict:
    x_all = list(range(length))
    y_all = [math.nan] * length
    for x, y in zip(xs, ys, strict=True):
        y_all[x] = float(y)
    return {"x": x_all, "y": y_all}


def nice_top(value: float) -> float:
    """A round upper limit above ``value`` with headroom for labels."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    raw = value * 1.18
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if raw <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def log_ticks(low: float, high: float) -> list[tuple[float, str]]:
    candidates = [0.03125, 0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
    ticks = [(math.log10(v), f"{v:g}") for v in candidates if low <= math.log10(v) <= high]
    if len(ticks) < 3:
        extra = [0.67, 0.75, 0.8, 1.25, 1.5, 3, 6]
        ticks += [(math.log10(v), f"{v:g}") for v in extra if low <= math.log10(v) <= high]
    return sorted(ticks)
