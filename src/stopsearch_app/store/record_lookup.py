"""Record ids <-> database rows (split from store/reviews.py): findings key on the stable record
id (domain/identity.py), so they survive a re-import; these find the record's current row."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import Engine, select

import stopsearch_app.store.review_schema  # noqa: F401 - registers the review tables on schema.metadata
from stopsearch_app.domain.identity import record_id as make_record_id
from stopsearch_app.store.queries import Labels
from stopsearch_app.store.schema import search


# --- record ids <-> rows --------------------------------------------------------------------------
def record_id_for(engine: Engine, labels: Labels, search_id: int) -> str:
    with engine.connect() as connection:
        row = connection.execute(select(search.c.force_id, search.c.month, search.c.fingerprint, search.c.occurrence,
                                        search.c.source_ref).where(search.c.id == int(search_id))).first()
    if row is None:
        raise KeyError(search_id)
    return make_record_id(labels.by_id.get(row.force_id, ""), row.month, row.fingerprint, row.occurrence, row.source_ref)


def search_id_for(engine: Engine, labels: Labels, record_id: str) -> int | None:
    """The current row of a record id (after any re-import), or None when it is not loaded."""
    found = search_ids_for(engine, labels, [record_id])
    return found.get(str(record_id))


def search_ids_for(engine: Engine, labels: Labels, record_ids: Iterable[str]) -> dict[str, int]:
    """record id -> search id for the ids that are loaded (local references, then police.uk ids)."""
    wanted = list(dict.fromkeys(str(r) for r in record_ids))
    out: dict[str, int] = {}
    with engine.connect() as connection:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for search_id, ref in connection.execute(select(search.c.id, search.c.source_ref)
                                                     .where(search.c.source_ref.in_(chunk))):
                out.setdefault(ref, search_id)
        forces = {name: force_id for name, force_id in labels.by_field.get("force", {}).items()}
        for text in wanted:
            if text in out:
                continue
            parsed = _parse_public_id(text)
            if parsed is None or parsed[0] not in forces:
                continue
            force, month, fingerprint, occurrence = parsed
            row = connection.execute(select(search.c.id).where(
                search.c.force_id == forces[force], search.c.month == month, search.c.fingerprint == fingerprint,
                search.c.occurrence == occurrence, search.c.source_ref.is_(None))).first()
            if row is not None:
                out[text] = row[0]
    return out


def _parse_public_id(text: str) -> tuple[str, str, int, int] | None:
    """'metropolitan-2022-09-<16 hex>-0' -> (force, month, signed fingerprint, occurrence)."""
    parts = text.rsplit("-", 4)
    if len(parts) != 5:
        return None
    force, year, month, hexed, occurrence = parts
    try:
        unsigned = int(hexed, 16)
        number = int(occurrence)
    except ValueError:
        return None
    if len(hexed) != 16 or not (year.isdigit() and month.isdigit()):
        return None
    signed = unsigned - (1 << 64) if unsigned >= (1 << 63) else unsigned
    return force, f"{year}-{month}", signed, number
