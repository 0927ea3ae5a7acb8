"""Writing parsed files into the database: one transaction and one batch row per file.

Identity follows shared/spec/records.md: a record already stored with the same force, month,
fingerprint and occurrence (or, for a local extract, the same force and source_ref) is counted as a
duplicate and not written again. Rows pass to the driver as tuples of small integers straight from
column arrays (``executemany``), which is several times faster than ``DataFrame.to_sql``.
"""

from __future__ import annotations

import getpass
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, select

from stopsearch_app import __version__
from stopsearch_app.domain.records import FIELD_BY_NAME, FieldKind
from stopsearch_app.io.errors import ImportCancelled, ImportRefused
from stopsearch_app.io.parsed import ParsedFile
from stopsearch_app.io.sources import SourceFile
from stopsearch_app.store.schema import (CODED_COLUMNS, LOCAL_DETAIL_FIELDS, PLAIN_COLUMNS, import_batch,
                                         quarantine, search, search_local, vocabulary)

CHUNK_ROWS = 50_000
Progress = Callable[[int, int, str], None]  # rows done, rows in this file, message
IsCancelled = Callable[[], bool]


@dataclass
class FileReport:
    path: str
    format: str = ""
    force: str = ""
    rows_read: int = 0
    imported: int = 0
    duplicates: int = 0
    quarantined: int = 0
    error: str | None = None
    warnings: list[str] = field(default_factory=list)
    batch_id: int | None = None

    def as_json(self) -> dict:
        return {"path": self.path, "format": self.format, "force": self.force, "rows_read": self.rows_read,
                "imported": self.imported, "duplicates": self.duplicates, "quarantined": self.quarantined,
                "error": self.error, "warnings": self.warnings}


@dataclass
class ImportReport:
    files: list[FileReport] = field(default_factory=list)
    cancelled: bool = False

    @property
    def imported(self) -> int:
        return sum(report.imported for report in self.files)

    @property
    def duplicates(self) -> int:
        return sum(report.duplicates for report in self.files)

    @property
    def quarantined(self) -> int:
        return sum(report.quarantined for report in self.files)

    @property
    def failed(self) -> list[FileReport]:
        return [report for report in self.files if report.error]

    def as_json(self) -> dict:
        return {"imported": self.imported, "duplicates": self.duplicates, "quarantined": self.quarantined,
                "cancelled": self.cancelled, "files": [report.as_json() for report in self.files]}


class VocabularyIds:
    """Maps (field, text) to vocabulary ids inside one transaction, adding new values as it meets them."""

    def __init__(self, connection: Connection) -> None:
        self._connection = connection
        self._ids: dict[tuple[str, str], int] = {
            (row.field, row.value): row.id for row in connection.execute(select(vocabulary))
        }

    def ids(self, field_name: str, values: pd.Series) -> np.ndarray:
        """Ids for a column (object array; None where the value is blank)."""
        categorical = values.astype(object).astype("category")
        missing = [value for value in categorical.cat.categories
                   if (field_name, str(value)) not in self._ids]
        if missing:
            self._connection.execute(vocabulary.insert(), [{"field": field_name, "value": str(v)[:500]} for v in missing])
            new = self._connection.execute(
                select(vocabulary.c.id, vocabulary.c.value).where(
                    vocabulary.c.field == field_name, vocabulary.c.value.in_([str(v)[:500] for v in missing])))
            self._ids.update({(field_name, value): id_ for id_, value in new})
        lookup = np.array([self._ids[(field_name, str(v)[:500])] for v in categorical.cat.categories] + [None],
                          dtype=object)
        return lookup[categorical.cat.codes.to_numpy()]


def _nullable(series: pd.Series, kind: FieldKind) -> np.ndarray:
    """Python values for the driver, None where blank (never numpy scalars: psycopg rejects them)."""
    if kind is FieldKind.DATETIME:
        millis = series.dt.as_unit("ms").astype("int64").to_numpy()
        out = millis.astype(object)
    elif kind is FieldKind.BOOL:
        out = series.astype("boolean").to_numpy(dtype=object, na_value=None)
        return np.array([None if v is None else bool(v) for v in out], dtype=object)
    elif kind is FieldKind.INT:
        out = series.astype("Int64").to_numpy(dtype=object, na_value=None)
        return np.array([None if v is None else int(v) for v in out], dtype=object)
    elif kind is FieldKind.FLOAT:
        out = series.astype("Float64").to_numpy(dtype=object, na_value=None)
        return np.array([None if v is None else float(v) for v in out], dtype=object)
    else:
        out = series.astype(object).to_numpy()
    mask = pd.isna(series).to_numpy()
    out = out.copy()
    out[mask] = None
    return out


def _placeholder(connection: Connection) -> str:
    return "?" if connection.dialect.paramstyle in ("qmark", "numeric") else "%s"


def _existing_public_keys(connection: Connection, keys: pd.DataFrame) -> pd.DataFrame:
    """(force_id, month, fingerprint, occurrence) already stored for the force-months in ``keys``."""
    pairs = keys[["force_id", "month"]].drop_duplicates()
    frames = []
    for force_id, month in pairs.itertuples(index=False):
        rows = connection.execute(
            select(search.c.force_id, search.c.month, search.c.fingerprint, search.c.occurrence)
            .where(and_(search.c.force_id == force_id, search.c.month == month, search.c.source_ref.is_(None))))
        frames.append(pd.DataFrame(rows.fetchall(), columns=["force_id", "month", "fingerprint", "occurrence"]))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(
        columns=["force_id", "month", "fingerprint", "occurrence"])


def _existing_local_refs(connection: Connection, force_ids: Iterable[int], refs: list[str]) -> set[tuple[int, str]]:
    found: set[tuple[int, str]] = set()
    for start in range(0, len(refs), 500):
        chunk = refs[start:start + 500]
        rows = connection.execute(select(search.c.force_id, search.c.source_ref).where(
            search.c.force_id.in_(list(force_ids)), search.c.source_ref.in_(chunk)))
        found.update((row.force_id, row.source_ref) for row in rows)
    return found


def write_parsed(connection: Connection, parsed: ParsedFile, report: FileReport, *, imported_by: str,
                 mapping_profile: str | None = None, progress: Progress | None = None,
                 is_cancelled: IsCancelled | None = None) -> None:
    """Write one parsed file inside the caller's transaction; raises ImportCancelled to roll back."""
    records = parsed.records
    batch_id = connection.execute(import_batch.insert().values(
        file_name=parsed.name, sha256=parsed.sha256, format=str(parsed.format),
        forces=",".join(parsed.forces), months=",".join(parsed.months), rows_read=parsed.rows_read,
        warnings=json.dumps(parsed.warnings), mapped_fields=json.dumps(sorted(parsed.mapped_fields)),
        mapping_profile=mapping_profile, imported_by=imported_by, imported_at=datetime.now(UTC),
        app_version=__version__)).inserted_primary_key[0]
    report.batch_id = batch_id

    vocab = VocabularyIds(connection)
    coded = {column: vocab.ids(name, records[name]) if name in records else np.full(len(records), None, dtype=object)
             for name, column in CODED_COLUMNS.items()}
    keys = pd.DataFrame({"force_id": coded["force_id"], "month": records["month"].to_numpy(),
                         "fingerprint": records["fingerprint"].to_numpy(dtype=np.int64),
                         "occurrence": records["occurrence"].to_numpy(dtype=np.int64)})
    is_local = "source_ref" in records and records["source_ref"].notna().any()
    if is_local:
        refs = records["source_ref"].astype(str).tolist()
        existing = _existing_local_refs(connection, set(coded["force_id"].tolist()), refs)
        new_mask = np.array([(force_id, ref) not in existing for force_id, ref in zip(coded["force_id"], refs)],
                            dtype=bool)
    else:
        existing = _existing_public_keys(connection, keys)
        if existing.empty:
            new_mask = np.ones(len(records), dtype=bool)
        else:
            existing["_stored"] = True
            merged = keys.merge(existing.astype({"fingerprint": "int64", "occurrence": "int64"}),
                                how="left", on=["force_id", "month", "fingerprint", "occurrence"])
            new_mask = merged["_stored"].isna().to_numpy()

    plain = {name: _nullable(records[name], FIELD_BY_NAME[name].kind) if name in records
             else np.full(len(records), None, dtype=object) for name in PLAIN_COLUMNS}
    columns = {
        "batch_id": np.full(len(records), batch_id, dtype=object),
        "month": records["month"].astype(object).to_numpy(),
        "fingerprint": keys["fingerprint"].to_numpy().astype(object),
        "occurrence": keys["occurrence"].to_numpy().astype(object),
        "source_ref": _nullable(records["source_ref"], FieldKind.TEXT) if "source_ref" in records
        else np.full(len(records), None, dtype=object),
        "occurred_at": _nullable(records["occurred_at"], FieldKind.DATETIME),
        **coded,
        **plain,
    }
    names = list(columns)
    sql = (f"INSERT INTO search ({', '.join(names)}) VALUES "
           f"({', '.join([_placeholder(connection)] * len(names))})")
    positions = np.flatnonzero(new_mask)
    cursor = connection.connection.cursor()
    try:
        for start in range(0, len(positions), CHUNK_ROWS):
            if is_cancelled and is_cancelled():
                raise ImportCancelled(parsed.name)
            chunk = positions[start:start + CHUNK_ROWS]
            cursor.executemany(sql, list(zip(*(columns[name][chunk].tolist() for name in names))))
            if progress:
                progress(start + len(chunk), len(positions), f"{parsed.name}: {start + len(chunk):,} records written")
    finally:
        cursor.close()
    if is_cancelled and is_cancelled():
        raise ImportCancelled(parsed.name)

    if is_local and len(positions):
        _write_local_detail(connection, parsed, positions, coded["force_id"])
    if parsed.quarantined:
        connection.execute(quarantine.insert(), [
            {"batch_id": batch_id, "row_number": row.row_number, "raw_text": row.raw_text, "reason": row.reason}
            for row in parsed.quarantined])
    report.imported = int(len(positions))
    report.duplicates = int(len(records) - len(positions))
    report.quarantined = len(parsed.quarantined)
    connection.execute(import_batch.update().where(import_batch.c.id == batch_id).values(
        imported=report.imported, duplicates=report.duplicates, quarantined=report.quarantined))


def _write_local_detail(connection: Connection, parsed: ParsedFile, positions: np.ndarray,
                        force_ids: np.ndarray) -> None:
    records = parsed.records.iloc[positions]
    refs = records["source_ref"].astype(str).tolist()
    ids = {}
    for start in range(0, len(refs), 500):
        chunk = refs[start:start + 500]
        rows = connection.execute(select(search.c.id, search.c.source_ref, search.c.force_id).where(
            search.c.source_ref.in_(chunk)))
        ids.update({(row.force_id, row.source_ref): row.id for row in rows})
    values = {name: _nullable(records[name], FIELD_BY_NAME[name].kind) if name in records
              else np.full(len(records), None, dtype=object) for name in LOCAL_DETAIL_FIELDS}
    rows = []
    for index, (force_id, ref) in enumerate(zip(force_ids[positions], refs)):
        row = {name: values[name][index] for name in LOCAL_DETAIL_FIELDS}
        row["search_id"] = ids[(force_id, ref)]
        rows.append(row)
    for start in range(0, len(rows), 5_000):
        connection.execute(search_local.insert(), rows[start:start + 5_000])


def default_user() -> str:
    try:
        return getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name on this platform: still import
        return "unknown user"


def import_sources(engine: Engine, sources: Iterable[SourceFile], read: Callable[[SourceFile], ParsedFile], *,
                   imported_by: str | None = None, mapping_profile: str | None = None,
                   progress: Progress | None = None, is_cancelled: IsCancelled | None = None) -> ImportReport:
    """Import each source in its own transaction. A refused file is reported and the rest go on;
    cancelling rolls back the file in progress and stops."""
    report = ImportReport()
    user = imported_by or default_user()
    for source in sources:
        file_report = FileReport(path=source.display_name)
        report.files.append(file_report)
        if is_cancelled and is_cancelled():
            report.cancelled = True
            file_report.error = "cancelled before it started"
            break
        try:
            if progress:
                progress(0, 0, f"reading {source.display_name}")
            parsed = read(source)
            file_report.format = str(parsed.format)
            file_report.force = ",".join(parsed.forces)
            file_report.rows_read = parsed.rows_read
            file_report.warnings = list(parsed.warnings)
            with engine.begin() as connection:
                write_parsed(connection, parsed, file_report, imported_by=user, mapping_profile=mapping_profile,
                             progress=progress, is_cancelled=is_cancelled)
        except ImportRefused as refused:
            file_report.error = refused.reason
        except ImportCancelled:
            report.cancelled = True
            file_report.error = "cancelled: nothing from this file was kept"
            file_report.imported = file_report.duplicates = file_report.quarantined = 0
            break
        except OSError as error:
            file_report.error = f"cannot read the file: {error.strerror or error}"
    return report
