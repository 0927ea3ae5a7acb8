"""What the loaded data cover, force by force and month by month (shared/spec/statistics.md, "Coverage").

A figure is only as true as the data under it. The store keeps one :class:`ForceMonth` per force and
month (records, how many of them record each field, the ethnic categories present, the days the
records span), built at import (``store/coverage.py``). This module turns those counts into what a
reader needs: the share of each field recorded and the **flags** of a force-month:

``partial_month``
    no record in the first or last days of the month although the force's pace that month makes
    at least ten searches in those days all but certain (a file that stops on the 10th);
``low_volume``
    far fewer records than the force's other months (below half their median);
``category_absent``
    an ethnic category with no record in a force-month of 500 or more records where it would be
    expected: the force records it in its other months, or its usual share is over 1% (the Met API
    months of 2024-09..2025-04 carry no "Other" and no "Not stated" self-defined ethnicity);
``constant_false``
    a true/false field recorded as false on every record (the Met API's outcome linked to the
    object of search), which the importer stores as not recorded.

Flags depend on the force's other months, so they are worked out when the table is read, never
stored: importing another month can change them. The thresholds are data
(``resources/coverage/flags.toml``).
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from statistics import median

from stopsearch_app.resources import load_toml

# The fields whose recording the table counts (the keys of cli.md's "fields_recorded").
COVERAGE_FIELDS = ("age_range", "self_defined_ethnicity", "officer_defined_ethnicity", "location",
                   "outcome_linked", "removal_more_than_outer", "legislation")
FIELD_LABELS = {
    "age_range": "age", "self_defined_ethnicity": "self-defined ethnicity",
    "officer_defined_ethnicity": "officer-defined ethnicity", "location": "location (coordinates)",
    "outcome_linked": "outcome linked to the object", "removal_more_than_outer": "more than outer clothing removed",
    "legislation": "legislation",
}
CATEGORY_FIELDS = ("self_defined_ethnicity", "officer_defined_ethnicity")
NOT_STATED = "Not stated"
# A force-month "records" a field for the outcome tests when at least this share of its records do.
RECORDED_SHARE = 0.5


class Flag(StrEnum):
    PARTIAL_MONTH = "partial_month"
    LOW_VOLUME = "low_volume"
    CATEGORY_ABSENT = "category_absent"
    CONSTANT_FALSE = "constant_false"


FLAG_EXPLANATIONS = {
    Flag.PARTIAL_MONTH: "Looks partial: no record in the first or last days of the month, although the force's "
                        "pace that month would give at least ten searches in them.",
    Flag.LOW_VOLUME: "Far fewer records than the force's other months (under half their median): a file may be "
                     "incomplete.",
    Flag.CATEGORY_ABSENT: "An ethnic category is missing although it is normally present: the source did not "
                          "record it that month, so it is shown as absent from the source, never as zero.",
    Flag.CONSTANT_FALSE: "A true/false field is false on every record: probably not recorded at all, so it is "
                         "treated as not recorded.",
}


@dataclass(frozen=True)
class ForceMonth:
    """The stored counts for one force and one (London) month."""

    force: str
    month: str  # YYYY-MM
    records: int
    recorded: Mapping[str, int]  # COVERAGE_FIELDS -> records with the field recorded
    categories: Mapping[str, Mapping[str, int]]  # CATEGORY_FIELDS -> {category: records}
    first_day: int | None = None  # day of the month (London) of the first and last record
    last_day: int | None = None
    constant_false: tuple[str, ...] = ()

    def share(self, field_name: str) -> float:
        if not self.records:
            return 0.0
        return self.recorded.get(field_name, 0) / self.records

    def records_field(self, field_name: str) -> bool:
        return self.share(field_name) >= RECORDED_SHARE and field_name not in self.constant_false


@dataclass(frozen=True)
class CoverageEntry:
    """A force-month with its flags, as ``stopsearch coverage --json`` prints it."""

    counts: ForceMonth
    flags: tuple[Flag, ...]
    categories_absent: Mapping[str, tuple[str, ...]]  # field -> categories absent from the source
    flag_details: tuple[str, ...]

    @property
    def force(self) -> str:
        return self.counts.force

    @property
    def month(self) -> str:
        return self.counts.month

    def as_json(self) -> dict[str, object]:
        absent_names = sorted({category for listed in self.categories_absent.values() for category in listed})
        return {
            "force": self.force, "month": self.month, "records": self.counts.records,
            "fields_recorded": {name: round(self.counts.share(name), 4) for name in COVERAGE_FIELDS},
            "categories_present": {name: sorted(c for c, n in self.counts.categories.get(name, {}).items() if n)
                                   for name in CATEGORY_FIELDS},
            "categories_absent": absent_names,
            "categories_absent_by_field": {name: list(values) for name, values in self.categories_absent.items()
                                           if values},
            "flags": [str(flag) for flag in self.flags],
            "flag_details": list(self.flag_details),
            "first_day": self.counts.first_day, "last_day": self.counts.last_day,
        }


@dataclass(frozen=True)
class FlagSettings:
    edge_days: int = 3
    expected_in_gap: float = 10
    low_share_of_median: float = 0.5
    low_min_other_months: int = 2
    absent_min_records: int = 500
    absent_usual_share: float = 0.01
    usual_shares: Mapping[str, Mapping[str, float]] = field(default_factory=dict)
    never_expected: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    constant_false_min_records: int = 100

    @classmethod
    @cache
    def shipped(cls) -> FlagSettings:
        data = load_toml("coverage", "flags.toml")
        absent = data["category_absent"]
        return cls(edge_days=int(data["partial_month"]["edge_days"]),
                   expected_in_gap=float(data["partial_month"]["expected_in_gap"]),
                   low_share_of_median=float(data["low_volume"]["share_of_median"]),
                   low_min_other_months=int(data["low_volume"]["min_other_months"]),
                   absent_min_records=int(absent["min_records"]), absent_usual_share=float(absent["usual_share"]),
                   usual_shares={name: {k: float(v) for k, v in shares.items()}
                                 for name, shares in absent.get("usual_shares", {}).items()},
                   never_expected={name: tuple(values) for name, values in absent.get("never_expected", {}).items()},
                   constant_false_min_records=int(data["constant_false"]["min_records"]))


class CoverageTable:
    """Every stored force-month, flagged against the force's other months."""

    def __init__(self, rows: Iterable[ForceMonth], settings: FlagSettings | None = None) -> None:
        self.settings = settings or FlagSettings.shipped()
        ordered = sorted(rows, key=lambda row: (row.force, row.month))
        self._by_force: dict[str, list[ForceMonth]] = {}
        for row in ordered:
            self._by_force.setdefault(row.force, []).append(row)
        self.entries: tuple[CoverageEntry, ...] = tuple(
            self._assess(row, self._by_force[row.force]) for row in ordered)
        self._entry = {(entry.force, entry.month): entry for entry in self.entries}

    # --- questions ---------------------------------------------------------------------------------
    @property
    def forces(self) -> tuple[str, ...]:
        return tuple(self._by_force)

    def entry(self, force: str, month: str) -> CoverageEntry | None:
        return self._entry.get((force, month))

    def select(self, forces: Iterable[str] | None = None, month_from: str | None = None,
               month_to: str | None = None) -> list[CoverageEntry]:
        wanted = set(forces) if forces else None
        return [entry for entry in self.entries
                if (wanted is None or entry.force in wanted)
                and (month_from is None or entry.month >= month_from) and (month_to is None or entry.month <= month_to)]

    def months(self, force: str, month_from: str | None = None, month_to: str | None = None) -> list[str]:
        """The months the force has records for (its covered months) within the period."""
        return [entry.month for entry in self.select((force,), month_from, month_to) if entry.counts.records]

    def missing_months(self, force: str) -> list[str]:
        """Months between the force's first and last loaded month with no record at all."""
        months = self.months(force)
        if not months:
            return []
        present = set(months)
        return [month for month in months_between(months[0], months[-1]) if month not in present]

    def absent(self, field_name: str, category: str, forces: Iterable[str], month_from: str | None,
               month_to: str | None) -> list[CoverageEntry]:
        """The force-months of a selection from whose source ``category`` of ``field_name`` is absent."""
        return [entry for entry in self.select(forces, month_from, month_to)
                if category in entry.categories_absent.get(field_name, ())]

    def as_json(self, forces: Iterable[str] | None = None, month_from: str | None = None,
                month_to: str | None = None) -> dict[str, object]:
        return {"force_months": [entry.as_json() for entry in self.select(forces, month_from, month_to)],
                "flags_explained": {str(flag): text for flag, text in FLAG_EXPLANATIONS.items()}}

    # --- flags ---------------------------------------------------------------------------------------
    def _assess(self, row: ForceMonth, force_rows: list[ForceMonth]) -> CoverageEntry:
        settings = self.settings
        others = [other for other in force_rows if other.month != row.month and other.records]
        flags: list[Flag] = []
        details: list[str] = []
        gap = _edge_gap(row, settings)
        if gap:
            flags.append(Flag.PARTIAL_MONTH)
            details.append(gap)
        if len(others) >= settings.low_min_other_months:
            typical = median(other.records for other in others)
            if row.records < settings.low_share_of_median * typical:
                flags.append(Flag.LOW_VOLUME)
                details.append(f"{row.records:,} records against a median of {typical:,.0f} in the force's "
                               f"{len(others)} other months")
        absent = {name: self._absent_categories(row, others, name) for name in CATEGORY_FIELDS}
        if any(absent.values()):
            flags.append(Flag.CATEGORY_ABSENT)
            for name, categories in absent.items():
                if categories:
                    details.append(f"{FIELD_LABELS[name]}: no {', '.join(categories)} in {row.records:,} records")
        if row.constant_false:
            flags.append(Flag.CONSTANT_FALSE)
            details.append("false on every record: " + ", ".join(FIELD_LABELS.get(f, f) for f in row.constant_false))
        return CoverageEntry(row, tuple(flags), absent, tuple(details))

    def _absent_categories(self, row: ForceMonth, others: list[ForceMonth], field_name: str) -> tuple[str, ...]:
        settings = self.settings
        if row.records < settings.absent_min_records or not row.recorded.get(field_name):
            return ()
        present = row.categories.get(field_name, {})
        seen_elsewhere = {category for other in others for category, n in other.categories.get(field_name, {}).items()
                          if n}
        usual = settings.usual_shares.get(field_name, {})
        expected = (seen_elsewhere | {category for category, share in usual.items()
                                      if share > settings.absent_usual_share}) - set(settings.never_expected.get(field_name, ()))
        order = list(usual) + sorted(expected - set(usual))
        return tuple(category for category in order if category in expected and not present.get(category))


def _edge_gap(row: ForceMonth, settings: FlagSettings) -> str | None:
    if not row.records or row.first_day is None or row.last_day is None:
        return None
    year, month = int(row.month[:4]), int(row.month[5:7])
    days = calendar.monthrange(year, month)[1]
    missing_start = max(0, row.first_day - 1)
    missing_end = max(0, days - row.last_day)
    spanned = row.last_day - row.first_day + 1
    pace = row.records / spanned
    parts = []
    if missing_start > settings.edge_days and pace * missing_start >= settings.expected_in_gap:
        parts.append(f"no record before day {row.first_day}")
    if missing_end > settings.edge_days and pace * missing_end >= settings.expected_in_gap:
        parts.append(f"no record after day {row.last_day} of {days}")
    if not parts:
        return None
    return "; ".join(parts) + f" (about {pace:,.0f} searches a day otherwise)"


def months_between(start: str, end: str) -> list[str]:
    """Every month from ``start`` to ``end`` inclusive (``YYYY-MM``)."""
    year, month = int(start[:4]), int(start[5:7])
    months = []
    while f"{year:04d}-{month:02d}" <= end:
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def format_text(table: CoverageTable, forces: Iterable[str] | None = None, month_from: str | None = None,
                month_to: str | None = None) -> str:
    """The table ``stopsearch coverage`` prints without ``--json``: one line per force-month."""
    entries = table.select(forces, month_from, month_to)
    if not entries:
        return "no records loaded for this selection"
    short = {"age_range": "age", "self_defined_ethnicity": "sde", "officer_defined_ethnicity": "ode",
             "location": "loc", "outcome_linked": "linked", "removal_more_than_outer": "removal",
             "legislation": "legis"}
    header = ["force", "month", "records", *short.values(), "flags"]
    rows = [header]
    for entry in entries:
        rows.append([entry.force, entry.month, f"{entry.counts.records:,}",
                     *(f"{entry.counts.share(name) * 100:.0f}%" for name in short),
                     ", ".join(entry.flags) or "-"])
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = ["  ".join(cell.ljust(width) if i in (0, 1, len(header) - 1) else cell.rjust(width)
                       for i, (cell, width) in enumerate(zip(row, widths, strict=True))).rstrip() for row in rows]
    details = [f"{entry.force} {entry.month}: {detail}" for entry in entries for detail in entry.flag_details]
    if details:
        lines.append("")
        lines.extend(details)
    used = sorted({flag for entry in entries for flag in entry.flags})
    if used:
        lines.append("")
        lines.extend(f"{flag}: {FLAG_EXPLANATIONS[Flag(flag)]}" for flag in used)
    for force in forces or table.forces:
        missing = table.missing_months(force)
        if missing:
            lines.append(f"missing months for {force}: {', '.join(missing)}")
    return "\n".join(lines)
