"""Read-side queries: what is loaded, filtered and sorted id lists, pages of rows, one record in full.

Filtering and sorting happen here, in SQL, never in a Qt proxy model: a million rows filter in the
database in well under a second where ``QSortFilterProxyModel`` takes half a minute
(shared/reference/measured-baselines.md). The table model asks for the ordered ids once per filter
and then fetches pages of rows by id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine, and_, false, func, or_, select
from sqlalchemy.sql import ColumnElement

from stopsearch_app.domain import identity
from stopsearch_app.domain.selection import Selection
from stopsearch_app.store.driver_rows import fetch_tuples
from stopsearch_app.store.schema import (CODED_COLUMNS, LOCAL_DETAIL_FIELDS, TO_REVIEW, import_batch, quarantine,
                                         record_check, search, search_local, vocabulary)

CODED_FIELD_OF_COLUMN = {column: name for name, column in CODED_COLUMNS.items()}


@dataclass(frozen=True)
class RecordQuery:
    """Which records the record table, the CLI, a check, a pack or a sample lists: the searches of a
    :class:`~stopsearch_app.domain.selection.Selection` (every search, vehicle-only too, unless it says
    otherwise), narrowed by what only a list of records asks. Empty means no restriction."""

    selection: Selection = field(default_factory=Selection.all_searches)
    age_ranges: tuple[str, ...] = ()  # the police.uk age range as recorded; NOT_RECORDED for none
    ethnic_groups: tuple[str, ...] = ()  # groups of the selection's ethnicity source
    record_ids: tuple[int, ...] = ()
    verdict_rule: str = ""  # only records whose latest check gave verdict_key for this rule
    verdict_key: str = ""
    verdict_positions: tuple[tuple[int, int, str], ...] = ()  # (run id, 1-based position, char): see checks.py
    needs_review: bool = False  # only records with a fail or review verdict

    def with_(self, **changes) -> RecordQuery:
        return replace(self, **changes)


NOT_RECORDED = "(not recorded)"


class Labels:
    """Vocabulary ids to text, cached per engine; refreshed after an import adds values."""

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self.by_id: dict[int, str] = {}
        self.by_field: dict[str, dict[str, int]] = {}
        self.refresh()

    def refresh(self) -> None:
        with self._engine.connect() as connection:
            rows = connection.execute(select(vocabulary.c.id, vocabulary.c.field, vocabulary.c.value)).all()
        self.by_id = {row.id: row.value for row in rows}
        self.by_field = {}
        for row in rows:
            self.by_field.setdefault(row.field, {})[row.value] = row.id

    def ids(self, field_name: str, values: tuple[str, ...]) -> list[int]:
        known = self.by_field.get(field_name, {})
        return [known[value] for value in values if value in known]

    def values(self, field_name: str) -> list[str]:
        return sorted(self.by_field.get(field_name, {}))


def where_clause(query: RecordQuery, labels: Labels) -> list[ColumnElement[bool]]:
    from stopsearch_app.store.aggregates import selection_conditions  # aggregates imports Labels from here

    conditions = selection_conditions(query.selection, labels.by_field)
    if query.age_ranges:
        wanted = [value for value in query.age_ranges if value != NOT_RECORDED]
        clause = search.c.age_range_id.in_(labels.ids("age_range", tuple(wanted)))
        if NOT_RECORDED in query.age_ranges:
            clause = clause | search.c.age_range_id.is_(None)
        conditions.append(clause)
    if query.ethnic_groups:
        field_name, column = (("sde_group", search.c.sde_group_id) if query.selection.ethnicity == "self"
                              else ("officer_defined_ethnicity", search.c.ode_id))
        conditions.append(column.in_(labels.ids(field_name, query.ethnic_groups)))
    if query.record_ids:
        conditions.append(search.c.id.in_(query.record_ids))
    if query.verdict_rule:
        conditions.append(search.c.id.in_(_verdict_subquery(query)))
    if query.needs_review:
        conditions.append(search.c.id.in_(select(record_check.c.search_id).where(TO_REVIEW)))
    return conditions


def _verdict_subquery(query: RecordQuery):
    """Records whose latest check gave the wanted verdict at the rule's position in their run."""
    branches = [and_(record_check.c.run_id == run_id, func.substr(record_check.c.verdicts, position, 1) == char)
                for run_id, position, char in query.verdict_positions]
    return select(record_check.c.search_id).where(or_(*branches) if branches else false())


# Columns of the record table: key, heading, and the search column it shows.
@dataclass(frozen=True)
class TableColumn:
    key: str
    heading: str
    column: str


TABLE_COLUMNS = (
    TableColumn("findings", "Charter findings", "verdicts"),  # from record_check: fail and review rules
    TableColumn("occurred_at", "Date (London)", "occurred_at"),
    TableColumn("force", "Force", "force_id"),
    TableColumn("child_status", "Child?", "child_status_id"),
    TableColumn("age_range", "Age range", "age_range_id"),
    TableColumn("gender", "Gender", "gender_id"),
    TableColumn("sde_group", "Self-defined group", "sde_group_id"),
    TableColumn("officer_defined_ethnicity", "Officer-defined", "ode_id"),
    TableColumn("search_type", "Type", "search_type_id"),
    TableColumn("power", "Power", "power_id"),
    TableColumn("object_of_search", "Object of search", "object_id"),
    TableColumn("outcome_code", "Outcome", "outcome_code_id"),
    TableColumn("outcome_linked", "Outcome linked", "outcome_linked"),
    TableColumn("removal_more_than_outer", "More than outer clothing", "removal_more_than_outer"),
    TableColumn("month", "Month", "month"),
)


def matching_ids(engine: Engine, record_query: RecordQuery, labels: Labels, sort_key: str | None = None,
                 descending: bool = False) -> np.ndarray:
    """The ids of every matching record, in display order (one query; ~0.3 s for a million rows)."""
    conditions = where_clause(record_query, labels)
    if not conditions and not sort_key:
        contiguous = _contiguous_ids(engine)
        if contiguous is not None:
            return contiguous
    query = select(search.c.id).where(*conditions)
    if sort_key == "findings":  # most urgent first (review priority), then newest
        query = (query.outerjoin(record_check, record_check.c.search_id == search.c.id)
                 .order_by(func.coalesce(record_check.c.priority, 0).asc() if descending
                           else func.coalesce(record_check.c.priority, 0).desc(),
                           search.c.occurred_at.desc(), search.c.id))
    elif sort_key:
        column_name = next(column.column for column in TABLE_COLUMNS if column.key == sort_key)
        column = search.c[column_name]
        if column_name in CODED_FIELD_OF_COLUMN:
            # Sort coded columns by their text, not by the order values were first seen.
            label = vocabulary.alias("sort_label")
            query = query.outerjoin(label, label.c.id == column)
            column = label.c.value
        query = query.order_by(column.desc() if descending else column.asc(), search.c.id)
    else:
        query = query.order_by(search.c.id)
    return _fetch_ids(engine, query)


def _contiguous_ids(engine: Engine) -> np.ndarray | None:
    """Every record, by id: when the ids run without a gap from the lowest to the highest there is no
    need to read them. Records are only ever written with their import batch, which keeps how many
    it stored, so the batches' sum is the record count: ``count(*)`` would scan the whole table
    (1.8 s at ten million records, measured) where min and max are two index look-ups."""
    with engine.connect() as connection:
        low = connection.execute(select(search.c.id).order_by(search.c.id.asc()).limit(1)).scalar()
        high = connection.execute(select(search.c.id).order_by(search.c.id.desc()).limit(1)).scalar()
        count = connection.execute(select(func.coalesce(func.sum(import_batch.c.imported), 0))).scalar_one()
    if low is None:
        return np.empty(0, dtype=np.int64)
    return np.arange(low, high + 1, dtype=np.int64) if high - low + 1 == int(count) else None


def _fetch_ids(engine: Engine, query) -> np.ndarray:
    """One integer column, straight from the driver (see driver_rows)."""
    with engine.connect() as connection:
        rows = fetch_tuples(connection, query)
    return np.fromiter((row[0] for row in rows), dtype=np.int64, count=len(rows))


def fetch_rows(engine: Engine, ids: np.ndarray) -> dict[int, tuple]:
    """Row tuples in TABLE_COLUMNS order, keyed by id (labels are resolved by the caller's cache);
    the findings column carries (run id, packed verdicts) or None when the record is not checked."""
    columns = [search.c[column.column] if column.column in search.c else None for column in TABLE_COLUMNS]
    query = (select(search.c.id, record_check.c.run_id, record_check.c.verdicts,
                    *(column for column in columns if column is not None))
             .outerjoin(record_check, record_check.c.search_id == search.c.id)
             .where(_id_condition(ids)))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    out = {}
    for row in rows:
        values = iter(row[3:])
        checked = (row[1], row[2]) if row[2] is not None else None
        out[row[0]] = tuple(checked if column is None else next(values) for column in columns)
    return out


def _id_condition(ids: np.ndarray):
    """A page of ids: a range scan when they are consecutive (the usual case), else a list."""
    if len(ids) and int(ids[-1]) - int(ids[0]) + 1 == len(ids) and bool(np.all(np.diff(ids) == 1)):
        return search.c.id.between(int(ids[0]), int(ids[-1]))
    return search.c.id.in_([int(i) for i in ids])


def format_timestamp(millis: int | None) -> str:
    if millis is None:
        return ""
    moment = datetime.fromtimestamp(millis / 1000, tz=UTC)
    return moment.astimezone(_london()).strftime("%Y-%m-%d %H:%M")


def _london():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Europe/London")


def record_detail(engine: Engine, record_id: int, labels: Labels) -> dict[str, object]:
    """Every stored field of one record, with text for coded values and the batch it came from."""
    with engine.connect() as connection:
        row = connection.execute(select(search).where(search.c.id == record_id)).mappings().first()
        if row is None:
            raise KeyError(record_id)
        local = connection.execute(select(search_local).where(search_local.c.search_id == record_id)).mappings().first()
        batch = connection.execute(select(import_batch.c.file_name, import_batch.c.format, import_batch.c.mapped_fields)
                                   .where(import_batch.c.id == row["batch_id"])).mappings().one()
    detail: dict[str, object] = {}
    force = labels.by_id.get(row["force_id"], "")
    detail["record_id"] = identity.record_id(force, row["month"], row["fingerprint"], row["occurrence"],
                                             row["source_ref"])
    detail["occurred_at"] = format_timestamp(row["occurred_at"])
    detail["month"] = row["month"]
    for name, column in CODED_COLUMNS.items():
        detail[name] = labels.by_id.get(row[column]) if row[column] is not None else None
    for name in ("part_of_operation", "latitude", "longitude", "outcome_linked", "removal_more_than_outer",
                 "age_years", "source_ref"):
        detail[name] = row[name]
    if local is not None:
        for name in LOCAL_DETAIL_FIELDS:
            value = local[name]
            detail[name] = format_timestamp(value) if name == "authorised_at" and value is not None else value
    detail["source_file"] = batch["file_name"]
    detail["source_format"] = batch["format"]
    detail["mapped_fields"] = json.loads(batch["mapped_fields"])
    return detail


@dataclass
class Stats:
    records: int
    children: int
    child_status_unknown: int
    forces: list[str]
    months: list[str]
    quarantined: int
    batches: int = 0
    extra: dict = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"records": self.records, "children": self.children,
                "child_status_unknown": self.child_status_unknown, "forces": self.forces,
                "months": self.months, "quarantined": self.quarantined, "batches": self.batches}


def stats(engine: Engine) -> Stats:
    labels = Labels(engine)
    with engine.connect() as connection:
        total = connection.execute(select(func.count()).select_from(search)).scalar_one()
        by_status = dict(connection.execute(
            select(search.c.child_status_id, func.count()).group_by(search.c.child_status_id)).all())
        force_ids = connection.execute(select(search.c.force_id).distinct()).scalars().all()
        months = connection.execute(select(search.c.month).distinct().order_by(search.c.month)).scalars().all()
        quarantined = connection.execute(select(func.count()).select_from(quarantine)).scalar_one()
        batches = connection.execute(select(func.count()).select_from(import_batch)).scalar_one()
    status_count = {labels.by_id.get(key): value for key, value in by_status.items()}
    return Stats(records=int(total), children=int(status_count.get("child", 0)),
                 child_status_unknown=int(status_count.get("unknown", 0)),
                 forces=sorted(labels.by_id[force_id] for force_id in force_ids if force_id is not None),
                 months=list(months), quarantined=int(quarantined), batches=int(batches))


def batches(engine: Engine) -> list[dict]:
    with engine.connect() as connection:
        rows = connection.execute(select(import_batch).order_by(import_batch.c.id.desc())).mappings().all()
    return [dict(row) for row in rows]


def quarantined_rows(engine: Engine, batch_ids: list[int] | None = None) -> list[dict]:
    query = (select(quarantine.c.id, quarantine.c.batch_id, import_batch.c.file_name, quarantine.c.row_number,
                    quarantine.c.reason, quarantine.c.raw_text)
             .join(import_batch, import_batch.c.id == quarantine.c.batch_id)
             .order_by(quarantine.c.batch_id, quarantine.c.row_number))
    if batch_ids:
        query = query.where(quarantine.c.batch_id.in_(batch_ids))
    with engine.connect() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


