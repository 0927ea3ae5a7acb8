"""Saved dip samples: draw, save, list and load (split from store/reviews.py)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pandas as pd
from sqlalchemy import Engine, case, func, insert, select
from sqlalchemy.exc import IntegrityError

import stopsearch_app.store.review_schema  # noqa: F401 - registers the review tables on schema.metadata
from stopsearch_app.domain import review
from stopsearch_app.domain.selection import Selection
from stopsearch_app.store.queries import Labels, RecordQuery
from stopsearch_app.store.review_schema import sample, sample_member
from stopsearch_app.store.findings import _require, _utc


# --- samples --------------------------------------------------------------------------------------
class SampleNameTaken(ValueError):
    """Sample names are unique: they are how a panel refers to a meeting's cases."""


@dataclass(frozen=True)
class SampleMember:
    position: int
    record_id: str
    reason: str
    stratum: str


@dataclass(frozen=True)
class SavedSample:
    id: int
    name: str
    seed: int
    n: int
    filters: Selection
    strata: str
    allocation: Mapping[str, tuple[int, int]]
    method_version: str
    created_by: str
    created_at: datetime
    members: tuple[SampleMember, ...] = field(default=())
    size: int = 0
    always_included: int = 0

    @property
    def record_ids(self) -> list[str]:
        return [member.record_id for member in self.members]


def preview_sample(engine: Engine, labels: Labels, n: int, seed: int,
                   filters: Selection | None = None) -> review.SampleDraw:
    """Draw (without saving) a dip sample from the stored records."""
    from stopsearch_app.store.frames import load_records

    filters = filters or review.DEFAULT_SAMPLE_SELECTION
    # The SQL selects what the draw's mask selects again (tests/domain/test_selection.py holds them together).
    frame = load_records(engine, RecordQuery(filters), labels)
    frame["record_id"] = review.record_ids_of(frame) if len(frame) else pd.Series([], dtype=object)
    return review.draw(frame, n, seed, filters)


def save_sample(engine: Engine, draw: review.SampleDraw, name: str, *, created_by: str) -> SavedSample:
    """Store a drawn sample under a unique name (one transaction)."""
    name = _require(name, "A name for the sample")
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            sample_id = connection.execute(insert(sample).values(
                name=name, seed=draw.seed, n=draw.n, filters=json.dumps(draw.filters.as_json(), sort_keys=True),
                strata=draw.strata_label, allocation=json.dumps({k: list(v) for k, v in draw.allocation.items()}),
                method_version=draw.method_version, created_by=_require(created_by, "Who draws the sample"),
                created_at=now)).inserted_primary_key[0]
            if draw.record_ids:
                connection.execute(insert(sample_member), [
                    {"sample_id": sample_id, "position": position, "record_id": record_id,
                     "reason": draw.reasons[record_id], "stratum": draw.strata[record_id]}
                    for position, record_id in enumerate(draw.record_ids, start=1)])
    except IntegrityError:
        raise SampleNameTaken(f"a sample called {name!r} already exists: choose another name") from None
    return load_sample(engine, sample_id)


def _saved(row: Mapping, members: tuple[SampleMember, ...] = (), size: int = 0, always: int = 0) -> SavedSample:
    return SavedSample(row["id"], row["name"], row["seed"], row["n"], review.sample_selection(row["filters"]),
                       row["strata"], {k: tuple(v) for k, v in json.loads(row["allocation"]).items()},
                       row["method_version"], row["created_by"], _utc(row["created_at"]), members, size, always)


def list_samples(engine: Engine) -> list[SavedSample]:
    """Saved samples, newest first, with their sizes (members not loaded)."""
    counts = (select(sample_member.c.sample_id, func.count().label("size"),
                     func.sum(case((sample_member.c.reason != review.RANDOM, 1), else_=0)).label("always"))
              .group_by(sample_member.c.sample_id).subquery())
    query = (select(sample, counts.c.size, counts.c.always).outerjoin(counts, counts.c.sample_id == sample.c.id)
             .order_by(sample.c.created_at.desc(), sample.c.id.desc()))
    with engine.connect() as connection:
        return [_saved(row, (), int(row["size"] or 0), int(row["always"] or 0)) for row in connection.execute(query).mappings()]


def load_sample(engine: Engine, sample_id_or_name: int | str) -> SavedSample:
    with engine.connect() as connection:
        condition = (sample.c.id == sample_id_or_name if isinstance(sample_id_or_name, int)
                     else sample.c.name == str(sample_id_or_name))
        row = connection.execute(select(sample).where(condition)).mappings().first()
        if row is None:
            raise KeyError(f"no saved sample {sample_id_or_name!r}")
        members = tuple(SampleMember(m.position, m.record_id, m.reason, m.stratum) for m in connection.execute(
            select(sample_member).where(sample_member.c.sample_id == row["id"]).order_by(sample_member.c.position)))
    return _saved(row, members, len(members), sum(1 for m in members if m.reason != review.RANDOM))
