"""The coverage table (``force_month_coverage``): built for the force-months an import touches, read
whole as a :class:`~stopsearch_app.domain.coverage.CoverageTable`.

A force-month the import wrote records into is recounted. When it held no records before the file,
the records the file wrote are all there is, and the importer's own counts of them
(:class:`WrittenCounts`, kept chunk by chunk) are the count: three grouped scans of a million
fresh rows cost ~2.8 s of a ~13 s import (measured). A force-month that held records before is
recounted in SQL (grouped scans bounded by the force's index range over those months), so a second
file for the same month leaves the row exactly as a fresh count would; one the file wrote nothing
into (a re-import) is left as it is. The one thing a count of stored rows cannot see is a field the
importer set to "not recorded" because it was false on every record (``outcome_linked`` in the Met
API files): the importer hands those over as ``constant_false`` and they are kept.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, case, delete, func, select

from stopsearch_app.domain.coverage import CATEGORY_FIELDS, COVERAGE_FIELDS, CoverageTable, ForceMonth
from stopsearch_app.store.schema import force_month_coverage, search, vocabulary

LONDON_TIME = ZoneInfo("Europe/London")
_RECORDED = {
    "age_range": search.c.age_range_id.is_not(None),
    "self_defined_ethnicity": search.c.sde_id.is_not(None),
    "officer_defined_ethnicity": search.c.ode_id.is_not(None),
    "location": and_(search.c.latitude.is_not(None), search.c.longitude.is_not(None)),
    "outcome_linked": search.c.outcome_linked.is_not(None),
    "removal_more_than_outer": search.c.removal_more_than_outer.is_not(None),
    "legislation": search.c.legislation_id.is_not(None),
}
_CATEGORY_COLUMN = {"self_defined_ethnicity": "sde_group_id", "officer_defined_ethnicity": "ode_id"}
NOT_STATED = "Not stated"
_SUMMED = ("removal_true", *(f"recorded_{name}" for name in _RECORDED))


class WrittenCounts:
    """The coverage counts of the records one file wrote, per (force id, month), added up chunk by
    chunk with the same definitions as the SQL recount (``_RECORDED``, ``_CATEGORY_COLUMN``).
    Grouped with numpy over integer codes: a pandas groupby on the month strings cost 0.8 s per
    million rows (measured), a tenth of the import."""

    def __init__(self) -> None:
        self._totals: dict[tuple[int, str], dict] = {}
        self._categories: dict[tuple[int, str], dict[str, dict[int, int]]] = {}
        self._outcome_linked_blanked: set[tuple[int, str]] = set()

    def add(self, *, force_id: np.ndarray, month: np.ndarray, occurred_at: np.ndarray,
            recorded: dict[str, np.ndarray], removal_true: np.ndarray, categories: dict[str, np.ndarray]) -> None:
        """One chunk's written records: ``recorded`` a boolean array per ``_RECORDED`` field,
        ``categories`` the vocabulary id per ``_CATEGORY_COLUMN`` field (-1 where blank)."""
        if not len(force_id):
            return
        month_codes, month_names = pd.factorize(month)
        force_codes, force_values = pd.factorize(force_id)
        group = force_codes.astype(np.int64) * len(month_names) + month_codes
        size = len(force_values) * len(month_names)
        records = np.bincount(group, minlength=size)
        sums = {"removal_true": np.bincount(group, weights=removal_true, minlength=size),
                **{f"recorded_{name}": np.bincount(group, weights=recorded[name], minlength=size) for name in _RECORDED}}
        first = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
        last = np.full(size, np.iinfo(np.int64).min, dtype=np.int64)
        np.minimum.at(first, group, occurred_at)
        np.maximum.at(last, group, occurred_at)

        def key_of(code: int) -> tuple[int, str]:
            return int(force_values[code // len(month_names)]), str(month_names[code % len(month_names)])

        for code in np.flatnonzero(records):
            total = self._totals.setdefault(key_of(code), {"records": 0, "first": first[code], "last": last[code],
                                                           **{name: 0 for name in _SUMMED}})
            total["records"] += int(records[code])
            total["first"], total["last"] = min(total["first"], first[code]), max(total["last"], last[code])
            for name in _SUMMED:
                total[name] += int(sums[name][code])
        for field_name, ids in categories.items():
            present = ids >= 0
            pairs, counts = np.unique(group[present] * (1 << 32) + ids[present], return_counts=True)
            for pair, count in zip(pairs.tolist(), counts.tolist(), strict=True):
                by_field = self._categories.setdefault(key_of(pair >> 32), {}).setdefault(field_name, {})
                by_field[pair & 0xFFFFFFFF] = by_field.get(pair & 0xFFFFFFFF, 0) + count

    def blank_outcome_linked(self, force_id: int, month: str) -> None:
        """The importer stored this force-month's outcome_linked as blank (false on every record)."""
        self._outcome_linked_blanked.add((force_id, month))

    def totals(self) -> dict[tuple[int, str], dict]:
        return {key: {**total, **({"recorded_outcome_linked": 0} if key in self._outcome_linked_blanked else {})}
                for key, total in self._totals.items()}

    def categories(self) -> dict[tuple[int, str], dict[str, dict[int, int]]]:
        return self._categories


def rebuild(connection: Connection, force_ids: Iterable[int], span: tuple[int, int], months: Iterable[str], *,
            constant_false: Iterable[tuple[int, str, str]] = (), written: WrittenCounts | None = None) -> None:
    """Recount the coverage rows of ``months`` for ``force_ids`` inside the caller's transaction.

    ``span`` is the (first, last) ``occurred_at`` of the records just written, which bounds the
    scan to the force's index range; ``constant_false`` lists (force id, month, field) that the
    importer found false on every record. With ``written`` (the counts of what this file wrote),
    only force-months the file wrote into are touched, and those that held no records before take
    the counts as they are.
    """
    months = sorted(set(months))
    force_ids = sorted(set(force_ids))
    if not months or not force_ids:
        return
    names = dict(connection.execute(select(vocabulary.c.id, vocabulary.c.value)
                                    .where(vocabulary.c.field.in_(("force", "sde_group", "officer_defined_ethnicity")))).all())
    flagged: dict[tuple[int, str], set[str]] = {}
    for force_id, month, field_name in constant_false:
        flagged.setdefault((force_id, month), set()).add(field_name)
    if written is None:
        counted: dict[tuple[int, str], dict] = {}
        recount = {(force_id, month) for force_id in force_ids for month in months}
    else:
        counted = written.totals()
        stored = _stored_rows(connection, {names.get(force_id, str(force_id)) for force_id, _ in counted},
                              {month for _, month in counted})
        recount = {key for key in counted if (names.get(key[0], str(key[0])), key[1]) in stored}
        counted = {key: value for key, value in counted.items() if key not in recount}
    rows = []
    categories: dict[tuple[int, str], dict[str, dict[str, int]]] = {}
    if recount:
        rows, categories = _count_in_sql(connection, names, recount, span)
    if counted and written is not None:
        for key, by_field in written.categories().items():
            if key in counted:
                for field_name, counts in by_field.items():
                    for category_id, count in counts.items():
                        _add_category(categories, key, field_name, names.get(category_id, "?"), count)
        rows.extend((force_id, month, value["records"], value["first"], value["last"], value["removal_true"],
                     *(value[f"recorded_{name}"] for name in _RECORDED))
                    for (force_id, month), value in counted.items())
    keys = sorted({(names.get(force_id, str(force_id)), month) for force_id, month, *_ in rows} if written is not None
                  else {(names.get(force_id, str(force_id)), month) for force_id in force_ids for month in months})
    if not keys:
        return
    kept = _kept_constant_false(connection, keys)
    for force, month in keys:
        connection.execute(delete(force_month_coverage).where(
            force_month_coverage.c.force == force, force_month_coverage.c.month == month))
    now = datetime.now(UTC)
    inserts = []
    for force_id, month, records, first, last, removal_positive, *recorded in rows:
        force = names.get(force_id, str(force_id))
        counts = dict(zip(_RECORDED, (int(value or 0) for value in recorded), strict=True))
        false_fields = flagged.get((force_id, month), set()) | kept.get((force, month), set())
        if counts["removal_more_than_outer"] == records >= 100 and not removal_positive:
            false_fields.add("removal_more_than_outer")
        inserts.append({
            "force": force, "month": month, "records": int(records),
            **{f"recorded_{name}": counts[name] for name in COVERAGE_FIELDS},
            "categories": json.dumps(categories.get((force_id, month), {}), sort_keys=True),
            "first_day": _london_day(first), "last_day": _london_day(last),
            "constant_false": json.dumps(sorted(false_fields)), "updated_at": now,
        })
    if inserts:
        connection.execute(force_month_coverage.insert(), inserts)


def _add_category(categories: dict, key: tuple[int, str], field_name: str, category: str, count: int) -> None:
    if field_name == "self_defined_ethnicity" and category not in ("White", "Black", "Asian", "Mixed", "Other"):
        category = NOT_STATED
    bucket = categories.setdefault(key, {}).setdefault(field_name, {})
    bucket[category] = bucket.get(category, 0) + int(count)


def _count_in_sql(connection: Connection, names: dict[int, str], keys: set[tuple[int, str]],
                  span: tuple[int, int]) -> tuple[list, dict]:
    """Grouped counts of the stored records of these force-months."""
    force_ids = sorted({force_id for force_id, _ in keys})
    months = sorted({month for _, month in keys})
    # A month's records lie within a day of its UTC bounds, so widening the span by a month's worth
    # of milliseconds on each side is enough to catch every record of the months touched.
    margin = 32 * 86_400_000
    low, high = span[0] - margin, span[1] + margin
    base = and_(search.c.force_id.in_(force_ids), search.c.occurred_at >= low, search.c.occurred_at <= high,
                search.c.month.in_(months))
    tallies = [func.sum(case((condition, 1), else_=0)).label(name) for name, condition in _RECORDED.items()]
    removal_true = func.sum(case((search.c.removal_more_than_outer.is_(True), 1), else_=0))
    rows = [row for row in connection.execute(
        select(search.c.force_id, search.c.month, func.count(), func.min(search.c.occurred_at),
               func.max(search.c.occurred_at), removal_true, *tallies)
        .where(base).group_by(search.c.force_id, search.c.month)).all() if (row[0], row[1]) in keys]
    categories: dict[tuple[int, str], dict[str, dict[str, int]]] = {}
    for field_name, column in _CATEGORY_COLUMN.items():
        for force_id, month, category_id, count in connection.execute(
                select(search.c.force_id, search.c.month, search.c[column], func.count()).where(base)
                .group_by(search.c.force_id, search.c.month, search.c[column])):
            if category_id is None or (force_id, month) not in keys:
                continue  # blank is "not recorded" (counted by recorded_*), not a category
            _add_category(categories, (force_id, month), field_name, names.get(category_id, "?"), count)
    return rows, categories


def _stored_rows(connection: Connection, forces: set[str], months: set[str]) -> set[tuple[str, str]]:
    """The force-months that have a coverage row, that is, records stored before this file."""
    if not forces:
        return set()
    return {(force, month) for force, month in connection.execute(
        select(force_month_coverage.c.force, force_month_coverage.c.month)
        .where(force_month_coverage.c.force.in_(forces))) if month in months}


def _kept_constant_false(connection: Connection, keys: list[tuple[str, str]]) -> dict[tuple[str, str], set[str]]:
    """outcome_linked flags of earlier imports: its values were stored as blank, so no recount sees them."""
    wanted = set(keys)
    kept: dict[tuple[str, str], set[str]] = {}
    for force, month, listed in connection.execute(select(
            force_month_coverage.c.force, force_month_coverage.c.month, force_month_coverage.c.constant_false)
            .where(force_month_coverage.c.force.in_({f for f, _ in keys}))):
        if (force, month) in wanted:
            fields = {name for name in json.loads(listed) if name == "outcome_linked"}
            if fields:
                kept[(force, month)] = fields
    return kept


def rebuild_all(connection: Connection) -> None:
    """Recount every force-month (the migration that creates the table, and repairs)."""
    for force_id, first, last in connection.execute(select(search.c.force_id, func.min(search.c.occurred_at),
                                                           func.max(search.c.occurred_at))
                                                    .group_by(search.c.force_id)).all():
        months = [month for (month,) in connection.execute(select(search.c.month).distinct()
                                                           .where(search.c.force_id == force_id))]
        rebuild(connection, [force_id], (int(first), int(last)), months)


def _london_day(millis: int | None) -> int | None:
    if millis is None:
        return None
    return datetime.fromtimestamp(int(millis) / 1000, tz=UTC).astimezone(LONDON_TIME).day


def load(engine_or_connection: Engine | Connection) -> CoverageTable:
    """The whole coverage table, flagged."""
    query = select(force_month_coverage)
    if isinstance(engine_or_connection, Engine):
        with engine_or_connection.connect() as connection:
            rows = connection.execute(query).mappings().all()
    else:
        rows = engine_or_connection.execute(query).mappings().all()
    return CoverageTable(_force_month(row) for row in rows)


def _force_month(row) -> ForceMonth:
    categories = json.loads(row["categories"])
    return ForceMonth(
        force=row["force"], month=row["month"], records=int(row["records"]),
        recorded={name: int(row[f"recorded_{name}"]) for name in COVERAGE_FIELDS},
        categories={name: dict(categories.get(name, {})) for name in CATEGORY_FIELDS},
        first_day=row["first_day"], last_day=row["last_day"],
        constant_false=tuple(json.loads(row["constant_false"])))
