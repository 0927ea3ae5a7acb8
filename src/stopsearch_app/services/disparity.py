"""Disproportionality for one request: the application service behind ``stopsearch disparity`` and the
Disparity tab (no Qt here).

It asks :mod:`stopsearch_app.store.aggregates` for counts, :mod:`stopsearch_app.domain.denominators`
for Census populations, and :func:`stopsearch_app.domain.statistics.disparity_json` for the figures,
then adds what a reader needs to trust them (shared/spec/statistics.md):

* the **period** and the months actually loaded in it (a month with no searches loaded is a gap,
  never zero searches), per force;
* the **denominator** (source, year, area, age band, suppressed Census cells, caveats);
* what was **left out**: searches of forces outside the area, vehicle-only searches (not person
  searches), searches with no age recorded (in no band), searches with no borough recorded;
* the **unknown-ethnicity** share and, per group, the sensitivity range of the ratio;
* for rates, a 95% interval for each group's rate per 1,000 (exact Poisson, statsmodels), which the
  bar chart draws as whiskers;
* for the outcome tests, the **not-recorded** rule: when a field is blank for the whole selection
  (every Met police.uk CSV) the result says so and carries the "any outcome other than no further
  action" rate under ``alternative``, labelled as such.

Areas: ``london`` is the London forces (:data:`~stopsearch_app.store.aggregates.LONDON_FORCES`);
searches of other forces are left out and counted. A borough name filters on the records' borough
(local extracts only: police.uk data carry none, and then the answer is "no borough recorded", never
zero) over that borough's Census population.

A request that cannot be answered raises :class:`DisparityUnavailable` (a ``ValueError``: the CLI
exits 1 with its message; the Disparity tab shows it in place of the charts).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType

from statsmodels.stats.rates import confint_poisson

from stopsearch_app.domain.denominators import (AGE_BAND_LABELS, AGE_BANDS as AGE_YEARS, LONDON, detailed_populations, DenominatorMismatch, DenominatorTable,
                                                DenominatorUnavailable, PopulationSelection,
                                                shipped_denominator_table)
from stopsearch_app.domain import funnel as funnel_plot
from stopsearch_app.domain.dashboard import BoroughFigures, Dashboard, MonthlyRatio
from stopsearch_app.domain.coverage import FIELD_LABELS, NOT_STATED, months_between
from stopsearch_app.domain.officer_ethnicity import officer_denominators
from stopsearch_app.domain.standardise import standardised_ratio
from stopsearch_app.domain.sensitivity import proportion_bounds
from stopsearch_app.domain.selection import BANDS_THAT_TILE, AgeBand
from stopsearch_app.domain.trend import MonthCounts, monthly_series, ratio_trend
from stopsearch_app.domain.places import CITY_OF_LONDON_GSS, NEAR_BOUNDARY_NOTE, london_boroughs
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.statistics import (CONFIDENCE, EVENTS_NOT_PEOPLE, NON_NFA_RATE, PER, RATE_MEASURE,
                                              REFERENCE_GROUP, SUPPRESSION_THRESHOLD, DisparityLabels, OutcomeCounts,
                                              Period, RateRatio, annualised_rate_per_1000, disparity_json,
                                              format_cell, is_suppressed, rate_per_1000, rate_ratio, rate_ratios,
                                              unknown_ethnicity_share)
from stopsearch_app.store.aggregates import (BAND_CHART_ORDER, LONDON_FORCES, UNKNOWN, Counts, LeftOut, Selection,
                                             counts)
from stopsearch_app.store.queries import Labels

MEASURES = (RATE_MEASURE, "find-rate", "removal-rate")
ETHNICITY_LABELS = {"self": "self-defined ethnicity", "officer": "officer-defined ethnicity"}
CHILDREN = AgeBand.CHILD.value
RATE_CI_METHOD = "exact Poisson (statsmodels confint_poisson, exact-c)"
NO_BOROUGH_RECORDED = "no borough recorded"
NOT_AN_OFFICER_CATEGORY = "not an officer-defined category in these records"
MET_FORCE, CITY_FORCE = "metropolitan", "city-of-london"
CITY_AREA = "City of London"
# Outcome measure -> the coverage field it needs recorded.
_OUTCOME_FIELD = {"find-rate": "outcome_linked", "removal-rate": "removal_more_than_outer"}
# A group's "status" in the JSON (cli.md additions).
STATUS_OK, STATUS_SUPPRESSED, STATUS_NOT_RECORDED = "ok", "suppressed", "not_recorded"
STATUS_ABSENT, STATUS_NO_POPULATION = "absent_in_source", "no_population"
_NUMBER_KEYS = ("rate_per_1000", "rate_per_1000_annualised", "annualised_rate_per_1000", "ratio_vs_white", "ci_low",
                "ci_high", "ci_method", "sensitivity_low", "sensitivity_high", "rate_ci_low", "rate_ci_high",
                "rate_ci_method", "proportion", "proportion_ci_low", "proportion_ci_high")
# Outcome measure -> (recorded column, positive column) of the aggregates' count frame.
_OUTCOME_COLUMNS = {"find-rate": ("linked_recorded", "linked_true"),
                    "removal-rate": ("removal_recorded", "removal_true"),
                    NON_NFA_RATE.key: ("outcome_recorded", "non_nfa")}


class DisparityUnavailable(ValueError):
    """The request cannot be answered; the message says why, in words a panel can read."""


class NoDenominator(DisparityUnavailable):
    """No population for the area or age band (or a table of the wrong classification)."""


class NoBoroughRecorded(DisparityUnavailable):
    """A borough was asked for, but no record in the selection carries a borough."""


class NoRecords(DisparityUnavailable):
    """Nothing is loaded for the area and period: a rate would read a gap as zero searches."""


@dataclass(frozen=True)
class DisparityRequest:
    """What to compute; the CLI's ``disparity`` options."""

    measure: str = RATE_MEASURE
    ethnicity: str = "self"
    age: str = "all"
    area: str = LONDON
    month_from: str | None = None
    month_to: str | None = None
    force: str | None = None
    include_vehicle_only: bool = False  # statistics.md: vehicle-only searches are not person searches

    def __post_init__(self) -> None:
        if self.measure not in MEASURES:
            raise ValueError(f"unknown measure {self.measure!r}; expected one of {', '.join(MEASURES)}")
        # The selection's own checks (age band, ethnicity source, months): one set of words for both.
        selection = Selection(month_from=self.month_from, month_to=self.month_to, age=self.age,
                              ethnicity=self.ethnicity)
        object.__setattr__(self, "age", selection.age.value)
        if not str(self.area).strip():
            raise ValueError("the area is blank; use london or a borough name")

    def with_(self, **changes) -> DisparityRequest:
        return replace(self, **changes)

    @property
    def is_london(self) -> bool:
        return self.area.strip().casefold() == LONDON


@dataclass(frozen=True)
class ForceShare:
    """One force area's part of a figure: the months it has records for in the period (its covered
    months) and its residents; a rate divides by the sum of residents x covered months."""

    force: str
    months: tuple[str, ...]
    population: PopulationSelection
    records: int

    def as_json(self) -> dict[str, object]:
        return {"force": self.force, "months": list(self.months), "population": self.population.total,
                "area": self.population.area_label, "records": self.records}


@dataclass(frozen=True)
class _Plan:
    """A request resolved against the data, its coverage and the denominator table."""

    request: DisparityRequest
    selection: Selection
    population: PopulationSelection  # residents of the whole figure: each force area weighted by its months
    denominators: DenominatorTable
    forces: tuple[str, ...]
    period: Period
    months_present: tuple[str, ...]
    coverage: Mapping[str, list[str]]
    left_out: LeftOut
    notes: tuple[str, ...]
    shares: tuple[ForceShare, ...] = ()
    recorded_forces: tuple[str, ...] | None = None  # outcome measures: forces that record the field
    not_recorded_forces: tuple[str, ...] = ()
    absent: Mapping[str, tuple[str, ...]] | None = None  # group -> force-months it is absent from
    unknown_absent: tuple[str, ...] = ()  # force-months whose source has no "Not stated" at all


# --- public API -----------------------------------------------------------------------------------
def compute_disparity(engine, labels: Labels, *, measure: str = RATE_MEASURE, ethnicity: str = "self",
                      age: str = "all", area: str = LONDON, month_from: str | None = None,
                      month_to: str | None = None, force: str | None = None, cached: bool = True,
                      denominators: DenominatorTable | None = None,
                      include_vehicle_only: bool = False) -> dict[str, object]:
    """The JSON object of ``stopsearch disparity --json`` (shared/spec/cli.md), with what a chart
    needs beside it. Raises :class:`DisparityUnavailable` when the request cannot be answered."""
    request = DisparityRequest(measure, ethnicity, age, area, month_from, month_to, force, include_vehicle_only)
    return _compute(request, counts(engine, labels, cached=cached), denominators or shipped_denominator_table())


def compute_dashboard(engine, labels: Labels, *, measure: str = RATE_MEASURE, ethnicity: str = "self",
                      age: str = "all", area: str = LONDON, month_from: str | None = None,
                      month_to: str | None = None, force: str | None = None, cached: bool = True,
                      denominators: DenominatorTable | None = None) -> Dashboard:
    """Everything the Disparity tab draws, from one look at the data (``domain/dashboard.py``):

    ``headline``: :func:`compute_disparity` for the request (charts a and b); ``by_age``: the rate for
    each age band that tiles the ages (chart c); ``monthly_children``: searches of children per
    month by group (chart d); ``children_outcomes``: find rate and "more than outer clothing removed"
    for children, each with the not-recorded rule (chart e); ``monthly_ratio`` (:func:`by_month`) and,
    for London, ``boroughs`` (:func:`by_borough`). A part that cannot be computed holds
    ``{"unavailable": reason}``; if the headline cannot, the whole result is unavailable (with
    ``request`` and ``available_months``). ``available_months``: every month loaded for the London
    forces, for the month pickers.
    """
    request = DisparityRequest(measure, ethnicity, age, area, month_from, month_to, force)
    source = counts(engine, labels, cached=cached)
    table = denominators or shipped_denominator_table()
    loaded = source.months_by_force(Selection(forces=LONDON_FORCES, person_only=False))
    available = sorted({month for months in loaded.values() for month in months})
    echo = {"measure": measure, "ethnicity": ethnicity, "age": age, "area": area, "month_from": month_from,
            "month_to": month_to, "force": force}
    try:
        headline = _compute(request, source, table)
    except DisparityUnavailable as error:
        return Dashboard(echo, tuple(available), unavailable=str(error))
    # The other charts share the headline's period, so a gap month stays a gap in every chart.
    period = headline["period"]
    shared = request.with_(month_from=period["from"], month_to=period["to"])

    def attempt(changed: DisparityRequest) -> dict[str, object]:
        try:
            return _compute(changed, source, table)
        except DisparityUnavailable as error:
            return {"unavailable": str(error)}

    monthly = by_month(shared.with_(measure=RATE_MEASURE), source, table)
    if request.measure == RATE_MEASURE:
        _attach_overdispersion(headline, monthly)
    # The headline's rate, when it is one of the bands, is that band's figure: computed once.
    by_age = {band: headline if request.measure == RATE_MEASURE and band == request.age
              else attempt(shared.with_(measure=RATE_MEASURE, age=band)) for band in BAND_CHART_ORDER}
    london_rate = headline if request.measure == RATE_MEASURE else by_age.get(request.age)
    if london_rate is not None and "unavailable" in london_rate:
        london_rate = None
    boroughs = by_borough(shared.with_(measure=RATE_MEASURE), source, table, london_rate) if request.is_london else None
    return Dashboard(
        request=echo, available_months=tuple(available), headline=headline,
        monthly_ratio=MonthlyRatio.from_json(monthly),
        boroughs=BoroughFigures.from_json(boroughs) if boroughs is not None else None,
        by_age=by_age,
        monthly_children=_monthly(shared.with_(age=CHILDREN), source, table),
        children_outcomes={key: attempt(shared.with_(measure=key, age=CHILDREN)) for key in ("find-rate", "removal-rate")},
    )


def run_cli(args) -> tuple[dict, int]:
    """``stopsearch disparity``: (JSON object, exit status). ``_text`` holds the table printed without
    ``--json``. Raises ``ValueError`` (exit 1) when the request cannot be answered.

    ``args`` has db, ethnicity, age, area, month_from, month_to, measure, filter_force, borough.
    """
    from stopsearch_app.store.database import open_database

    area = _cli_area(getattr(args, "area", None), getattr(args, "borough", None))
    request = DisparityRequest(
        measure=getattr(args, "measure", None) or RATE_MEASURE, ethnicity=getattr(args, "ethnicity", None) or "self",
        age=getattr(args, "age", None) or "all", area=area, month_from=getattr(args, "month_from", None),
        month_to=getattr(args, "month_to", None), force=getattr(args, "filter_force", None),
        include_vehicle_only=bool(getattr(args, "include_vehicle_only", False)))
    engine = open_database(getattr(args, "db", None))
    try:
        # Even for one request the count cube (one GROUP BY) beats the four plain GROUP BYs of the SQL
        # path: 1.9 s against 2.6 s over a million rows (bench/bench_disparity.py).
        source, table = counts(engine, Labels(engine)), shipped_denominator_table()
        result = _compute(request, source, table)
        by = getattr(args, "by", None)
        if by == "month":
            result |= by_month(request, source, table)
            if request.measure == RATE_MEASURE:
                _attach_overdispersion(result, result)
        elif by == "borough":
            if not request.is_london:
                raise ValueError("--by borough compares London's boroughs: use it with --area london")
            result |= by_borough(request, source, table)
    finally:
        engine.dispose()
    return result | {"_text": format_text(result)}, 0


# --- assembling one result ------------------------------------------------------------------------
def _compute(request: DisparityRequest, source: Counts, table: DenominatorTable) -> dict[str, object]:
    plan = _plan(request, source, table)
    rows = source.by_group(plan.selection)
    unknown = int(rows.at[UNKNOWN, "searches"])
    labels = DisparityLabels(
        ethnicity_source=request.ethnicity, age=request.age, area=request.area,
        denominator_source=table.metadata.source, denominator_year=table.metadata.year,
        denominator_note=plan.population.note, denominator_suppressed_cells=plan.population.suppressed_cells)
    if request.measure == RATE_MEASURE:
        group_counts: Mapping = {g: int(rows.at[g, "searches"]) for g in ETHNIC_GROUPS}
        fallback = None
    else:
        group_counts = _outcome_counts(rows, request.measure)
        fallback = _outcome_counts(rows, NON_NFA_RATE.key)
    result = disparity_json(measure=request.measure, counts=group_counts, unknown_ethnicity=unknown,
                            populations=dict(plan.population.populations), period=plan.period, labels=labels,
                            fallback_counts=fallback)
    _add_context(result, plan, rows, source)
    return result


def _plan(request: DisparityRequest, source: Counts, table: DenominatorTable) -> _Plan:
    forces = _area_forces(request)
    boroughs: tuple[str, ...] = ()
    borough_label = None
    if not request.is_london:
        borough_label = _population(table, request.area, request.age).area_label
        boroughs = (request.area, borough_label)
    selection = Selection(forces=forces, month_from=request.month_from, month_to=request.month_to,
                          boroughs=boroughs, age=request.age, ethnicity=request.ethnicity,
                          person_only=not request.include_vehicle_only)
    covered = source.coverage()
    recorded, not_recorded = _field_recorded_by(request, forces, covered)
    if recorded and not_recorded:
        selection = selection.with_(forces=recorded)  # the other forces would only add blanks
    left_out = source.left_out(selection)
    where = f"{borough_label or 'London'} ({', '.join(forces)})"
    span = _span_text(request.month_from, request.month_to)
    if boroughs and left_out.borough_recorded == 0:
        raise NoBoroughRecorded(
            f"{NO_BOROUGH_RECORDED}: none of the searches loaded for {', '.join(forces)}{span} carries a borough "
            f"or coordinates in London, so a rate for {borough_label} cannot be computed. Choose London, or "
            "import records with coordinates or a borough.")
    # A force's covered months are its own, whatever the borough: months it has records for at all.
    coverage = source.months_by_force(selection.with_(boroughs=()))
    months = tuple(sorted({month for listed in coverage.values() for month in listed}))
    if not months:
        raise NoRecords(f"no searches loaded for {where}{span}: nothing to compute (a missing month is "
                        "never read as zero searches)")
    start, end = request.month_from or months[0], request.month_to or months[-1]
    period = Period.between(start, end, months=len(months))
    shares = tuple(_force_share(request, table, force, tuple(coverage.get(force, ())), covered, borough_label)
                   for force in selection.forces if coverage.get(force))
    population = _weighted_population(shares, len(months), borough_label)
    plan = _Plan(request, selection, population, table, forces, period, months, coverage, left_out, (), shares,
                 recorded_forces=recorded if request.measure in _OUTCOME_FIELD else None,
                 not_recorded_forces=not_recorded)
    plan = _apply_category_coverage(plan, covered)
    return replace(plan, notes=_coverage_notes(plan))


def _population(table: DenominatorTable, area: str, age: str, *, allow_estimated_ages: bool = False) -> PopulationSelection:
    try:
        return table.select(area, age, allow_estimated_ages=allow_estimated_ages)
    except (DenominatorUnavailable, DenominatorMismatch) as error:
        raise NoDenominator(f"no denominator for {area} ({AGE_BAND_LABELS[age]}): {error}") from None


def _force_share(request: DisparityRequest, table: DenominatorTable, force: str, months: tuple[str, ...],
                 covered, borough_label: str | None) -> ForceShare:
    """The force's residents: the borough's for a borough figure; otherwise the Met's area is London less
    the City and the City's is the City (statistics.md "Coverage")."""
    if borough_label is not None:
        population = _population(table, request.area, request.age)
    elif force == CITY_FORCE:
        # Alone, the City has no age breakdown (refused); beside the Met its estimate is 0.1% of London.
        # (Outcome measures divide by searches, not residents: no population is needed.)
        alone = _area_forces(request) == (CITY_FORCE,) and request.measure == RATE_MEASURE
        population = _population(table, CITY_AREA, request.age, allow_estimated_ages=not alone)
    else:
        population = _population(table, LONDON, request.age)
    records = sum(entry.counts.records for entry in covered.select((force,), request.month_from, request.month_to))
    return ForceShare(force, months, population, records)


def _weighted_population(shares: tuple[ForceShare, ...], months: int, borough_label: str | None) -> PopulationSelection:
    """Residents x covered months of every force area, over the figure's months: a rate over the
    period divides by it, an annualised rate by it x months / 12."""
    if len(shares) == 1:
        return shares[0].population
    groups = tuple(shares[0].population.populations)
    weighted = {group: round(sum(share.population.populations[group] * len(share.months) for share in shares) / months)
                for group in groups}
    suppressed = {group: sum(share.population.suppressed_by_group[group] for share in shares) for group in groups}
    parts = "; ".join(f"{share.population.area_label} x {len(share.months)} month(s) ({share.force})" for share in shares)
    notes = [note for share in shares if (note := share.population.note)]
    return PopulationSelection(
        area=LONDON, area_label=borough_label or "London", age_band=shares[0].population.age_band,
        area_codes=tuple(code for share in shares for code in share.population.area_codes),
        classification=shares[0].population.classification, populations=MappingProxyType(weighted),
        suppressed_cells=sum(suppressed.values()), suppressed_by_group=MappingProxyType(suppressed),
        note=f"residents weighted by the months each force covers ({parts}), over {months} month(s). "
             + " ".join(dict.fromkeys(notes)))


def _field_recorded_by(request: DisparityRequest, forces: tuple[str, ...], covered) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """For find and clothing rates: the forces that record the field in the period, and those that do
    not (named, never counted as zeros). Other measures: every force, none left out."""
    field_name = _OUTCOME_FIELD.get(request.measure)
    if field_name is None:
        return forces, ()
    recorded, not_recorded = [], []
    for force in forces:
        entries = covered.select((force,), request.month_from, request.month_to)
        if entries:
            (recorded if any(entry.counts.records_field(field_name) for entry in entries) else not_recorded).append(force)
    return tuple(recorded), tuple(not_recorded)


def _apply_category_coverage(plan: _Plan, covered) -> _Plan:
    """Groups absent from the source in a force-month of the figure, and whether "Not stated" is."""
    field_name = "self_defined_ethnicity" if plan.request.ethnicity == "self" else "officer_defined_ethnicity"
    forces = plan.selection.forces
    frm, to = plan.request.month_from, plan.request.month_to
    absent = {group: tuple(f"{entry.force} {entry.month}" for entry in covered.absent(field_name, group, forces, frm, to))
              for group in ETHNIC_GROUPS}
    unknown = ()
    if plan.request.ethnicity == "self":
        unknown = tuple(f"{entry.force} {entry.month}" for entry in covered.absent(field_name, NOT_STATED, forces, frm, to))
    return replace(plan, absent={group: months for group, months in absent.items() if months}, unknown_absent=unknown)


def _area_forces(request: DisparityRequest) -> tuple[str, ...]:
    if request.force is None:
        if request.is_london:
            return LONDON_FORCES
        # A borough's searches are its force's: the City of London's for the City, the Met's elsewhere.
        place = london_boroughs().find(request.area)
        return (CITY_FORCE,) if place is not None and place.gss_code == CITY_OF_LONDON_GSS else (MET_FORCE,)
    force = request.force.strip().casefold()
    if force not in LONDON_FORCES:
        raise NoDenominator(f"force {request.force!r} is not a London force ({', '.join(LONDON_FORCES)}): the "
                            "Census denominators here are London's, so no rate can be computed for it")
    return (force,)


def _outcome_counts(rows, measure: str) -> dict[str, OutcomeCounts]:
    recorded, positive = _OUTCOME_COLUMNS[measure]
    return {g: OutcomeCounts(int(rows.at[g, "searches"]), int(rows.at[g, recorded]), int(rows.at[g, positive]))
            for g in ETHNIC_GROUPS}


def _add_context(result: dict[str, object], plan: _Plan, rows, source: Counts) -> None:
    request, population = plan.request, plan.population
    result["area_label"] = population.area_label
    result["forces"] = [share.as_json() for share in plan.shares]
    result["force_slugs"] = list(plan.forces)
    if plan.recorded_forces is not None:
        result["recorded_forces"] = list(plan.recorded_forces)
        result["not_recorded_forces"] = list(plan.not_recorded_forces)
    if plan.selection.boroughs:
        result["borough_not_known"] = plan.left_out.no_borough
    result["ethnicity_label"] = ETHNICITY_LABELS[request.ethnicity]
    result["age_label"] = AGE_BAND_LABELS[request.age]
    result["period"] = dict(result["period"], label=plan.period.label)  # type: ignore[arg-type]
    result["months_present"] = list(plan.months_present)
    result["coverage"] = {force: list(months) for force, months in plan.coverage.items()}
    result["person_searches_only"] = not request.include_vehicle_only
    result["left_out"] = plan.left_out.as_json()
    denominator = dict(result["denominator"])  # type: ignore[arg-type]
    denominator.update(label=denominator_label(plan.denominators), area=population.area_label,
                       age_band=AGE_BAND_LABELS[population.age_band], classification=population.classification,
                       total_population=population.total)
    result["denominator"] = denominator
    known = int(rows.loc[list(ETHNIC_GROUPS), "searches"].sum())
    share = unknown_ethnicity_share(int(rows.at[UNKNOWN, "searches"]), known)
    result["unknown_ethnicity_share"] = share.value
    result["unknown_ethnicity_share_ci"] = [share.ci_low, share.ci_high]

    all_types = source.by_group(plan.selection.with_(person_only=False)) if not request.include_vehicle_only else rows
    vehicle_only = {g: int(all_types.at[g, "searches"] - rows.at[g, "searches"]) for g in all_types.index}
    no_mixed = request.ethnicity == "officer" and "Mixed" not in source.values("officer_defined_ethnicity")
    for entry in result["groups"]:  # type: ignore[union-attr]
        entry["vehicle_only_excluded"] = vehicle_only[entry["group"]]
        if request.measure == RATE_MEASURE:
            low, high = rate_interval(entry["searches"], entry["population"])
            entry["rate_ci_low"], entry["rate_ci_high"] = low, high
            entry["rate_ci_method"] = RATE_CI_METHOD if low is not None else None
        if "rate_per_1000_annualised" in entry:
            entry["annualised_rate_per_1000"] = entry["rate_per_1000_annualised"]
        entry["status"] = _status(entry, result, request.measure)
        if no_mixed and entry["group"] == "Mixed":
            # police.uk officer-defined ethnicity has four groups: a zero here is not a finding.
            _blank_numbers(entry)
            entry["reason"] = NOT_AN_OFFICER_CATEGORY
            entry["status"] = STATUS_ABSENT
        elif plan.absent and entry["group"] in plan.absent:
            months = plan.absent[entry["group"]]
            _blank_numbers(entry)
            entry["status"] = STATUS_ABSENT
            entry["reason"] = (f"absent from the source in {len(months)} force-month(s) ({_listed(months)}): not "
                               "recorded there, so no rate or ratio is shown")
        if request.measure != RATE_MEASURE and entry.get("status") != STATUS_ABSENT:
            _add_proportion_bounds(entry, rows, request.measure, source_records_unknown=not plan.unknown_absent)
        if plan.unknown_absent and "sensitivity_low" in entry:
            entry["sensitivity_low"] = entry["sensitivity_high"] = None
            entry["sensitivity_status"] = "cannot_be_judged"
    notes = list(result["notes"])  # type: ignore[arg-type]
    if plan.unknown_absent:
        notes = [note for note in notes if not note.startswith("The unknown-ethnicity range")]
        notes.append(f"The source has no 'Not stated' ethnicity at all in {_listed(plan.unknown_absent)}: how many "
                     "searches of unknown ethnicity there were cannot be judged, so no unknown-ethnicity range is "
                     "shown.")
    notes.extend(plan.notes)
    notes.extend(_left_out_notes(plan))
    result["coverage_notes"] = [*plan.notes, *(note for note in notes if note.startswith("The source has no"))]
    if request.ethnicity == "officer":
        notes.append("Officer-defined ethnicity is the officer's view, set against residents' self-defined "
                     "Census ethnicity; self-defined is the Home Office's basis."
                     + (" No record carries an officer-defined 'Mixed', so Mixed is not shown." if no_mixed else ""))
    if request.measure == RATE_MEASURE:
        notes.append(f"Rate intervals: {RATE_CI_METHOD}; ratio intervals: Poisson wald-log, exact conditional "
                     "when a count is under 30.")
    if request.measure == RATE_MEASURE:
        _add_standardised(result, plan, source)
        if request.ethnicity == "officer":
            _add_officer_variants(result, plan)
    result["notes"] = notes
    result["title"] = describe(result)


def _add_proportion_bounds(entry: dict[str, object], rows, measure: str, *, source_records_unknown: bool) -> None:
    """Unknown-ethnicity bounds for a proportion (statistics.md, sensitivity): the ratio of proportions
    vs White and the group's own proportion with every unknown put in White, or in the group."""
    counts = _outcome_counts(rows, measure)
    recorded, positive = _OUTCOME_COLUMNS[measure]
    unknown = OutcomeCounts(int(rows.at[UNKNOWN, "searches"]), int(rows.at[UNKNOWN, recorded]),
                            int(rows.at[UNKNOWN, positive]))
    group = str(entry["group"])
    if group == REFERENCE_GROUP or entry.get("ratio_vs_white") is None:  # the reference, or redacted
        entry["sensitivity_low"] = entry["sensitivity_high"] = None
        entry["sensitivity_status"] = None
        return
    bounds = proportion_bounds(counts[group], counts[REFERENCE_GROUP], unknown,
                               source_records_unknown=source_records_unknown)
    entry["sensitivity_low"], entry["sensitivity_high"] = bounds.low, bounds.high
    entry["sensitivity_status"] = bounds.status
    entry["proportion_sensitivity_low"] = bounds.proportion_low
    entry["proportion_sensitivity_high"] = bounds.proportion_high


STANDARD_BANDS = {band.value: band.years for band in BANDS_THAT_TILE}  # the app's age bands, no overlap


def _add_standardised(result: dict[str, object], plan: _Plan, source: Counts) -> None:
    """The directly age-standardised ratio beside the crude one (statistics.md "Beyond one number"):
    London's residents of every group by the app's age bands as the standard; searches with no age
    recorded are in no band, so the crude ratio here is over the searches with an age."""
    if plan.request.age != "all":
        result["standardised"] = {"reason": "only for all ages: within one age band there is nothing to standardise"}
        return
    try:
        standard = {band: _population(plan.denominators, LONDON, band).total for band in STANDARD_BANDS}
        shares = plan.shares
        populations: dict[str, dict[str, int]] = {group: {} for group in ETHNIC_GROUPS}
        for band in STANDARD_BANDS:
            weighted = _weighted_population(tuple(replace(share, population=_force_share(
                plan.request.with_(age=band), plan.denominators, share.force, share.months, source.coverage(),
                None if plan.request.is_london else plan.population.area_label).population) for share in shares),
                plan.period.months, None)
            for group in ETHNIC_GROUPS:
                populations[group][band] = int(weighted.populations[group])
    except DisparityUnavailable as error:
        result["standardised"] = {"reason": str(error)}
        return
    by_band = source.by_age_band(plan.selection, tuple(STANDARD_BANDS))
    searches = {group: {band: int(by_band[band].at[group, "searches"]) for band in STANDARD_BANDS}
                for group in ETHNIC_GROUPS}
    per_group = {}
    for entry in result["groups"]:  # type: ignore[union-attr]
        group = entry["group"]
        if group == REFERENCE_GROUP or entry.get("status") == STATUS_ABSENT:
            continue
        ratio = standardised_ratio(searches, populations, standard, group=group).as_json()
        entry["standardised_ratio"] = ratio["standardised_ratio"]
        entry["standardised_ci_low"], entry["standardised_ci_high"] = ratio["ci_low"], ratio["ci_high"]
        per_group[group] = ratio
    result["standardised"] = {"method": next(iter(per_group.values()))["method"] if per_group else None,
                              "bands": list(STANDARD_BANDS), "groups": per_group,
                              "note": "Directly age-standardised to London's residents by the app's age bands "
                                      "(under 10, 10-17, 18 and over); searches with no age recorded are left out."}


def _add_officer_variants(result: dict[str, object], plan: _Plan) -> None:
    """Officer-defined ethnicity has no Mixed: the ratios with Mixed residents left out of the
    denominators and with them allocated by their Census components (statistics.md, sensitivity)."""
    first, last = AGE_YEARS.get(plan.request.age, (0, None))
    codes = [code for code in plan.population.area_codes if not code.startswith("-")]
    detail: dict[str, int] = {}
    for code in codes:
        for category, count in detailed_populations(code, first, last).items():
            detail[category] = detail.get(category, 0) + count
    if not detail:
        result["officer_mixed"] = {"reason": "no Census 19-category populations for this area"}
        return
    variants = officer_denominators(detail)
    counts = {entry["group"]: entry["searches"] for entry in result["groups"]}  # type: ignore[union-attr]
    out: dict[str, object] = variants.as_json()
    for name, populations in (("left_out", variants.left_out), ("allocated", variants.allocated)):
        if populations is None:
            continue
        ratios = {}
        for group in ("Black", "Asian", "Other"):
            ratio = rate_ratio(counts.get(group, 0), populations.get(group), counts.get(REFERENCE_GROUP, 0),
                               populations.get(REFERENCE_GROUP))
            ratios[group] = {"ratio_vs_white": ratio.ratio, "ci_low": ratio.ci_low, "ci_high": ratio.ci_high}
        out[f"{name}_ratios"] = ratios
    if any(code.startswith("E12") for code in codes) or any(code == "E09000001" for code in codes):
        out["area_note"] = ("19-category residents of the Census rows named (the City of London is not separate "
                            "there; it is 0.1% of London)")
    result["officer_mixed"] = out


def _blank_numbers(entry: dict[str, object]) -> None:
    for key in _NUMBER_KEYS:
        if key in entry:
            entry[key] = None


def _status(entry: Mapping[str, object], result: Mapping[str, object], measure: str) -> str:
    if measure != RATE_MEASURE and result.get("not_recorded"):
        return STATUS_NOT_RECORDED
    if measure == RATE_MEASURE and not entry.get("population"):
        return STATUS_NO_POPULATION
    return STATUS_SUPPRESSED if entry.get("suppressed") else STATUS_OK


def _listed(items, limit: int = 6) -> str:
    items = list(items)
    return ", ".join(items[:limit]) + (f" and {len(items) - limit} more" if len(items) > limit else "")


def rate_interval(searches: int, population: int | None) -> tuple[float | None, float | None]:
    """95% interval of a rate per 1,000 (exact Poisson); (None, None) without a population."""
    if not population:
        return None, None
    low, high = confint_poisson(searches, population, method="exact-c", alpha=1 - CONFIDENCE)
    low_value, high_value = float(low) * PER, float(high) * PER
    if not (math.isfinite(low_value) and math.isfinite(high_value)):
        return None, None
    return low_value, high_value


def _coverage_notes(plan: _Plan) -> tuple[str, ...]:
    notes = []
    period, months = plan.period, plan.months_present
    span = months_between(period.start, period.end)
    missing = [month for month in span if month not in months]
    if missing:
        notes.append(f"{len(missing)} of the {len(span)} months from {period.start} to {period.end} have no "
                     f"searches loaded ({_listed(missing)}); the figures cover the {period.months} month(s) that do, "
                     "and a missing month is not read as zero searches.")
    if len(plan.shares) > 1 and len({share.months for share in plan.shares}) > 1:
        parts = ", ".join(f"{share.force} {len(share.months)}" for share in plan.shares)
        notes.append(f"The forces cover different months (months loaded: {parts}): each force area's residents "
                     "count only for the months that force has records for.")
    for force in plan.forces:
        if force not in plan.coverage:
            notes.append(f"No records loaded for {force} in the period: its area is left out of the figure.")
    if plan.not_recorded_forces:
        field_name = FIELD_LABELS[_OUTCOME_FIELD[plan.request.measure]]
        if plan.recorded_forces:
            notes.append(f"{field_name.capitalize()} is not recorded by {', '.join(plan.not_recorded_forces)}: the "
                         f"figure covers {', '.join(plan.recorded_forces)} only.")
        else:
            notes.append(f"{field_name.capitalize()} is not recorded by {', '.join(plan.not_recorded_forces)}.")
    if plan.absent:
        for group, listed in plan.absent.items():
            notes.append(f"{group}: absent from the source in {_listed(listed)} (no record of the category where it "
                         "is normally present), so it is shown as absent, never as zero.")
    if plan.selection.boroughs:
        notes.append(f"{plan.left_out.no_borough:,} searches of the selection could not be placed in a borough (no "
                     f"coordinates, or outside London) and are not in the borough's figures. {NEAR_BOUNDARY_NOTE}")
    return tuple(notes)


def _left_out_notes(plan: _Plan) -> list[str]:
    left, notes = plan.left_out, []
    if left.other_forces:
        notes.append(f"{left.other_forces:,} searches by forces outside {plan.population.area_label} "
                     f"({', '.join(plan.forces)}) are left out.")
    if left.vehicle_only:
        notes.append(f"{left.vehicle_only:,} vehicle-only searches are left out (person searches only).")
    if left.age_not_recorded:
        notes.append(f"{left.age_not_recorded:,} searches with no age recorded are in no age band and left out.")
    return notes


def by_month(request: DisparityRequest, source: Counts, table: DenominatorTable) -> dict[str, object]:
    """``--by month``: the rate and ratio vs White per covered month (each month's residents are those of
    the forces covering it) and the trend of the Black / White ratio (Poisson and quasi-Poisson GLM)."""
    try:
        plan = _plan(request.with_(measure=RATE_MEASURE), source, table)
    except DisparityUnavailable as error:
        return {"series": [], "trend": {"method": None, "reason": str(error)}}
    frame = source.by_month(plan.selection)
    months = []
    for month in plan.months_present:
        covering = [share for share in plan.shares if month in share.months]
        populations = {group: sum(share.population.populations[group] for share in covering) for group in ETHNIC_GROUPS}
        searches = {group: int(frame.at[month, group]) if month in frame.index else 0 for group in ETHNIC_GROUPS}
        months.append(MonthCounts(month, searches, populations))
    trend = ratio_trend(months)
    return {"series": monthly_series(months), "trend": trend.as_json(),
            "overdispersion": _overdispersed_intervals(months)}


def _attach_overdispersion(result: dict[str, object], monthly: Mapping[str, object]) -> None:
    """Each group's quasi-Poisson interval beside its Poisson one, when the months allow one."""
    groups = (monthly.get("overdispersion") or {}).get("groups", {})  # type: ignore[union-attr]
    for entry in result.get("groups", []):  # type: ignore[union-attr]
        found = groups.get(entry["group"], {})
        if "ci_low" in found and entry.get("status") == STATUS_OK:
            entry["ci_low_overdispersed"], entry["ci_high_overdispersed"] = found["ci_low"], found["ci_high"]
            entry["dispersion"] = found["dispersion"]


def _overdispersed_intervals(months: list[MonthCounts]) -> dict[str, object]:
    """The period's ratio vs White with a quasi-Poisson interval beside the Poisson one: the log
    ratio's SE times sqrt(phi), phi the Pearson dispersion of the group's monthly counts against
    White's (domain/trend.py). Monthly counts vary more than Poisson allows (operations, events)."""
    out: dict[str, object] = {"method": "quasi-Poisson: wald-log SE x sqrt(dispersion of the monthly counts)",
                              "groups": {}}
    z = 1.959963984540054
    white = sum(month.searches.get(REFERENCE_GROUP, 0) for month in months)
    for group in ETHNIC_GROUPS:
        if group == REFERENCE_GROUP:
            continue
        fit = ratio_trend(months, group=group)
        count = sum(month.searches.get(group, 0) for month in months)
        exposure = sum(month.populations.get(group) or 0 for month in months)
        white_exposure = sum(month.populations.get(REFERENCE_GROUP) or 0 for month in months)
        if fit.dispersion is None or not (count and white and exposure and white_exposure):
            out["groups"][group] = {"reason": fit.reason or "no ratio"}  # type: ignore[index]
            continue
        ratio = (count / exposure) / (white / white_exposure)
        spread = z * math.sqrt(1 / count + 1 / white) * math.sqrt(max(fit.dispersion, 1.0))
        out["groups"][group] = {"ratio_vs_white": ratio, "dispersion": fit.dispersion,  # type: ignore[index]
                                "ci_low": ratio * math.exp(-spread), "ci_high": ratio * math.exp(spread)}
    return out


def by_borough(request: DisparityRequest, source: Counts, table: DenominatorTable,
               london_result: Mapping[str, object] | None = None) -> dict[str, object]:
    """``--by borough``: every London borough's figures side by side, and the funnel of their Black /
    White ratios around London's (95% and 99.8% limits, Bonferroni and FDR; suppression applied).

    One grouped count serves all 33 areas (a borough figure each would cost 33 plans); each borough
    is its force's (the City's for the City, the Met's elsewhere) over that force's covered months."""
    london = _plan(request.with_(area=LONDON, force=None), source, table)
    by_place = source.by_place(london.selection.with_(forces=LONDON_FORCES))
    months = {share.force: share.months for share in london.shares}
    boroughs, figured = [], []
    for borough in london_boroughs().boroughs:
        force = CITY_FORCE if borough.gss_code == CITY_OF_LONDON_GSS else MET_FORCE
        entry: dict[str, object] = {"borough": borough.name, "gss_code": borough.gss_code, "force": force}
        try:
            population = _population(table, borough.name, request.age)
        except NoDenominator as error:
            boroughs.append(entry | {"groups": [], "unavailable": str(error)})
            continue
        if not months.get(force):
            boroughs.append(entry | {"groups": [], "unavailable": f"no records loaded for {force} in the period"})
            continue
        row = by_place.loc[borough.name] if borough.name in by_place.index else None
        period = Period.between(london.period.start, london.period.end, months=len(months[force]))
        searches = {g: int(row[g]) if row is not None else 0 for g in ETHNIC_GROUPS}
        entry |= {"groups": [], "unknown_ethnicity": int(row[UNKNOWN]) if row is not None else 0,
                  "months": list(months[force]), "period": period.as_json()}
        boroughs.append(entry)
        figured.append((entry, searches, population.populations, period))
    # Every borough's ratios in one batch (rate_ratios): a few hundred intervals.
    ratios = iter(rate_ratios([(searches[group], populations.get(group), searches[REFERENCE_GROUP],
                                populations.get(REFERENCE_GROUP))
                               for _, searches, populations, _ in figured for group in ETHNIC_GROUPS]))
    for entry, searches, populations, period in figured:
        entry["groups"] = [_borough_group(group, searches, populations, period, london.absent, next(ratios))
                           for group in ETHNIC_GROUPS]
    not_placed = int(by_place.loc[""].sum()) if "" in by_place.index else 0
    london_result = london_result or _compute(london.request, source, table)
    centre = next((g["ratio_vs_white"] for g in london_result["groups"]  # type: ignore[union-attr]
                   if g["group"] == funnel_plot.FUNNEL_GROUP), None)
    extra = {"borough_not_known": not_placed}
    if not centre:
        return {"boroughs": boroughs, **extra, "funnel": {"unavailable": "no London ratio to compare the boroughs with"}}
    placed = funnel_plot.funnel(funnel_plot.boroughs_from_json(boroughs), centre)
    return {"boroughs": boroughs, **extra, "funnel": placed.as_json()}


def _borough_group(group: str, searches: Mapping[str, int], populations: Mapping[str, int], period: Period,
                   absent: Mapping[str, tuple[str, ...]] | None, ratio: RateRatio) -> dict[str, object]:
    """One group of one borough, for the side-by-side table and the funnel: the rate and the ratio vs
    White with its interval (the same functions as every figure; the unknown-ethnicity range is the
    single-borough figure's, not repeated for 33 boroughs)."""
    count, population = searches[group], populations.get(group)
    rate = rate_per_1000(count, population, period)
    yearly = annualised_rate_per_1000(count, population, period)
    entry: dict[str, object] = {
        "group": group, "searches": count, "population": population, "rate_per_1000": rate.per_1000,
        "rate_per_1000_annualised": yearly.per_1000, "annualised_rate_per_1000": yearly.per_1000,
        "ratio_vs_white": 1.0 if group == REFERENCE_GROUP and rate.per_1000 else ratio.ratio,
        "ci_low": None if group == REFERENCE_GROUP else ratio.ci_low,
        "ci_high": None if group == REFERENCE_GROUP else ratio.ci_high,
        "ci_method": None if group == REFERENCE_GROUP else ratio.method,
        "suppressed": is_suppressed(count),
        "reason": (rate.reason or (None if group == REFERENCE_GROUP else ratio.reason)),
    }
    entry["reason"] = str(entry["reason"]) if entry["reason"] else None
    entry["status"] = _status(entry, {}, RATE_MEASURE)
    if absent and group in absent:
        _blank_numbers(entry)
        entry["status"] = STATUS_ABSENT
    return entry


def _monthly(request: DisparityRequest, source: Counts, table: DenominatorTable) -> dict[str, object]:
    """Searches of children per month and group over the period; a month with nothing loaded is None."""
    try:
        plan = _plan(request.with_(measure=RATE_MEASURE), source, table)
    except DisparityUnavailable as error:
        return {"unavailable": str(error)}
    frame = source.by_month(plan.selection)
    months = months_between(plan.period.start, plan.period.end)
    loaded = set(plan.months_present)
    series = {}
    for group in (*ETHNIC_GROUPS, UNKNOWN):
        series[group] = [(int(frame.at[m, group]) if m in frame.index else 0) if m in loaded else None for m in months]
    return {
        "measure": "searches", "label": "searches of children (under 18)", "age": CHILDREN,
        "age_label": AGE_BAND_LABELS[CHILDREN], "area_label": plan.population.area_label, "forces": list(plan.forces),
        "ethnicity_source": request.ethnicity, "ethnicity_label": ETHNICITY_LABELS[request.ethnicity],
        "period": plan.period.as_json() | {"label": plan.period.label}, "months": months,
        "loaded": [m in loaded for m in months], "groups": series, "left_out": plan.left_out.as_json(),
        "notes": [EVENTS_NOT_PEOPLE, *plan.notes, *_left_out_notes(plan)],
        "covered_months": list(plan.months_present),
    }


def _span_text(month_from: str | None, month_to: str | None) -> str:
    if month_from and month_to:
        return f" from {month_from} to {month_to}"
    if month_from:
        return f" from {month_from}"
    return f" up to {month_to}" if month_to else ""


def _cli_area(area: str | None, borough: str | None) -> str:
    area = (area or LONDON).strip()
    if borough and borough.strip():
        if area.casefold() != LONDON and area.casefold() != borough.strip().casefold():
            raise ValueError(f"--area {area} and --borough {borough} disagree; give one of them")
        return borough.strip()
    return area


# --- words ------------------------------------------------------------------------------------------
def denominator_label(table: DenominatorTable) -> str:
    """Short name of a denominator table for titles, e.g. "ONS Census 2021"."""
    source = table.metadata.source.split(":", 1)[0].strip()
    return source if str(table.metadata.year) in source else f"{source} {table.metadata.year}"


def measure_label(result: Mapping[str, object], *, annualised: bool = False) -> str:
    if result.get("measure") == RATE_MEASURE:
        return ("searches per 1,000 residents per year (annualised)" if annualised
                else "searches per 1,000 residents over the period")
    return str(result.get("label"))


def describe(result: Mapping[str, object], *, annualised: bool = False) -> str:
    """One line saying what a figure is: measure, age, area, period, ethnicity source, denominator."""
    period = result["period"]  # type: ignore[index]
    denominator = result["denominator"]  # type: ignore[index]
    return (f"{measure_label(result, annualised=annualised).capitalize()} · {result['age_label']} · "
            f"{result['area_label']} · {period['label']} · {result['ethnicity_label']} · "  # type: ignore[index]
            f"denominator: {denominator['label']} residents")  # type: ignore[index]


def format_text(result: Mapping[str, object]) -> str:
    """The human-readable table ``stopsearch disparity`` prints without ``--json``."""
    lines = [describe(result)]
    denominator = result["denominator"]  # type: ignore[index]
    lines.append(f"Denominator: {denominator['source']}, {denominator['area']}, "  # type: ignore[index]
                 f"{denominator['age_band']}"  # type: ignore[index]
                 + (f"; {denominator['suppressed_cells']:,} suppressed Census cells counted as 0"  # type: ignore[index]
                    if denominator.get("suppressed_cells") else ""))  # type: ignore[union-attr]
    groups = result["groups"]  # type: ignore[index]
    if result["measure"] == RATE_MEASURE:
        header = ("group", "searches", "population", "per 1,000", "95% CI", "ratio vs White", "95% CI",
                  "unknown-ethnicity range")
        table = [header]
        for g in groups:  # type: ignore[union-attr]
            shown = g["searches"] if g.get("reason") != NOT_AN_OFFICER_CATEGORY else None
            table.append((g["group"], _count(shown, g["suppressed"]), _count(g["population"]),
                          _number(g["rate_per_1000"], g, 2), _interval(g.get("rate_ci_low"), g.get("rate_ci_high")),
                          _ratio_text(g), _interval(g["ci_low"], g["ci_high"]),
                          _interval(g["sensitivity_low"], g["sensitivity_high"])))
    else:
        blocks = [result]
        if result.get("not_recorded"):
            lines.append(f"{result['label']}: not recorded for any search in this selection.")
            if "alternative" in result:
                blocks = [result["alternative"]]  # type: ignore[list-item]
                lines.append(f"Instead: {result['alternative']['label']}.")  # type: ignore[index]
        header = ("group", "searches", "recorded", "positive", "%", "95% CI", "ratio vs White", "95% CI",
                  "unknown-ethnicity range")
        table = [header]
        for g in blocks[0]["groups"]:  # type: ignore[index]
            table.append((g["group"], _count(g["searches"]), _count(g["recorded"]),
                          _count(g["positive"], g["suppressed"]),
                          _percent(g["proportion"], g), _interval(g["proportion_ci_low"], g["proportion_ci_high"], 100),
                          _ratio_text(g), _interval(g["ci_low"], g["ci_high"]),
                          _interval(g.get("sensitivity_low"), g.get("sensitivity_high"))))
    widths = [max(len(str(row[i])) for row in table) for i in range(len(table[0]))]
    for row in table:
        lines.append("  ".join(str(cell).ljust(width) if i == 0 else str(cell).rjust(width)
                               for i, (cell, width) in enumerate(zip(row, widths, strict=True))).rstrip())
    share = result.get("unknown_ethnicity_share")
    lines.append(f"Unknown ethnicity: {result['unknown_ethnicity']:,} searches"
                 + (f" ({share * 100:.1f}%)" if isinstance(share, float) else ""))
    if any(g.get("suppressed") for g in groups):  # type: ignore[union-attr]
        lines.append(f"* fewer than {SUPPRESSION_THRESHOLD}: shown as <10 in panel views and packs.")
    lines.extend(f"Note: {note}" for note in result["notes"])  # type: ignore[union-attr]
    return "\n".join(lines)


def _count(value: object, suppressed: bool = False) -> str:
    if value is None:
        return "-"
    return f"{value:,}" + ("*" if suppressed else "")


def _number(value: object, group: Mapping[str, object], decimals: int) -> str:
    if group.get("reason") == NOT_AN_OFFICER_CATEGORY:
        return "n/a (see notes)"
    return format_cell(value, reason=group.get("reason"), decimals=decimals)  # type: ignore[arg-type]


def _percent(value: object, group: Mapping[str, object]) -> str:
    return format_cell(value, reason=group.get("reason"), percent=True)  # type: ignore[arg-type]


def _ratio_text(group: Mapping[str, object]) -> str:
    if group["group"] == REFERENCE_GROUP and group.get("ratio_vs_white") == 1.0:
        return "1 (reference)"
    if group.get("reason") == NOT_AN_OFFICER_CATEGORY:
        return "n/a (see notes)"
    return format_cell(group.get("ratio_vs_white"), reason=group.get("reason"), decimals=2)  # type: ignore[arg-type]


def _interval(low: object, high: object, scale: float = 1) -> str:
    if low is None or high is None:
        return "-"
    return f"{low * scale:,.2f}-{high * scale:,.2f}"  # type: ignore[operator]
