"""Readers for the public police.uk formats (shared/spec/records.md): archive CSV, API JSON, and the
API JSON flattened to CSV.

Each reader returns a :class:`ParsedFile` of canonical records. Strings are read dictionary-encoded
and normalised one distinct value at a time, so a million rows cost little more than their
vocabulary. A row that cannot be read goes to the quarantine with its line and the reason; a file
that is not a stop-and-search file is refused whole with :class:`ImportRefused`.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Callable
from pathlib import PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from stopsearch_app.domain import identity, vocab
from stopsearch_app.domain.children import child_band, child_status
from stopsearch_app.domain.records import PUBLIC_FIELDS, SourceFormat
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.parsed import ParsedFile, QuarantinedRow

ARCHIVE_HEADER = (
    "Type", "Date", "Part of a policing operation", "Policing operation", "Latitude", "Longitude",
    "Gender", "Age range", "Self-defined ethnicity", "Officer-defined ethnicity", "Legislation",
    "Object of search", "Outcome", "Outcome linked to object of search",
    "Removal of more than just outer clothing",
)
ARCHIVE_TO_CANONICAL = dict(zip(ARCHIVE_HEADER, (
    "search_type", "occurred_at", "part_of_operation", "operation_name", "latitude", "longitude",
    "gender", "age_range", "self_defined_ethnicity", "officer_defined_ethnicity", "legislation",
    "object_of_search", "outcome", "outcome_linked", "removal_more_than_outer",
)))
API_TO_CANONICAL = {
    "type": "search_type", "datetime": "occurred_at", "operation": "part_of_operation",
    "operation_name": "operation_name", "location.latitude": "latitude", "location.longitude": "longitude",
    "gender": "gender", "age_range": "age_range", "self_defined_ethnicity": "self_defined_ethnicity",
    "officer_defined_ethnicity": "officer_defined_ethnicity", "legislation": "legislation",
    "object_of_search": "object_of_search", "outcome": "outcome",
    "outcome_linked_to_object_of_search": "outcome_linked",
    "removal_of_more_than_outer_clothing": "removal_more_than_outer",
}
# Keys of the API that carry nothing canonical (or that we rebuild from others): kept silently.
API_KNOWN_EXTRA = {"involved_person", "outcome_object.id", "outcome_object.name", "location",
                   "location.street.id", "location.street.name", "outcome_object", "force_id"}
FLAT_REQUIRED = {"type", "datetime", "age_range", "gender", "legislation", "outcome"}

FILE_NAME_PATTERN = re.compile(r"(\d{4})-(\d{2})-([a-z0-9-]+?)-stop-and-search", re.IGNORECASE)
FORCE_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")
BOOL_TOKENS = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}
# A constant-false find flag over this many searches is a source artefact (the Met API), not data.
CONSTANT_FALSE_MIN_ROWS = 100
UNKNOWN_FORCE = "unknown"


def sha256_of(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def force_from_name(name: str) -> str | None:
    match = FILE_NAME_PATTERN.search(PurePath(name).name)
    return match.group(3).lower() if match else None


def detect_format(data: bytes, name: str) -> SourceFormat:
    """The police.uk layout of ``data``, or :class:`ImportRefused` saying why it is none of them."""
    if not data.strip():
        raise ImportRefused(name, "the file is empty")
    head = data[:4096]
    if b"\x00" in head:
        raise ImportRefused(name, "this is a binary file, not a police.uk CSV or JSON file")
    stripped = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if stripped[:1] in (b"[", b"{"):
        return SourceFormat.POLICEUK_JSON
    header = _header_of(data, name)
    if set(ARCHIVE_HEADER) <= set(header):
        return SourceFormat.POLICEUK_CSV
    if FLAT_REQUIRED <= set(header):
        return SourceFormat.POLICEUK_FLAT
    missing = [column for column in ARCHIVE_HEADER if column not in header]
    raise ImportRefused(
        name,
        "not a police.uk stop-and-search file: the header lacks "
        + ", ".join(f"'{column}'" for column in missing[:5])
        + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
        + f" (found: {', '.join(header[:6])}{'...' if len(header) > 6 else ''}). "
        "A local extract with other columns imports through a column mapping.",
    )


def _decode(data: bytes, name: str, warnings: list[str]) -> str:
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        warnings.append(f"{name}: not valid UTF-8; read as Windows-1252")
        return data.decode("cp1252", errors="replace")


def _header_of(data: bytes, name: str) -> list[str]:
    first_line = data.split(b"\n", 1)[0]
    text = _decode(first_line, name, [])
    return [cell.strip() for cell in next(csv.reader([text.rstrip("\r")]), [])]


def read_policeuk(data: bytes, name: str, force: str | None = None,
                  fmt: SourceFormat | None = None) -> ParsedFile:
    """Read any police.uk layout from the bytes of one file."""
    fmt = fmt or detect_format(data, name)
    if fmt is SourceFormat.POLICEUK_CSV:
        return read_archive_csv(data, name, force)
    if fmt is SourceFormat.POLICEUK_JSON:
        return read_api_json(data, name, force)
    if fmt is SourceFormat.POLICEUK_FLAT:
        return read_flat_csv(data, name, force)
    raise ImportRefused(name, f"{fmt} is not a police.uk format")


# --- CSV layouts -------------------------------------------------------------------------------

def _read_csv_table(data: bytes, name: str, warnings: list[str]) -> tuple[pd.DataFrame, list[QuarantinedRow], np.ndarray]:
    """All columns as dictionary-encoded strings; rows with the wrong number of fields are quarantined.

    Returns the frame, the quarantined rows and the physical line number of every kept row.
    """
    invalid: list[QuarantinedRow] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(QuarantinedRow(
            row_number=int(row.number) if row.number is not None else -1,
            raw_text=row.text,
            reason=f"row has {row.actual_columns} fields, expected {row.expected_columns}"
                   + (" (file truncated?)" if row.actual_columns < row.expected_columns else ""),
        ))
        return "skip"

    header = _header_of(data, name)
    encoding = "utf8"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        warnings.append(f"{name}: not valid UTF-8; read as Windows-1252")
        encoding = "cp1252"
    column_types = {column: pa.dictionary(pa.int32(), pa.string()) for column in header}
    try:
        table = pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(encoding=encoding, use_threads=False, block_size=1 << 24),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=column_types, strings_can_be_null=True, null_values=[""],
                quoted_strings_can_be_null=True),
        )
    except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
        raise ImportRefused(name, f"the CSV cannot be parsed: {error}") from error
    frame = table.to_pandas()
    frame.columns = [column.strip() for column in frame.columns]
    # Physical line numbers of kept rows: data lines start at 2; skipped rows drop out of the sequence.
    total = len(frame) + len(invalid)
    skipped = {row.row_number for row in invalid}
    line_numbers = np.array([line for line in range(2, total + 2) if line not in skipped][: len(frame)],
                            dtype=np.int64) if skipped else np.arange(2, len(frame) + 2, dtype=np.int64)
    return frame, invalid, line_numbers


def read_archive_csv(data: bytes, name: str, force: str | None = None) -> ParsedFile:
    warnings: list[str] = []
    header = _header_of(data, name)
    unexpected = [column for column in header if column and column not in ARCHIVE_TO_CANONICAL]
    if unexpected:
        warnings.append(f"{name}: ignored columns not in the police.uk archive layout: {', '.join(unexpected)}")
    frame, quarantined, lines = _read_csv_table(data, name, warnings)
    raw = frame[[column for column in ARCHIVE_HEADER]].rename(columns=ARCHIVE_TO_CANONICAL)
    return _finish(raw, data, name, SourceFormat.POLICEUK_CSV, _resolve_force(name, force, warnings),
                   lines, quarantined, warnings, lambda i: _csv_line(frame, i))


def read_flat_csv(data: bytes, name: str, force: str | None = None) -> ParsedFile:
    warnings: list[str] = []
    frame, quarantined, lines = _read_csv_table(data, name, warnings)
    raw = _api_frame_to_raw(frame, name, warnings)
    return _finish(raw, data, name, SourceFormat.POLICEUK_FLAT, _resolve_force(name, force, warnings),
                   lines, quarantined, warnings, lambda i: _csv_line(frame, i))


def _csv_line(frame: pd.DataFrame, position: int) -> str:
    buffer = io.StringIO()
    row = ["" if pd.isna(value) else str(value) for value in frame.iloc[position].tolist()]
    csv.writer(buffer, lineterminator="").writerow(row)
    return buffer.getvalue()


# --- API JSON --------------------------------------------------------------------------------

def read_api_json(data: bytes, name: str, force: str | None = None) -> ParsedFile:
    warnings: list[str] = []
    try:
        document = json.loads(_decode(data, name, warnings))
    except json.JSONDecodeError as error:
        raise ImportRefused(name, f"not valid JSON (line {error.lineno}, column {error.colno}: {error.msg}); "
                                  "the file may be truncated") from error
    if isinstance(document, dict):
        document = next((value for value in document.values() if isinstance(value, list)), None)
    if not isinstance(document, list):
        raise ImportRefused(name, "the JSON is not a list of stop-and-search records")
    if not document:
        raise ImportRefused(name, "the JSON list is empty: no records to import")
    quarantined: list[QuarantinedRow] = []
    good: list[dict] = []
    positions: list[int] = []
    for position, item in enumerate(document, start=1):
        if not isinstance(item, dict):
            quarantined.append(QuarantinedRow(position, json.dumps(item)[:2000], "entry is not a JSON object"))
            continue
        good.append(item)
        positions.append(position)
    if good and not any(("datetime" in item or "type" in item) for item in good[:50]):
        raise ImportRefused(name, "the JSON objects have no 'datetime' or 'type' keys: "
                                  "not police.uk stop-and-search records")
    frame = pd.json_normalize(good) if good else pd.DataFrame()
    raw = _api_frame_to_raw(frame, name, warnings)
    return _finish(raw, data, name, SourceFormat.POLICEUK_JSON, _resolve_force(name, force, warnings),
                   np.asarray(positions, dtype=np.int64), quarantined, warnings,
                   lambda i: json.dumps(good[i], default=str)[:4000])


def _api_frame_to_raw(frame: pd.DataFrame, name: str, warnings: list[str]) -> pd.DataFrame:
    columns = {column: frame[column] if column in frame else pd.Series(None, index=frame.index, dtype=object)
               for column in API_TO_CANONICAL}
    raw = pd.DataFrame({API_TO_CANONICAL[key]: series for key, series in columns.items()})
    # The API gives "" or false in `outcome` when only outcome_object carries the disposal.
    if "outcome_object.name" in frame:
        outcome = raw["outcome"].astype(object)
        blank = outcome.isna() | outcome.isin(["", False, "False", "false"])
        raw["outcome"] = outcome.where(~blank, frame["outcome_object.name"].astype(object).replace("", None))
    if "force_id" in frame:
        raw["force"] = frame["force_id"].astype(object)
    extra = sorted(set(frame.columns) - set(API_TO_CANONICAL) - API_KNOWN_EXTRA)
    if extra:
        warnings.append(f"{name}: ignored keys that map to no canonical field: {', '.join(extra)}")
    return raw


# --- shared normalisation -----------------------------------------------------------------------

def _resolve_force(name: str, force: str | None, warnings: list[str]) -> str | None:
    if force:
        if not FORCE_SLUG.match(force):
            raise ImportRefused(name, f"'{force}' is not a police.uk force slug (for example metropolitan)")
        return force
    from_name = force_from_name(name)
    return from_name


def _parse_bool(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Nullable booleans and a mask of values that are neither blank nor a boolean token."""
    def token(value: object) -> object:
        if isinstance(value, bool):
            return value
        text = vocab.clean_text(value)
        if text is None:
            return None
        return BOOL_TOKENS.get(text.casefold(), "bad")

    mapped = vocab.map_distinct(series, token)
    bad = mapped.eq("bad").fillna(False).astype(bool)
    return mapped.where(~bad, None).astype("boolean"), bad


def _parse_float(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    def number(value: object) -> object:
        text = vocab.clean_text(value)
        if text is None:
            return None
        try:
            return float(text)
        except ValueError:
            return "bad"

    mapped = vocab.map_distinct(series, number)
    bad = mapped.eq("bad").fillna(False).astype(bool)
    return mapped.where(~bad, None).astype("Float64"), bad


def _parse_datetime(series: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """UTC timestamps; masks of blank and of unreadable values. Date-only values are midnight UTC."""
    categorical = series.astype(object).astype("category")
    categories = categorical.cat.categories
    parsed_categories = pd.to_datetime(pd.Series(categories.astype(str)), utc=True, format="ISO8601",
                                       errors="coerce")
    codes = categorical.cat.codes.to_numpy()
    values = parsed_categories.to_numpy()
    result = pd.Series(pd.NaT, index=series.index, dtype="datetime64[ns, UTC]")
    present = codes >= 0
    result[present] = values[codes[present]]
    blank = pd.Series(~present, index=series.index)
    bad = pd.Series(present, index=series.index) & result.isna()
    return result.astype("datetime64[ns, UTC]"), blank, bad


def _finish(raw: pd.DataFrame, data: bytes, name: str, fmt: SourceFormat, force: str | None,
            row_numbers: np.ndarray, quarantined: list[QuarantinedRow], warnings: list[str],
            raw_line: Callable[[int], str]) -> ParsedFile:
    """Turn raw strings into canonical and derived columns; move unreadable rows to the quarantine."""
    rows_read = len(raw) + len(quarantined)
    records = pd.DataFrame(index=raw.index)
    problems = pd.Series("", index=raw.index, dtype=object)

    def note(mask: pd.Series, reason: str) -> None:
        nonlocal problems
        mask = mask.fillna(False).astype(bool)
        if mask.any():
            problems = problems.where(~mask, problems + np.where(problems == "", "", "; ") + reason)

    occurred, blank_date, bad_date = _parse_datetime(raw["occurred_at"])
    note(blank_date, "Date is blank (every search needs a date)")
    for index in np.flatnonzero(bad_date.to_numpy()):
        note(pd.Series(np.arange(len(raw)) == index, index=raw.index),
             f"Date '{raw['occurred_at'].iloc[index]}' is not an ISO 8601 date")
    records["occurred_at"] = occurred
    local = occurred.dt.tz_convert("Europe/London")
    month_number = (local.dt.year * 100 + local.dt.month).astype("Int64")
    records["month"] = vocab.map_distinct(month_number, lambda v: f"{int(v) // 100:04d}-{int(v) % 100:02d}")

    if "force" in raw and raw["force"].notna().any():
        row_force = vocab.clean_series(raw["force"]).str.lower()
        records["force"] = row_force.fillna(force) if force is None else pd.Series(force, index=raw.index, dtype=object)
    else:
        records["force"] = pd.Series(force, index=raw.index, dtype=object)
    if records["force"].isna().any():
        warnings.append(f"{name}: no force in the file name (YYYY-MM-<force>-stop-and-search.csv) or the data; "
                        f"{int(records['force'].isna().sum())} record(s) filed under '{UNKNOWN_FORCE}' "
                        "(import with --force to name it)")
        records["force"] = records["force"].fillna(UNKNOWN_FORCE)

    records["search_type"] = vocab.map_distinct(
        raw["search_type"], lambda v: vocab.search_type(pd.Series([v])).iloc[0] or vocab.clean_text(v))
    for column in ("part_of_operation", "outcome_linked", "removal_more_than_outer"):
        values, bad = _parse_bool(raw[column])
        note(bad, f"'{column}' is not True/False")
        records[column] = values
    records["operation_name"] = vocab.clean_series(raw["operation_name"])
    for column in ("latitude", "longitude"):
        values, bad = _parse_float(raw[column])
        note(bad, f"{column} is not a number")
        limit = 90 if column == "latitude" else 180
        note(values.abs() > limit, f"{column} is out of range")
        records[column] = values
    records["gender"] = vocab.map_distinct(raw["gender"], lambda v: vocab.gender(pd.Series([v])).iloc[0] or vocab.clean_text(v))
    age, repaired = vocab.age_range(raw["age_range"])
    records["age_range"] = age.where(age.notna(), vocab.clean_series(raw["age_range"]))
    if repaired:
        warnings.append(f"{name}: {repaired} age range value(s) damaged by Excel (e.g. 'Oct-17') were repaired to '10-17'")
    records["self_defined_ethnicity"] = vocab.clean_series(raw["self_defined_ethnicity"])
    records["officer_defined_ethnicity"] = vocab.map_distinct(
        raw["officer_defined_ethnicity"],
        lambda v: vocab.officer_ethnicity(pd.Series([v])).iloc[0] or vocab.clean_text(v))
    records["legislation"] = vocab.clean_series(raw["legislation"])
    records["object_of_search"] = vocab.clean_series(raw["object_of_search"])
    records["outcome"] = vocab.clean_series(raw["outcome"].astype(object).replace({False: None, "False": None}))

    records["power"] = vocab.powers(records["legislation"])
    records["outcome_code"] = vocab.outcome_codes(records["outcome"])
    records["sde_group"] = vocab.sde_groups(records["self_defined_ethnicity"])
    status = child_status(records)
    records["child_status"] = status
    records["child_band"] = child_band(records, status)
    records["row_number"] = row_numbers[: len(records)]

    bad_rows = (problems != "").to_numpy()
    for position in np.flatnonzero(bad_rows):
        quarantined.append(QuarantinedRow(int(row_numbers[position]), raw_line(int(position)),
                                          problems.iloc[position]))
    records = records.loc[~bad_rows].reset_index(drop=True)
    _warn_constant_false(records, name, warnings)

    records["fingerprint"] = identity.content_fingerprint(records)
    records["occurrence"] = identity.occurrence_index(records["force"], records["month"],
                                                      records["fingerprint"].to_numpy())
    quarantined.sort(key=lambda row: row.row_number)
    return ParsedFile(name=name, sha256=sha256_of(data), format=fmt, records=records, rows_read=rows_read,
                      quarantined=quarantined, warnings=warnings, mapped_fields=PUBLIC_FIELDS)


def _warn_constant_false(records: pd.DataFrame, name: str, warnings: list[str]) -> None:
    """A find flag that is False on every record of a large force-month is an artefact (Met API)."""
    if records.empty:
        return
    flags = records[["force", "month", "outcome_linked"]].copy()
    grouped = flags.groupby(["force", "month"], sort=True)["outcome_linked"]
    summary = pd.DataFrame({"rows": grouped.size(), "false": grouped.apply(lambda s: int((s == False).sum())),  # noqa: E712
                            "recorded": grouped.count()})
    suspicious = summary[(summary["rows"] >= CONSTANT_FALSE_MIN_ROWS) & (summary["false"] == summary["rows"])]
    for (force, month), _ in suspicious.iterrows():
        mask = (records["force"] == force) & (records["month"] == month)
        records.loc[mask, "outcome_linked"] = pd.NA
        warnings.append(
            f"{name}: 'outcome linked to object of search' is false on every one of "
            f"{int(mask.sum())} records for {force} {month}: probably not recorded at source, "
            "so it is stored as not recorded (find rates will say so)")
