"""Unknown-ethnicity sensitivity bounds for proportions as well as rates (shared/spec/statistics.md,
"Rates" and "Coverage": categories; "Beyond one number": sensitivity).

Searches whose ethnicity is not stated could belong to any group. The bounds put *every* one of them
in the reference group (White) or *every* one in the group, and report the ratio vs White at both
extremes; they bound what the unknowns can do to the point estimate and are never merged with the
sampling interval.

* rates: :func:`stopsearch_app.domain.statistics.unknown_sensitivity` (counts only move);
* proportions (find rate, more than outer clothing removed): the unknowns' *recorded* and *positive*
  counts move with them, so each group's proportion and the ratio of proportions both get bounds.
  Unlike a rate, a proportion can move either way when unknowns join it, so both extremes can fall on
  one side of the point estimate; the bounds therefore span three allocations: every unknown in
  White, every unknown in the group, and every unknown elsewhere (the point estimate itself).

"Cannot be judged": when the source has no unknown ethnicity at all (no "Not stated" and no blank in
any covered force-month), a range of zero width would claim a certainty the data cannot give: a
source that never records "not stated" may have filed doubtful cases under a group. The result then
says ``cannot_be_judged`` and carries no bounds. Zero unknowns in a source that does record them
elsewhere (``source_records_unknown=True``) is a genuine zero-width range.
"""

from __future__ import annotations

from dataclasses import dataclass

from stopsearch_app.domain.statistics import OutcomeCounts, _check_count, unknown_sensitivity

OK = "ok"
CANNOT_BE_JUDGED = "cannot_be_judged"
NOT_COMPUTABLE = "not_computable"
CANNOT_BE_JUDGED_TEXT = ("cannot be judged: the source records no unknown ethnicity at all, so how many "
                         "searches of doubtful ethnicity were filed under a group is not known")


@dataclass(frozen=True)
class Bounds:
    """Ratio vs White with every unknown assigned to White (``all_to_reference``) or to the group
    (``all_to_group``); ``low``/``high`` are the smaller and larger of the two."""

    status: str
    low: float | None
    high: float | None
    unknown: int
    proportion_low: float | None = None  # the group's own proportion at the two extremes
    proportion_high: float | None = None
    reason: str | None = None

    def as_json(self) -> dict[str, object]:
        return {"status": self.status, "low": self.low, "high": self.high, "unknown": self.unknown,
                "proportion_low": self.proportion_low, "proportion_high": self.proportion_high,
                "reason": self.reason}


def rate_bounds(count: int, population: int | None, reference_count: int, reference_population: int | None,
                unknown: int, *, source_records_unknown: bool | None = None) -> Bounds:
    """Bounds of the rate ratio; ``source_records_unknown`` False (or None with ``unknown`` 0): cannot be judged."""
    unknown = _check_count(unknown, "unknown")
    if _cannot_judge(unknown, source_records_unknown):
        return Bounds(CANNOT_BE_JUDGED, None, None, unknown, reason=CANNOT_BE_JUDGED_TEXT)
    found = unknown_sensitivity(count, population, reference_count, reference_population, unknown)
    if found.low is None or found.high is None:
        return Bounds(NOT_COMPUTABLE, None, None, unknown, reason=str(found.reason))
    return Bounds(OK, min(found.low, found.high), max(found.low, found.high), unknown)


def proportion_bounds(group: OutcomeCounts, reference: OutcomeCounts, unknown: OutcomeCounts, *,
                      source_records_unknown: bool | None = None) -> Bounds:
    """Bounds of the ratio of proportions (positive / recorded) vs White, and of the group's proportion."""
    if _cannot_judge(unknown.searches, source_records_unknown):
        return Bounds(CANNOT_BE_JUDGED, None, None, unknown.searches, reason=CANNOT_BE_JUDGED_TEXT)
    to_reference = _ratio(group.positive, group.recorded,
                          reference.positive + unknown.positive, reference.recorded + unknown.recorded)
    to_group = _ratio(group.positive + unknown.positive, group.recorded + unknown.recorded,
                      reference.positive, reference.recorded)
    elsewhere = _ratio(group.positive, group.recorded, reference.positive, reference.recorded)
    own = [p for p in (_share(group.positive, group.recorded),
                       _share(group.positive + unknown.positive, group.recorded + unknown.recorded)) if p is not None]
    if to_reference is None or to_group is None or elsewhere is None:
        return Bounds(NOT_COMPUTABLE, None, None, unknown.searches,
                      min(own) if own else None, max(own) if own else None,
                      reason="not recorded, or none positive, in the group or in White")
    ratios = (to_reference, to_group, elsewhere)
    return Bounds(OK, min(ratios), max(ratios), unknown.searches, min(own), max(own))


def _cannot_judge(unknown: int, source_records_unknown: bool | None) -> bool:
    if source_records_unknown is None:
        return unknown == 0
    return not source_records_unknown


def _share(positive: int, recorded: int) -> float | None:
    return positive / recorded if recorded else None


def _ratio(positive: int, recorded: int, reference_positive: int, reference_recorded: int) -> float | None:
    share, reference_share = _share(positive, recorded), _share(reference_positive, reference_recorded)
    if share is None or not reference_share:
        return None
    return share / reference_share
