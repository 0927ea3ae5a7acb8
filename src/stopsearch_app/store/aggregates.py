"""Counts for the disproportionality statistics (shared/spec/statistics.md), grouped in SQL.

Everything here returns small pandas frames of COUNTS, keyed by ethnic group text; the statistics
(rates, ratios, intervals) are :mod:`stopsearch_app.domain.statistics`' job and the assembly is
:mod:`stopsearch_app.services.disparity`'s. Groups are counted in SQL over the integer vocabulary ids of
``search`` (SQLAlchemy Core only, nothing SQLite-specific) and the ids become text in Python.

What a :class:`~stopsearch_app.domain.selection.Selection` selects (forces, months, boroughs, an
    age band, an ethnicity source, person searches only) is said in ``domain/selection.py``, the one
    selection type; here it becomes SQL over the integer vocabulary ids, and its ``mask`` is the same
    answer over a record frame (``tests/domain/test_selection.py`` holds the two together).

Ethnic groups
    self-defined: ``sde_group`` (White, Black, Asian, Mixed, Other; "Not stated" and blank are
    :data:`UNKNOWN`); officer-defined: ``officer_defined_ethnicity`` (blank is unknown). Any other
    value is unknown too, never "Other".

Speed (bench/bench_disparity.py)
    A plain ``GROUP BY`` over a million rows takes about 0.5 s per query in SQLite, and one screen of
    charts needs a dozen. :func:`counts` therefore keeps, per engine, a *count cube*: one ``GROUP BY``
    over every dimension a filter or a chart uses (force, month, borough, child status, child band,
    both ethnicities, search type) with the outcome tallies summed, typically a few thousand rows
    (built from the columnar copy with Arrow's ``group_by`` where there is one, else in SQL). Each
    filter change is then numpy over that cube: its key columns coded once (``store/grouping.py``),
    a filter is a mask and a group-by one ``bincount``. The cube is rebuilt when a cheap fingerprint
    of the tables changes (row count and highest id of ``search``, import batches, vocabulary size);
    call :func:`invalidate` after changing derived columns in place. ``counts(..., cached=False)``
    answers the same questions with one SQL query each (the CLI's path, and the reference the tests
    hold the cube to).
"""

from __future__ import annotations

import threading
import weakref
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from sqlalchemy import Connection, Engine, and_, case, func, or_, select
from sqlalchemy.sql import ColumnElement

from stopsearch_app.domain.coverage import CoverageTable
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.selection import (AGE_BAND_VALUES, BANDS_THAT_TILE, VEHICLE_ONLY, AgeBand, Selection,
                                             normalise_place)
from stopsearch_app.store import columnar
from stopsearch_app.store.coverage import load as load_coverage
from stopsearch_app.store.grouping import CodedColumns
from stopsearch_app.store.queries import Labels
from stopsearch_app.store.schema import import_batch, search, vocabulary

LONDON_FORCES = ("metropolitan", "city-of-london")
AGE_BANDS = AGE_BAND_VALUES
BAND_CHART_ORDER = tuple(band.value for band in BANDS_THAT_TILE)  # the bands that tile the ages (no overlap)
UNKNOWN = "Unknown"
GROUP_ROWS = (*ETHNIC_GROUPS, UNKNOWN)

# What each count column tallies: searches, then the three outcome tests' recorded / positive.
COUNT_COLUMNS = ("searches", "linked_recorded", "linked_true", "removal_recorded", "removal_true",
                 "outcome_recorded", "non_nfa")
# Every dimension a filter or a chart needs; the cube groups by all of them.
DIMENSIONS = ("force_id", "month", "borough_id", "geo_borough_id", "child_status_id", "child_band_id",
              "sde_group_id", "ode_id", "search_type_id")
PLACE_DIMENSIONS = ("borough_id", "geo_borough_id")
ANSWERS_KEPT = 512  # grouped answers a cube keeps (each a few hundred rows at most)
_NULL_ID = -1  # the cube's stand-in for a NULL id (pandas groups integers faster than nullable objects)

ETHNICITY_FIELD = {"self": ("sde_group", "sde_group_id"), "officer": ("officer_defined_ethnicity", "ode_id")}
# age band -> (vocabulary field, column, values), from the one age-band vocabulary (domain/selection.py)
_AGE_RULE = {
    band.value: (("child_status", "child_status_id", band.child_statuses) if band.child_statuses
                 else ("child_band", "child_band_id", band.child_bands))
    for band in AgeBand if band is not AgeBand.ALL
}


@dataclass(frozen=True)
class LeftOut:
    """Searches in the period that a selection leaves out, and why (each counted on its own)."""

    other_forces: int  # of forces outside the selection's (e.g. outside London)
    vehicle_only: int  # vehicle-only searches (not person searches)
    age_not_recorded: int  # no age, exact or range, so in no band but "all"
    no_borough: int  # no borough recorded nor placed by coordinates, when a borough is asked for
    borough_recorded: int  # searches with a borough, recorded or placed (0: a borough filter cannot work)

    def as_json(self) -> dict[str, int]:
        return {"other_forces": self.other_forces, "vehicle_only": self.vehicle_only,
                "age_not_recorded": self.age_not_recorded, "no_borough": self.no_borough}


@dataclass(frozen=True)
class _Resolved:
    """A selection with its values turned into vocabulary ids (None: no restriction)."""

    forces: tuple[int, ...] | None
    boroughs: tuple[int, ...] | None  # recorded borough ids (local extracts)
    geo_boroughs: tuple[int, ...] | None  # borough-from-coordinates ids, used where none is recorded
    age_column: str | None
    age_ids: tuple[int, ...]
    vehicle_ids: tuple[int, ...] | None  # None: vehicle-only searches are kept
    no_person_status_ids: tuple[int, ...]  # child_status ids meaning "no age recorded"
    month_from: str | None
    month_to: str | None


def _resolve(selection: Selection, by_field: dict[str, dict[str, int]]) -> _Resolved:
    def ids(field_name: str, values: tuple[str, ...]) -> tuple[int, ...]:
        known = by_field.get(field_name, {})
        return tuple(known[value] for value in values if value in known)

    def borough_ids(names: tuple[str, ...], field_name: str = "borough") -> tuple[int, ...]:
        wanted = {normalise_place(name) for name in names}
        return tuple(sorted(i for value, i in by_field.get(field_name, {}).items() if normalise_place(value) in wanted))

    age_column, age_ids = None, ()
    if selection.age != "all":
        field_name, age_column, values = _AGE_RULE[selection.age]
        age_ids = ids(field_name, values)
    return _Resolved(
        forces=ids("force", selection.forces) if selection.forces else None,
        boroughs=borough_ids(selection.boroughs) if selection.boroughs else None,
        geo_boroughs=borough_ids(selection.boroughs, "geo_borough") if selection.boroughs else None,
        age_column=age_column, age_ids=age_ids,
        vehicle_ids=ids("search_type", (VEHICLE_ONLY,)) if selection.person_only else None,
        no_person_status_ids=(_NULL_ID, *ids("child_status", ("unknown",))),
        month_from=selection.month_from, month_to=selection.month_to,
    )


def _month_number(month: str) -> int:
    return int(month[:4]) * 100 + int(month[5:7])


class Counts:
    """The questions the statistics ask, over either SQL (:class:`SqlCounts`) or the cube
    (:class:`CubeCounts`). Every frame is indexed by ethnic group in :data:`GROUP_ROWS` order."""

    # --- what a subclass provides ----------------------------------------------------------------
    def _grouped(self, selection: Selection, by: tuple[str, ...]) -> pd.DataFrame:
        """Columns ``by`` (ids, NULL as -1; ``month`` as text) and :data:`COUNT_COLUMNS`."""
        raise NotImplementedError

    def _by_field(self) -> dict[str, dict[str, int]]:
        raise NotImplementedError

    def _value(self, vocabulary_id: int) -> str | None:
        raise NotImplementedError

    def coverage(self) -> CoverageTable:
        """The force x month coverage table the counts go with (statistics.md "Coverage")."""
        raise NotImplementedError

    def values(self, field_name: str) -> tuple[str, ...]:
        """The stored values of a coded field (e.g. which officer-defined groups occur at all)."""
        return tuple(sorted(self._by_field().get(field_name, {})))

    # --- the questions ----------------------------------------------------------------------------
    def by_group(self, selection: Selection) -> pd.DataFrame:
        """Searches and outcome tallies per ethnic group (rows :data:`GROUP_ROWS`, unknown last)."""
        column = ETHNICITY_FIELD[selection.ethnicity][1]
        frame = self._grouped(selection, (column,))
        return self._to_groups(frame, column)

    def searches_by_group(self, selection: Selection) -> pd.Series:
        return self.by_group(selection)["searches"]

    def by_month(self, selection: Selection) -> pd.DataFrame:
        """Searches per month (rows, ``YYYY-MM``, only months with searches) by group (columns)."""
        column = ETHNICITY_FIELD[selection.ethnicity][1]
        frame = self._grouped(selection, ("month", column))
        return self._crossed(frame["month"].to_numpy(dtype=object), "month", frame, column)

    def by_age_band(self, selection: Selection, bands: tuple[str, ...] = BAND_CHART_ORDER) -> dict[str, pd.DataFrame]:
        """:meth:`by_group` for each age band (``selection.age`` is ignored), from one query."""
        column = ETHNICITY_FIELD[selection.ethnicity][1]
        frame = self._grouped(selection.with_(age="all"), ("child_status_id", "child_band_id", column))
        by_field = self._by_field()
        result = {}
        for band in bands:
            if band == "all":
                rows = frame
            else:
                field_name, age_column, values = _AGE_RULE[band]
                ids = [by_field.get(field_name, {}).get(value) for value in values]
                rows = frame[frame[age_column].isin([i for i in ids if i is not None])]
            result[band] = self._to_groups(rows, column)
        return result

    def by_place(self, selection: Selection) -> pd.DataFrame:
        """Searches per London borough (rows, GLA names; "" for searches in none) and ethnic group
        (columns :data:`GROUP_ROWS`), from one query: a borough a local extract records wins, else the
        one its coordinates fall in (``selection.boroughs`` is ignored)."""
        from stopsearch_app.domain.places import london_boroughs

        column = ETHNICITY_FIELD[selection.ethnicity][1]
        frame = self._grouped(selection.with_(boroughs=()), ("borough_id", "geo_borough_id", column))
        index = london_boroughs()
        names: dict[int, str] = {}
        for vocabulary_id in {*frame["borough_id"].unique(), *frame["geo_borough_id"].unique()}:
            value = self._value(int(vocabulary_id)) if vocabulary_id != _NULL_ID else None
            place = index.find(value) if value else None
            names[vocabulary_id] = place.name if place else (value or "")
        recorded = frame["borough_id"].map(names)
        boroughs = recorded.where(frame["borough_id"] != _NULL_ID, frame["geo_borough_id"].map(names))
        return self._crossed(boroughs.to_numpy(dtype=object), "borough", frame, column)

    def months_by_force(self, selection: Selection) -> dict[str, list[str]]:
        """Which months each force has any search in, within the selection's forces, period and
        borough (age, type and ethnicity do not matter: this is what is loaded)."""
        relaxed = selection.with_(age="all", person_only=False)
        frame = self._grouped(relaxed, ("force_id", "month"))
        frame = frame[frame["searches"] > 0]
        result: dict[str, list[str]] = {}
        for force_id, month in sorted(zip(frame["force_id"], frame["month"], strict=True), key=lambda r: r[1]):
            result.setdefault(self._value(int(force_id)) or "unknown force", []).append(month)
        return dict(sorted(result.items()))

    def left_out(self, selection: Selection) -> LeftOut:
        """How many searches of the period each restriction of ``selection`` leaves out: each count
        is of searches that match the selection in every other respect."""
        relaxed = selection.with_(forces=(), boroughs=(), age="all", person_only=False)
        places = ("borough_id", "geo_borough_id") if selection.boroughs else ()
        frame = self._grouped(relaxed, ("force_id", *places, "child_status_id", "child_band_id", "search_type_id",
                                        "sde_group_id", "ode_id"))
        by_field = self._by_field()
        resolved = _resolve(selection, by_field)
        columns = {name: frame[name].to_numpy() for name in frame.columns if name != "month"}
        everything = np.ones(len(frame), dtype=bool)
        in_forces = np.isin(columns["force_id"], resolved.forces) if resolved.forces is not None else everything
        in_boroughs = _in_boroughs(columns, resolved) if resolved.boroughs is not None else everything
        in_age = np.isin(columns[resolved.age_column], resolved.age_ids) if resolved.age_column else everything
        is_vehicle = _vehicle_without_person(columns, resolved) if resolved.vehicle_ids else ~everything
        counted_type = ~is_vehicle if selection.person_only else everything
        unknown_status = by_field.get("child_status", {}).get("unknown", _NULL_ID)
        age_missing = np.isin(columns["child_status_id"], [_NULL_ID, unknown_status])
        has_borough = ((columns["borough_id"] != _NULL_ID) | (columns["geo_borough_id"] != _NULL_ID) if places
                       else ~everything)
        searches = columns["searches"]

        def total(mask: np.ndarray) -> int:
            return int(searches[mask].sum())

        return LeftOut(
            other_forces=total(~in_forces & in_boroughs & in_age & counted_type),
            vehicle_only=total(in_forces & in_boroughs & in_age & is_vehicle) if selection.person_only else 0,
            age_not_recorded=(total(in_forces & in_boroughs & age_missing & counted_type)
                              if selection.age != "all" else 0),
            no_borough=total(in_forces & ~has_borough & in_age & counted_type) if selection.boroughs else 0,
            borough_recorded=total(in_forces & has_borough) if places else 0,
        )

    # --- helpers ------------------------------------------------------------------------------------
    def _group_positions(self, ids: pd.Series) -> np.ndarray:
        """Each row's ethnic group as its position in :data:`GROUP_ROWS` (any other value: unknown)."""
        distinct, inverse = np.unique(ids.to_numpy(dtype=np.int64), return_inverse=True)
        unknown = GROUP_ROWS.index(UNKNOWN)
        values = [self._value(int(i)) if i != _NULL_ID else None for i in distinct]
        positions = np.array([ETHNIC_GROUPS.index(v) if v in ETHNIC_GROUPS else unknown for v in values], dtype=np.int64)
        return positions[inverse].reshape(-1)

    def _to_groups(self, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        positions = self._group_positions(frame[column])
        totals = {name: _summed_by(positions, frame[name], len(GROUP_ROWS)) for name in COUNT_COLUMNS}
        return pd.DataFrame(totals, index=pd.Index(list(GROUP_ROWS), name="group"))

    def _crossed(self, labels: np.ndarray, name: str, frame: pd.DataFrame, column: str) -> pd.DataFrame:
        """Searches per distinct label (rows, sorted, named ``name``) and ethnic group (columns)."""
        rows, row_of = np.unique(labels, return_inverse=True)
        cell = row_of.reshape(-1) * len(GROUP_ROWS) + self._group_positions(frame[column])
        table = _summed_by(cell, frame["searches"], len(rows) * len(GROUP_ROWS)).reshape(len(rows), len(GROUP_ROWS))
        return pd.DataFrame(table, index=pd.Index(list(rows), name=name),
                            columns=pd.Index(list(GROUP_ROWS), name="group"))


def _summed_by(slots: np.ndarray, values: pd.Series, length: int) -> np.ndarray:
    """``values`` summed per slot (0 .. length - 1), as whole numbers."""
    return np.bincount(slots, weights=values.to_numpy(dtype=np.float64), minlength=length).round().astype(np.int64)


class SqlCounts(Counts):
    """One SQL ``GROUP BY`` per question (the reference path; the CLI uses it)."""

    def __init__(self, engine: Engine, labels: Labels) -> None:
        self._engine = engine
        self._labels = labels
        self._coverage: CoverageTable | None = None

    def coverage(self) -> CoverageTable:
        if self._coverage is None:
            self._coverage = load_coverage(self._engine)
        return self._coverage

    def _by_field(self) -> dict[str, dict[str, int]]:
        return self._labels.by_field

    def _value(self, vocabulary_id: int) -> str | None:
        return self._labels.by_id.get(vocabulary_id)

    def _grouped(self, selection: Selection, by: tuple[str, ...]) -> pd.DataFrame:
        columns = [search.c[name] for name in by]
        query = (select(*columns, *_count_expressions()).where(*selection_conditions(selection, self._by_field()))
                 .group_by(*columns))
        with self._engine.connect() as connection:
            rows = connection.execute(query).all()
        return _frame(rows, by)


class CubeCounts(Counts):
    """The same answers from a cube of counts over every dimension, grouped in numpy (``store/grouping.py``)."""

    def __init__(self, cube: dict[str, np.ndarray], vocabulary_rows: list[tuple[int, str, str]], fingerprint: tuple,
                 coverage: CoverageTable | None = None) -> None:
        self.rows = len(cube["searches"])
        self._whole = _Slab(cube, DIMENSIONS)
        # Most questions never ask where: a cube without the two place dimensions is many times smaller
        # (police.uk coordinates spread every other cell over 33 boroughs) and answers them.
        placeless = tuple(name for name in DIMENSIONS if name not in PLACE_DIMENSIONS)
        self._placeless = _Slab(_summed(cube, placeless), placeless)
        self._coverage = coverage or CoverageTable(())
        # One screen of charts asks the same few questions many times (every figure's plan asks what
        # is loaded and what is left out): answers are kept, as the cube never changes once built.
        self._answers: dict[tuple[Selection, tuple[str, ...]], pd.DataFrame] = {}
        self._answers_lock = threading.Lock()
        self.fingerprint = fingerprint
        self._values = {row[0]: row[2] for row in vocabulary_rows}
        self._fields: dict[str, dict[str, int]] = {}
        for vocabulary_id, field_name, value in vocabulary_rows:
            self._fields.setdefault(field_name, {})[value] = vocabulary_id

    @classmethod
    def build(cls, engine: Engine) -> CubeCounts:
        """Grouped from the records' columnar copy (store/columnar.py) with Arrow, not by SQL: the
        SQL GROUP BY of ten million rows took 47 s, handed back ~1.5 million rows as Python tuples
        (1.6 GB at its peak) and held the GIL converting them, which stalled the UI thread 1.2 s
        (bench.bench_table). Arrow groups in C++ without the GIL, and nothing passes through Python
        objects. The plain SQL path (``SqlCounts``) stays the reference the tests hold the cube to."""
        with engine.connect() as connection:  # one transaction: the vocabulary matches the ids
            fingerprint = _fingerprint(connection)
            vocabulary_rows = [tuple(row) for row in connection.execute(
                select(vocabulary.c.id, vocabulary.c.field, vocabulary.c.value))]
            nfa = [vocabulary_id for vocabulary_id, field_name, value in vocabulary_rows
                   if field_name == "outcome_code" and value == "nfa"]
            cube = _cube_from_columnar(connection, nfa)
            covered = load_coverage(connection)
        return cls(cube, vocabulary_rows, fingerprint, covered)

    def coverage(self) -> CoverageTable:
        return self._coverage

    def _by_field(self) -> dict[str, dict[str, int]]:
        return self._fields

    def _value(self, vocabulary_id: int) -> str | None:
        return self._values.get(vocabulary_id)

    def _grouped(self, selection: Selection, by: tuple[str, ...]) -> pd.DataFrame:
        key = (selection, by)
        with self._answers_lock:
            answer = self._answers.get(key)
        if answer is None:
            answer = self._group(selection, by)
            with self._answers_lock:
                if len(self._answers) >= ANSWERS_KEPT:
                    self._answers.pop(next(iter(self._answers)))
                self._answers[key] = answer
        return answer.copy()  # callers add columns to what they get

    def forget_answers(self) -> None:
        """Drop the kept answers (benchmarks time a question the cube has not answered before)."""
        with self._answers_lock:
            self._answers.clear()

    def _group(self, selection: Selection, by: tuple[str, ...]) -> pd.DataFrame:
        resolved = _resolve(selection, self._fields)
        whole = resolved.boroughs is not None or any(name in PLACE_DIMENSIONS for name in by)
        slab = self._whole if whole else self._placeless
        columns = slab.columns
        conditions = []
        if resolved.forces is not None:
            conditions.append(np.isin(columns.column("force_id"), resolved.forces))
        if resolved.month_from:
            conditions.append(slab.month_numbers >= _month_number(resolved.month_from))
        if resolved.month_to:
            conditions.append(slab.month_numbers <= _month_number(resolved.month_to))
        if resolved.boroughs is not None:
            conditions.append(_in_boroughs(slab, resolved))
        if resolved.age_column is not None:
            conditions.append(np.isin(columns.column(resolved.age_column), resolved.age_ids))
        if resolved.vehicle_ids:
            conditions.append(~_vehicle_without_person(slab, resolved))
        rows = np.flatnonzero(np.logical_and.reduce(conditions)) if conditions else None
        sums = columns.sums(rows, by)
        frame = pd.DataFrame({name: sums[name] for name in (*by, *COUNT_COLUMNS)})
        if "month" in by:
            frame["month"] = _month_texts(frame["month"].to_numpy())
        return frame


class _Slab:
    """A cube's columns coded for grouping (``store/grouping.py``); months are YYYYMM numbers."""

    def __init__(self, cube: dict[str, np.ndarray], dimensions: tuple[str, ...]) -> None:
        self.columns = CodedColumns({name: cube[name] for name in dimensions},
                                    {name: cube[name] for name in COUNT_COLUMNS})
        self.month_numbers = self.columns.column("month")

    def __getitem__(self, name: str) -> np.ndarray:
        return self.columns.column(name)


def _count_expressions() -> list[ColumnElement]:
    nfa = select(vocabulary.c.id).where(vocabulary.c.field == "outcome_code", vocabulary.c.value == "nfa")

    def tally(condition: ColumnElement[bool], name: str) -> ColumnElement:
        return func.sum(case((condition, 1), else_=0)).label(name)

    return [
        func.count().label("searches"),
        tally(search.c.outcome_linked.is_not(None), "linked_recorded"),
        tally(search.c.outcome_linked.is_(True), "linked_true"),
        tally(search.c.removal_more_than_outer.is_not(None), "removal_recorded"),
        tally(search.c.removal_more_than_outer.is_(True), "removal_true"),
        tally(search.c.outcome_code_id.is_not(None), "outcome_recorded"),
        tally(and_(search.c.outcome_code_id.is_not(None), search.c.outcome_code_id.not_in(nfa)), "non_nfa"),
    ]


def selection_conditions(selection: Selection, by_field: dict[str, dict[str, int]]) -> list[ColumnElement[bool]]:
    """The SQL of a selection over ``search``: the counts here and the record lists of
    ``store/queries.py`` both select with it."""
    return _conditions(_resolve(selection, by_field))


def _conditions(resolved: _Resolved) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = []
    if resolved.forces is not None:
        conditions.append(search.c.force_id.in_(resolved.forces))
    if resolved.month_from:
        conditions.append(search.c.month >= resolved.month_from)
    if resolved.month_to:
        conditions.append(search.c.month <= resolved.month_to)
    if resolved.boroughs is not None:
        conditions.append(or_(search.c.borough_id.in_(resolved.boroughs),
                              and_(search.c.borough_id.is_(None), search.c.geo_borough_id.in_(resolved.geo_boroughs))))
    if resolved.age_column is not None:
        conditions.append(search.c[resolved.age_column].in_(resolved.age_ids))
    if resolved.vehicle_ids:
        status_ids = [i for i in resolved.no_person_status_ids if i != _NULL_ID]
        conditions.append(or_(search.c.search_type_id.is_(None), search.c.search_type_id.not_in(resolved.vehicle_ids),
                              search.c.sde_group_id.is_not(None), search.c.ode_id.is_not(None),
                              and_(search.c.child_status_id.is_not(None),
                                   search.c.child_status_id.not_in(status_ids or [_NULL_ID]))))
    return conditions


def _in_boroughs(columns, resolved: _Resolved) -> np.ndarray:
    """A recorded borough wins; a record with none is placed by its coordinates (statistics.md "Places").
    ``columns``: a mapping of column name to numpy array (a frame's, or the cube's)."""
    recorded = columns["borough_id"]
    return np.isin(recorded, resolved.boroughs) | (
        (recorded == _NULL_ID) & np.isin(columns["geo_borough_id"], resolved.geo_boroughs))


def _vehicle_without_person(columns, resolved: _Resolved) -> np.ndarray:
    """Vehicle-only searches that record neither an age nor an ethnicity: not person searches."""
    return (np.isin(columns["search_type_id"], resolved.vehicle_ids) & (columns["sde_group_id"] == _NULL_ID)
            & (columns["ode_id"] == _NULL_ID) & np.isin(columns["child_status_id"], resolved.no_person_status_ids))


def _cube_from_columnar(connection: Connection, nfa_ids: list[int]) -> dict[str, np.ndarray]:
    """Searches and the outcome tallies of ``_count_expressions`` per combination of ``DIMENSIONS``,
    grouped one import batch at a time and the groups then summed: only one batch's columns are
    mapped into memory at once (all of ten million records' took the process past 2 GiB)."""
    partials = [_grouped_batch(columnar.stored_table(connection, _CUBE_COLUMNS, [batch_id]), nfa_ids)
                for batch_id in columnar.batch_ids(connection)]
    if not partials:
        grouped = _grouped_batch(columnar.stored_table(connection, _CUBE_COLUMNS, []), nfa_ids)
    elif len(partials) == 1:
        grouped = partials[0]
    else:
        grouped = pa.concat_tables(partials).group_by(list(DIMENSIONS)).aggregate([(name, "sum") for name in COUNT_COLUMNS])
        grouped = grouped.rename_columns([name.removesuffix("_sum") for name in grouped.column_names])
    out = {}
    for name in (*DIMENSIONS, *COUNT_COLUMNS):
        column = grouped.column(name)
        out[name] = (_month_numbers_of(column) if name == "month"
                     else column.fill_null(_NULL_ID if name in DIMENSIONS else 0).to_numpy().astype(np.int64))
    del partials, grouped
    pa.default_memory_pool().release_unused()  # the grouping's scratch memory, back to the system
    return out


def _month_numbers_of(months: pa.ChunkedArray) -> np.ndarray:
    """``YYYY-MM`` text as YYYYMM numbers (0 where missing), converted once per distinct month:
    the cube's 1.5 million month strings at ten million records, made Python objects, held the GIL
    ~90 ms and stalled the UI thread (measured)."""
    encoded = pc.dictionary_encode(months.combine_chunks())
    numbers = np.array([_month_number(month) for month in encoded.dictionary.to_pylist()] + [0], dtype=np.int64)
    return numbers[encoded.indices.fill_null(-1).to_numpy()]  # a missing month: index -1, the 0 at the end


def _month_texts(numbers: np.ndarray) -> np.ndarray:
    """The inverse of :func:`_month_numbers_of` for a grouped answer (a few hundred rows)."""
    distinct, inverse = np.unique(numbers, return_inverse=True)
    texts = np.array([f"{number // 100:04d}-{number % 100:02d}" if number else None for number in distinct],
                     dtype=object)
    return texts[inverse.reshape(-1)]


_TALLIES = tuple(name for name in COUNT_COLUMNS if name != "searches")  # a batch's group_by counts the rest
_CUBE_COLUMNS = (*DIMENSIONS, "outcome_linked", "removal_more_than_outer", "outcome_code_id")


def _grouped_batch(table: pa.Table, nfa_ids: list[int]) -> pa.Table:
    """One batch's records grouped by ``DIMENSIONS``: ``searches`` and every tally of ``_TALLIES``."""
    def flag(condition: pa.ChunkedArray) -> pa.ChunkedArray:
        return pc.cast(pc.fill_null(condition, False), pa.int8())

    linked, removal, outcome = (table.column(name) for name in ("outcome_linked", "removal_more_than_outer",
                                                                 "outcome_code_id"))
    tallies = {
        "linked_recorded": flag(pc.is_valid(linked)), "linked_true": flag(linked),
        "removal_recorded": flag(pc.is_valid(removal)), "removal_true": flag(removal),
        "outcome_recorded": flag(pc.is_valid(outcome)),
        "non_nfa": flag(pc.and_(pc.is_valid(outcome), pc.invert(pc.is_in(outcome, pa.array(nfa_ids, pa.int32()))))),
    }
    keyed = pa.table({**{name: table.column(name) for name in DIMENSIONS}, **{name: tallies[name] for name in _TALLIES}})
    grouped = keyed.group_by(list(DIMENSIONS)).aggregate([([], "count_all"), *((name, "sum") for name in _TALLIES)])
    return grouped.rename_columns([("searches" if name == "count_all" else name.removesuffix("_sum"))
                                   for name in grouped.column_names])


def _summed(cube: dict[str, np.ndarray], by: tuple[str, ...]) -> dict[str, np.ndarray]:
    """The cube summed over the dimensions not in ``by`` (Arrow's group_by: off the GIL)."""
    if not len(cube["searches"]):
        return {name: cube[name] for name in (*by, *COUNT_COLUMNS)}
    table = pa.table({name: cube[name] for name in (*by, *COUNT_COLUMNS)})
    grouped = table.group_by(list(by)).aggregate([(name, "sum") for name in COUNT_COLUMNS])
    return {**{name: grouped.column(name).to_numpy() for name in by},
            **{name: grouped.column(f"{name}_sum").to_numpy() for name in COUNT_COLUMNS}}


def _frame(rows, by: tuple[str, ...]) -> pd.DataFrame:
    names = [*by, *COUNT_COLUMNS]
    frame = pd.DataFrame.from_records([tuple(row) for row in rows], columns=names)
    for name in names:
        if name == "month":
            frame[name] = frame[name].astype(object)
        else:
            # SUM over no rows is NULL on some databases; ids are NULL when not recorded.
            frame[name] = pd.to_numeric(frame[name]).fillna(_NULL_ID if name in by else 0).astype("int64")
    return frame


# --- the cache ----------------------------------------------------------------------------------
_cubes: weakref.WeakKeyDictionary[Engine, CubeCounts] = weakref.WeakKeyDictionary()
_cube_lock = threading.Lock()


def _fingerprint(connection) -> tuple:
    # Records are written only with their import batch, which keeps how many it stored: the batches'
    # sum is the record count without count(*)'s scan of the table (~130 ms at ten million, measured).
    row = connection.execute(select(
        select(func.coalesce(func.sum(import_batch.c.imported), 0)).scalar_subquery(),
        select(func.max(search.c.id)).scalar_subquery(),
        select(func.count()).select_from(import_batch).scalar_subquery(),
        select(func.max(import_batch.c.id)).scalar_subquery(),
        select(func.count()).select_from(vocabulary).scalar_subquery(),
    )).one()
    return tuple(row)


def counts(engine: Engine, labels: Labels | None = None, *, cached: bool = True) -> Counts:
    """Something to ask for counts: the engine's cube (rebuilt if the data changed) or plain SQL.

    Ask for one per recomputation: the cube's freshness is checked once here (~60 ms on a million
    rows), not per question. Safe to call from worker threads.
    """
    if not cached:
        return SqlCounts(engine, labels or Labels(engine))
    with _cube_lock:  # one build at a time; a second caller waits and reuses it
        cube = _cubes.get(engine)
        if cube is not None:
            with engine.connect() as connection:
                if _fingerprint(connection) == cube.fingerprint:
                    return cube
        cube = CubeCounts.build(engine)
        _cubes[engine] = cube
        return cube


def invalidate(engine: Engine) -> None:
    """Forget the engine's cube (after changing derived columns of stored rows in place)."""
    with _cube_lock:
        _cubes.pop(engine, None)


def searches_by_group(engine: Engine, labels: Labels, selection: Selection, *, cached: bool = True) -> pd.Series:
    """Searches per ethnic group (index :data:`GROUP_ROWS`; ``Unknown`` = not stated or blank)."""
    return counts(engine, labels, cached=cached).searches_by_group(selection)


def outcome_counts_by_group(engine: Engine, labels: Labels, selection: Selection, *,
                            cached: bool = True) -> pd.DataFrame:
    """Per ethnic group: searches; ``outcome_linked`` recorded / true; ``removal_more_than_outer``
    recorded / true; outcome recorded / other than no further action (:data:`COUNT_COLUMNS`)."""
    return counts(engine, labels, cached=cached).by_group(selection)


def monthly_counts_by_group(engine: Engine, labels: Labels, selection: Selection, *,
                            cached: bool = True) -> pd.DataFrame:
    """Searches per month (rows) and ethnic group (columns)."""
    return counts(engine, labels, cached=cached).by_month(selection)
