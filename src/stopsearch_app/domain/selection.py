"""Which searches a figure, a table or a pack is about: one validated type, with one age-band vocabulary.

:class:`Selection` says it once; the store turns it into SQL (``store/aggregates.py``) and
:meth:`Selection.mask` into a pandas mask over a canonical record frame (``store/frames.py``), and
``tests/domain/test_selection.py`` holds the two to the same answer on real police.uk files.

Age bands (:class:`AgeBand`, the CLI's ``--age``) are derived at import by ``domain/children.py``, so
an exact age of a local record wins over the police.uk range: ``child`` is child_status ``child``;
``under-10`` is child_band ``under_10``; ``10-17`` is child_band ``10_14``, ``15_17`` or ``10_17``
(a child known only to "appear under 18" is ``10_17``); ``adult`` is child_status ``adult``. A search
with no age recorded is in no band but ``all``.

Person searches only by default: a vehicle-only search that records no person (no age, no ethnicity)
is not a person search (statistics.md "Age"); one that records a person's age or ethnicity counts.
A list of records (the record table, a pack, a dip sample) keeps every search:
:meth:`Selection.all_searches`.

Saved as JSON (dip samples in the database, pack manifests) by :meth:`Selection.as_json`, with a
format version; :meth:`Selection.from_json` reads it back and refuses a version it does not know.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

import numpy as np
import pandas as pd


class AgeBand(StrEnum):
    ALL = "all"
    CHILD = "child"
    UNDER_10 = "under-10"
    AGE_10_17 = "10-17"
    ADULT = "adult"

    @classmethod
    def parse(cls, text: str | AgeBand) -> AgeBand:
        """The band for any of its spellings: ``10-17``, ``10_17``, ``under 10``, ``Under-10``, ``children``…"""
        key = re.sub(r"[\s_]+", "-", str(text).strip().casefold())
        key = {"children": "child", "all-ages": "all", "adults": "adult", "under10": "under-10"}.get(key, key)
        try:
            return cls(key)
        except ValueError:
            raise ValueError(f"unknown age band {text!r}; expected one of {', '.join(b.value for b in cls)}") from None

    @property
    def label(self) -> str:
        return _LABELS[self]

    @property
    def years(self) -> tuple[int, int | None]:
        """Inclusive years of age (None: and over), for denominators."""
        return _YEARS[self]

    @property
    def child_statuses(self) -> tuple[str, ...]:
        """The derived child_status values in the band ((): the band is by child_band, or all)."""
        return {AgeBand.CHILD: ("child",), AgeBand.ADULT: ("adult",)}.get(self, ())

    @property
    def child_bands(self) -> tuple[str, ...]:
        return {AgeBand.UNDER_10: ("under_10",), AgeBand.AGE_10_17: ("10_14", "15_17", "10_17")}.get(self, ())

    @property
    def is_children(self) -> bool:
        return self in (AgeBand.CHILD, AgeBand.UNDER_10, AgeBand.AGE_10_17)


_LABELS = {AgeBand.ALL: "all ages", AgeBand.CHILD: "children (0-17)", AgeBand.UNDER_10: "under 10 (0-9)",
           AgeBand.AGE_10_17: "10-17", AgeBand.ADULT: "adults (18 and over)"}
_YEARS = {AgeBand.ALL: (0, None), AgeBand.CHILD: (0, 17), AgeBand.UNDER_10: (0, 9), AgeBand.AGE_10_17: (10, 17),
          AgeBand.ADULT: (18, None)}
AGE_BAND_VALUES = tuple(band.value for band in AgeBand)
BANDS_THAT_TILE = (AgeBand.UNDER_10, AgeBand.AGE_10_17, AgeBand.ADULT)  # no overlap: the age-band chart
ETHNICITY_SOURCES = ("self", "officer")
VEHICLE_ONLY = "vehicle"
_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
JSON_VERSION = 1


@dataclass(frozen=True)
class Selection:
    """Which searches are counted. Empty ``forces`` or ``boroughs`` means no restriction.

    ``boroughs`` match a local extract's recorded borough, else the borough the coordinates fall in,
    by name, case-insensitively with ``&`` = ``and``."""

    forces: tuple[str, ...] = ()
    month_from: str | None = None
    month_to: str | None = None
    boroughs: tuple[str, ...] = ()
    age: AgeBand = AgeBand.ALL
    ethnicity: str = "self"
    person_only: bool = True

    def __post_init__(self) -> None:
        object.__setattr__(self, "age", AgeBand.parse(self.age))
        if self.ethnicity not in ETHNICITY_SOURCES:
            raise ValueError(f"unknown ethnicity source {self.ethnicity!r}; expected self or officer")
        for name in ("month_from", "month_to"):
            value = getattr(self, name)
            if value is not None and not _MONTH.match(value):
                raise ValueError(f"{name.replace('month_', '--')} {value!r} is not a month YYYY-MM")
        if self.month_from and self.month_to and self.month_from > self.month_to:
            raise ValueError(f"the period {self.month_from} to {self.month_to} ends before it starts")
        object.__setattr__(self, "forces", tuple(self.forces))
        object.__setattr__(self, "boroughs", tuple(self.boroughs))

    @classmethod
    def all_searches(cls, **fields) -> Selection:
        """A selection of records to list or review: vehicle-only searches stay in."""
        return cls(person_only=False, **fields)

    def with_(self, **changes) -> Selection:
        return replace(self, **changes)

    def as_json(self) -> dict[str, object]:
        return {"selection_version": JSON_VERSION, "forces": list(self.forces), "month_from": self.month_from,
                "month_to": self.month_to, "boroughs": list(self.boroughs), "age": self.age.value,
                "ethnicity": self.ethnicity, "person_only": self.person_only}

    @classmethod
    def from_json(cls, data: Mapping[str, object]) -> Selection:
        version = data.get("selection_version")
        if version != JSON_VERSION:
            raise ValueError(f"a selection saved in format {version!r}; this version reads format {JSON_VERSION}")
        def texts(name: str) -> tuple[str, ...]:
            return tuple(str(value) for value in data.get(name) or ())  # type: ignore[attr-defined]

        def month(name: str) -> str | None:
            return str(data[name]) if data.get(name) else None

        return cls(forces=texts("forces"), month_from=month("month_from"), month_to=month("month_to"),
                   boroughs=texts("boroughs"), age=str(data.get("age") or AgeBand.ALL),
                   ethnicity=str(data.get("ethnicity") or "self"), person_only=bool(data.get("person_only", True)))

    def describe(self) -> str:
        """In words, for a list of saved samples: ``children (0-17) · 2023-01 to 2023-06 · metropolitan``."""
        parts = [self.age.label]
        if self.month_from or self.month_to:
            parts.append(f"{self.month_from or '…'} to {self.month_to or '…'}")
        parts.extend(", ".join(values) for values in (self.forces, self.boroughs) if values)
        return " · ".join(parts)

    def mask(self, records: pd.DataFrame) -> np.ndarray:
        """The records of a canonical frame (``store/frames.load_records``) that the selection selects."""
        keep = np.ones(len(records), dtype=bool)
        if self.forces:
            keep &= _text(records, "force").isin(self.forces).to_numpy()
        if self.month_from or self.month_to:
            month = _text(records, "month").fillna("").astype(str)
            if self.month_from:
                keep &= (month >= self.month_from).to_numpy()
            if self.month_to:
                keep &= (month.ne("") & (month <= self.month_to)).to_numpy()
        if self.boroughs:
            wanted = {normalise_place(name) for name in self.boroughs}
            recorded = _text(records, "borough")
            placed = _text(records, "geo_borough")
            keep &= np.where(recorded.notna(), recorded.map(normalise_place).isin(wanted),
                             placed.map(normalise_place).isin(wanted))
        if self.age.child_statuses:
            keep &= _text(records, "child_status").isin(self.age.child_statuses).to_numpy()
        if self.age.child_bands:
            keep &= _text(records, "child_band").isin(self.age.child_bands).to_numpy()
        if self.person_only:
            keep &= ~vehicle_without_person(records)
        return keep


def vehicle_without_person(records: pd.DataFrame) -> np.ndarray:
    """Vehicle-only searches that record neither an age nor an ethnicity: not person searches."""
    status = _text(records, "child_status")
    no_age = (status.isna() | status.eq("unknown")).to_numpy()
    return (_text(records, "search_type").eq(VEHICLE_ONLY).to_numpy() & _text(records, "sde_group").isna().to_numpy()
            & _text(records, "officer_defined_ethnicity").isna().to_numpy() & no_age)


def normalise_place(name: object) -> str:
    return " ".join(str(name).replace("&", " and ").casefold().split()) if isinstance(name, str) else ""


def _text(records: pd.DataFrame, column: str) -> pd.Series:
    if column not in records:
        return pd.Series(None, index=records.index, dtype=object)
    return records[column].astype(object).where(records[column].notna(), None)
