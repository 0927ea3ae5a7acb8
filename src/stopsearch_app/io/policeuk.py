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
from collections.abc import Callable, Iterator
from pathlib import PurePath

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from stopsearch_app.domain import identity, vocab
from stopsearch_app.domain.children import child_band, child_status
from stopsearch_app.domain.records import PUBLIC_FIELDS, SourceFormat
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.parsed import Chunk, FileStream, ParsedFile, QuarantinedRow

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
    if not data[:65536].strip() and not data.strip():
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
    end = data.find(b"\n")
    first_line = data if end < 0 else data[:end]
    text = _decode(first_line, name, [])
    return [cell.strip() for cell in next(csv.reader([text.rstrip("\r")]), [])]


def stream_policeuk(data: bytes, name: str, force: str | None = None,
                    fmt: SourceFormat | None = None, sha256: str | None = None) -> FileStream:
    """Read any police.uk layout chunk by chunk (the importer writes one chunk while the next is parsed).
    ``sha256`` is the caller's digest of ``data`` when it has worked it out already."""
    fmt = fmt or detect_format(data, name)
    sha256 = sha256 if sha256 is not None else sha256_of(data)
    warnings: list[str] = []
    if fmt is SourceFormat.POLICEUK_JSON:
        stream = FileStream(name, sha256, fmt, iter(()), total_bytes=len(data),
                            mapped_fields=PUBLIC_FIELDS, warnings=warnings)
        stream.chunks = _json_chunks(data, name, force, stream)
        return stream
    if fmt not in (SourceFormat.POLICEUK_CSV, SourceFormat.POLICEUK_FLAT):
        raise ImportRefused(name, f"{fmt} is not a police.uk format")
    header = _header_of(data, name)
    if fmt is SourceFormat.POLICEUK_CSV:
        unexpected = [column for column in header if column and column not in ARCHIVE_TO_CANONICAL]
        if unexpected:
            warnings.append(f"{name}: ignored columns not in the police.uk archive layout: {', '.join(unexpected)}")
    stream = FileStream(name, sha256, fmt, iter(()), total_bytes=len(data), mapped_fields=PUBLIC_FIELDS,
                        warnings=warnings)
    stream.chunks = _csv_chunks(data, name, header, force, stream)
    return stream


def read_policeuk(data: bytes, name: str, force: str | None = None,
                  fmt: SourceFormat | None = None) -> ParsedFile:
    """Read a whole police.uk file into one frame (tests, small files; the importer streams)."""
    stream = stream_policeuk(data, name, force, fmt)
    chunks = list(stream.chunks)
    records = pd.concat([chunk.records for chunk in chunks], ignore_index=True) if chunks else pd.DataFrame()
    for force_name, month in stream.blank_find_flags:
        records.loc[(records["force"] == force_name) & (records["month"] == month), "outcome_linked"] = pd.NA
    quarantined = sorted((row for chunk in chunks for row in chunk.quarantined), key=lambda row: row.row_number)
    return ParsedFile(name=name, sha256=stream.sha256, format=stream.format, records=records,
                      rows_read=sum(chunk.rows_read for chunk in chunks), quarantined=quarantined,
                      warnings=stream.warnings, mapped_fields=PUBLIC_FIELDS)


# --- CSV layouts -------------------------------------------------------------------------------

CHUNK_BYTES = 1 << 25  # ~150,000 police.uk rows: parsing one overlaps with writing the last
# The first blocks are small so the writer has rows within ~0.1 s instead of waiting for a whole
# 32 MiB block (measured: 0.65 s); each is twice the last because parsing runs about twice as fast
# as writing, and later blocks are large because each costs a fixed overhead. Each of these pieces
# is read as one block: the first 32 MiB block of the rest of the file, read by the rest's reader,
# reached the writer 0.25-0.3 s later than as a piece of its own (a million rows: fourth chunk at
# 1.28-1.50 s -> 1.03-1.19 s, import 3.78-4.03 s -> 3.54-3.81 s).
RAMP_BYTES = (1 << 22, 1 << 23, 1 << 24, 1 << 25)
_TYPED_COLUMNS = {"Date": pa.timestamp("ms", tz="UTC"), "datetime": pa.timestamp("ms", tz="UTC"),
                  "Latitude": pa.float64(), "Longitude": pa.float64(),
                  "location.latitude": pa.float64(), "location.longitude": pa.float64()}


def _pieces(data: bytes) -> list[tuple[int, int]]:
    """(start, end) byte ranges of the file that Arrow reads one after the other. Each cut is just
    after a newline outside quotes (an even number of quote characters before it; a doubled quote
    inside a field counts twice), so no row, not even one with a quoted line break, is split."""
    bounds, start = [], 0
    for size in RAMP_BYTES:
        cut = data.find(b"\n", start + size) + 1
        while cut > 0 and data.count(b'"', 0, cut) % 2:
            cut = data.find(b"\n", cut) + 1
        if cut <= 0 or cut >= len(data):
            break
        bounds.append((start, cut))
        start = cut
    bounds.append((start, len(data)))
    return bounds


def _rows_before(data: bytes, end: int) -> int:
    """Rows before byte ``end`` as Arrow numbers them: a line break inside quotes does not end a
    row, and an empty line is skipped, not counted."""
    text = np.frombuffer(data, dtype=np.uint8, count=end)
    newlines = np.flatnonzero(text == 0x0A)
    quotes = np.flatnonzero(text == 0x22)
    row_ends = newlines[np.searchsorted(quotes, newlines) % 2 == 0] if len(quotes) else newlines
    gaps = np.diff(row_ends)
    empty = np.count_nonzero(gaps == 1) + np.count_nonzero((gaps == 2) & (text[row_ends[1:] - 1] == 0x0D))
    return len(row_ends) - int(empty)


def _csv_chunks(data: bytes, name: str, header: list[str], force: str | None, stream: FileStream) -> Iterator[Chunk]:
    """Arrow reads the text one block at a time (strings dictionary-encoded); dates and coordinates
    are converted by Arrow when every value in the block allows it, else checked row by row. Rows with
    the wrong number of fields are quarantined with their row number (see QuarantinedRow)."""
    warnings = stream.warnings
    encoding = "utf8"
    try:
        # ASCII is UTF-8 and isascii() is a fast scan; decoding only to validate made and dropped a
        # string as long as the file (0.08 s of a million rows, before the first chunk).
        if not data.isascii():
            data.decode("utf-8")
    except UnicodeDecodeError:
        warnings.append(f"{name}: not valid UTF-8; read as Windows-1252")
        encoding = "cp1252"
    invalid: list[QuarantinedRow] = []
    lines_before_piece = 0  # rows (as Arrow counts them) before the piece it is reading

    def on_invalid(row: pacsv.InvalidRow) -> str:
        invalid.append(QuarantinedRow(
            row_number=int(row.number) + lines_before_piece if row.number is not None else -1,
            raw_text=row.text,
            reason=f"row has {row.actual_columns} fields, expected {row.expected_columns}"
                   + (" (file truncated?)" if row.actual_columns < row.expected_columns else ""),
        ))
        return "skip"

    column_types = {column: (pa.string() if column.strip() in _TYPED_COLUMNS
                             else pa.dictionary(pa.int32(), pa.string())) for column in header}
    view = memoryview(data)
    column_names: list[str] = []  # as Arrow read them from the header; the later pieces have none

    def open_piece(start: int, end: int, one_block: bool) -> pacsv.CSVStreamingReader:
        return pacsv.open_csv(
            pa.BufferReader(pa.py_buffer(view[start:end])),
            # One thread: Arrow then reports each bad row's line number.
            read_options=pacsv.ReadOptions(encoding=encoding, use_threads=False,
                                           block_size=end - start + 1 if one_block
                                           else min(CHUNK_BYTES, end - start + 1),
                                           column_names=column_names or None),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(column_types=column_types, strings_can_be_null=True,
                                                 null_values=[""], quoted_strings_can_be_null=True))

    forces = _ForceResolver(name, force, warnings)
    state = _FileState()
    next_line = 2
    reported_invalid = 0
    pieces = _pieces(data)
    for index, (start, end) in enumerate(pieces):
        # Before open_csv: it parses the piece's first block, and reports its bad rows, at once.
        lines_before_piece = _rows_before(data, start) if start else 0
        try:
            # A ramp piece in one block; not one that a stray quote stretched (_pieces moves a cut on
            # to an even count of quotes): that one is read in blocks of CHUNK_BYTES like the rest.
            one_block = index < len(pieces) - 1 and end - start <= 2 * CHUNK_BYTES
            reader = open_piece(start, end, one_block)
        except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
            raise ImportRefused(name, f"the CSV cannot be parsed: {error}") from error
        column_names = column_names or reader.schema.names
        batches = iter(reader)
        while True:
            try:
                batch = next(batches)
            except StopIteration:
                break
            except (pa.ArrowInvalid, pa.ArrowTypeError) as error:
                raise ImportRefused(name, f"the CSV cannot be parsed: {error}") from error
            frame = _batch_to_frame(batch)
            # Row numbers of the kept rows: the next numbers not taken by a quarantined row.
            skipped = {row.row_number for row in invalid if row.row_number >= next_line}
            window = np.arange(next_line, next_line + len(frame) + len(skipped), dtype=np.int64)
            lines = window[~np.isin(window, list(skipped))][: len(frame)] if skipped else window[: len(frame)]
            if len(lines):
                next_line = int(lines[-1]) + 1
            raw = (frame[list(ARCHIVE_HEADER)].rename(columns=ARCHIVE_TO_CANONICAL)
                   if stream.format is SourceFormat.POLICEUK_CSV else _api_frame_to_raw(frame, name, warnings))
            chunk = _normalise(raw, name, forces, lines, lambda i, frame=frame: _csv_line(frame, i), state)
            chunk.bytes_done = end if one_block else min(end, start + (state.chunks_in_piece + 1) * CHUNK_BYTES)
            new_invalid = invalid[reported_invalid:]
            reported_invalid = len(invalid)
            chunk.quarantined.extend(new_invalid)
            chunk.rows_read += len(new_invalid)
            state.chunks_in_piece += 1
            yield chunk
        state.chunks_in_piece = 0
    if len(invalid) > reported_invalid:
        rest = invalid[reported_invalid:]
        yield Chunk(pd.DataFrame(), list(rest), len(rest), len(data))
    stream.blank_find_flags = state.find_flags.suspicious(name, warnings)


def _batch_to_frame(batch: pa.RecordBatch) -> pd.DataFrame:
    """Columns of the batch as pandas; Arrow converts dates and coordinates when the whole block is clean."""
    columns = {}
    for field_name, column in zip(batch.schema.names, batch.columns):
        target = _TYPED_COLUMNS.get(field_name.strip())
        if target is not None:
            try:
                column = pc.cast(column, target)
            except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
                pass  # keep the text: _parse_datetime / _parse_float check it row by row
        columns[field_name.strip()] = column.to_pandas()
    return pd.DataFrame(columns)


def _csv_line(frame: pd.DataFrame, position: int) -> str:
    buffer = io.StringIO()
    row = ["" if pd.isna(value) else str(value) for value in frame.iloc[position].tolist()]
    csv.writer(buffer, lineterminator="").writerow(row)
    return buffer.getvalue()


# --- API JSON --------------------------------------------------------------------------------

def _json_chunks(data: bytes, name: str, force: str | None, stream: FileStream) -> Iterator[Chunk]:
    warnings = stream.warnings
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
    state = _FileState()
    chunk = _normalise(raw, name, _ForceResolver(name, force, warnings), np.asarray(positions, dtype=np.int64),
                       lambda i: json.dumps(good[i], default=str)[:4000], state)
    chunk.quarantined.extend(quarantined)
    chunk.rows_read += len(quarantined)
    chunk.bytes_done = len(data)
    yield chunk
    stream.blank_find_flags = state.find_flags.suspicious(name, warnings)


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

_BAD = object()  # a value that is neither blank nor readable


def _per_distinct(series: pd.Series, mapper) -> tuple[list[object], np.ndarray]:
    """``mapper`` over the distinct values; returns their results and each row's code (-1 blank)."""
    categorical = vocab.as_categorical(series)
    return [mapper(value) for value in categorical.cat.categories], categorical.cat.codes.to_numpy()


def _parse_bool(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Nullable booleans and a mask of values that are neither blank nor a boolean token."""
    def token(value: object) -> object:
        if isinstance(value, bool):
            return value
        text = vocab.clean_text(value)
        return None if text is None else BOOL_TOKENS.get(text.casefold(), _BAD)

    mapped, codes = _per_distinct(series, token)
    state = np.array([1 if m is True else 0 if m is False else 2 if m is _BAD else -1 for m in mapped] + [-1],
                     dtype=np.int8)[codes]  # code -1 takes the trailing "blank"
    values = pd.arrays.BooleanArray(state == 1, (state == -1) | (state == 2))
    return pd.Series(values, index=series.index), pd.Series(state == 2, index=series.index)


def _parse_float(series: pd.Series) -> tuple[pd.Series, pd.Series]:
    if pd.api.types.is_float_dtype(series.dtype):
        return series.astype("Float64"), pd.Series(False, index=series.index)

    def number(value: object) -> object:
        text = vocab.clean_text(value)
        if text is None:
            return None
        try:
            return float(text)
        except ValueError:
            return _BAD

    mapped, codes = _per_distinct(series, number)
    numbers = np.array([m if isinstance(m, float) else np.nan for m in mapped] + [np.nan], dtype=float)[codes]
    bad = np.array([m is _BAD for m in mapped] + [False], dtype=bool)[codes]
    values = pd.arrays.FloatingArray(np.nan_to_num(numbers), np.isnan(numbers))
    return pd.Series(values, index=series.index), pd.Series(bad, index=series.index)


def _parse_datetime(series: pd.Series) -> tuple[pd.Series, pd.Series, pd.Series]:
    """UTC timestamps; masks of blank and of unreadable values. Date-only values are midnight UTC."""
    if isinstance(series.dtype, pd.DatetimeTZDtype):
        blank = series.isna()
        return series.dt.tz_convert("UTC").astype("datetime64[ns, UTC]"), blank, pd.Series(False, index=series.index)
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


class _ForceResolver:
    """--force wins; else the file name; else each record's force (API force_id); else 'unknown'."""

    def __init__(self, name: str, force: str | None, warnings: list[str]) -> None:
        if force and not FORCE_SLUG.match(force):
            raise ImportRefused(name, f"'{force}' is not a police.uk force slug (for example metropolitan)")
        self.name, self.warnings = name, warnings
        self.force = force or force_from_name(name)
        self._warned = False

    def column(self, raw: pd.DataFrame) -> pd.Categorical:
        if self.force is None and "force" in raw and raw["force"].notna().any():
            row_force = vocab.map_distinct(raw["force"], lambda v: (vocab.clean_text(v) or "").lower() or None)
            missing = int(row_force.isna().sum())
            if missing:
                row_force = row_force.cat.add_categories([UNKNOWN_FORCE]).fillna(UNKNOWN_FORCE)
                self.warnings.append(f"{self.name}: {missing} record(s) have no force_id and are filed under "
                                     f"'{UNKNOWN_FORCE}'")
            return row_force.array
        force = self.force
        if force is None:
            if not self._warned:
                self.warnings.append(f"{self.name}: no force in the file name (YYYY-MM-<force>-stop-and-search.csv) "
                                     f"or the data; records filed under '{UNKNOWN_FORCE}' (import with --force to "
                                     "name it)")
                self._warned = True
            force = UNKNOWN_FORCE
        return pd.Categorical.from_codes(np.zeros(len(raw), dtype=np.int8), categories=pd.Index([force], dtype=object))


class _FindFlagTally:
    """Counts per force-month of 'outcome linked' False: a flag False on every record of a large
    force-month is an artefact of the source (the Met API), not data."""

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], list[int]] = {}

    def add(self, records: pd.DataFrame) -> None:
        if records.empty:
            return
        flags = pd.DataFrame({"force": records["force"], "month": records["month"],
                              "false": (records["outcome_linked"] == False).fillna(False).astype(bool)})  # noqa: E712
        for (force, month), row in flags.groupby(["force", "month"], observed=True)["false"].agg(["size", "sum"]).iterrows():
            total = self._counts.setdefault((str(force), str(month)), [0, 0])
            total[0] += int(row["size"])
            total[1] += int(row["sum"])

    def suspicious(self, name: str, warnings: list[str]) -> list[tuple[str, str]]:
        found = []
        for (force, month), (rows, false) in sorted(self._counts.items()):
            if rows >= CONSTANT_FALSE_MIN_ROWS and false == rows:
                found.append((force, month))
                warnings.append(
                    f"{name}: 'outcome linked to object of search' is false on every one of {rows} records for "
                    f"{force} {month}: probably not recorded at source, so it is stored as not recorded "
                    "(find rates will say so)")
        return found


class _FileState:
    """What carries from one chunk to the next: occurrence counts and the find-flag tally."""

    def __init__(self) -> None:
        self.occurrences = identity.OccurrenceCounter()
        self.find_flags = _FindFlagTally()
        self.chunks_in_piece = 0


def _normalise(raw: pd.DataFrame, name: str, forces: _ForceResolver, row_numbers: np.ndarray,
               raw_line: Callable[[int], str], state: _FileState) -> Chunk:
    """Raw strings of one chunk to canonical and derived columns; unreadable rows to the quarantine."""
    rows_read = len(raw)
    records = pd.DataFrame(index=raw.index)
    problems = pd.Series("", index=raw.index, dtype=object)
    quarantined: list[QuarantinedRow] = []

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
    month_number = (local.dt.year * 100 + local.dt.month).to_numpy(dtype="float64", na_value=np.nan)
    month_codes, month_numbers = pd.factorize(month_number, use_na_sentinel=True)
    records["month"] = pd.Categorical.from_codes(
        month_codes, categories=pd.Index([f"{int(v) // 100:04d}-{int(v) % 100:02d}" for v in month_numbers],
                                         dtype=object))
    records["force"] = forces.column(raw)

    records["search_type"] = vocab.search_type(raw["search_type"])
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
    records["gender"] = vocab.gender(raw["gender"])
    records["age_range"], repaired = vocab.age_range(raw["age_range"])
    if repaired:
        forces.warnings.append(f"{name}: {repaired} age range value(s) damaged by Excel (e.g. 'Oct-17') "
                               "were repaired to '10-17'")
    records["self_defined_ethnicity"] = vocab.clean_series(raw["self_defined_ethnicity"])
    records["officer_defined_ethnicity"] = vocab.officer_ethnicity(raw["officer_defined_ethnicity"])
    records["legislation"] = vocab.clean_series(raw["legislation"])
    records["object_of_search"] = vocab.clean_series(raw["object_of_search"])
    records["outcome"] = vocab.map_distinct(raw["outcome"], vocab.clean_outcome)
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
    if bad_rows.any():
        records = records.loc[~bad_rows].reset_index(drop=True)
    state.find_flags.add(records)
    records["fingerprint"] = identity.content_fingerprint(records)
    records["occurrence"] = state.occurrences.assign(records["force"], records["fingerprint"].to_numpy())
    return Chunk(records=records, quarantined=quarantined, rows_read=rows_read)


# --- registration with io/reader_registry: the three police.uk layouts, recognised by content ---

def _detected(head: bytes, name: str) -> SourceFormat | None:
    try:
        return detect_format(head, name)
    except ImportRefused:
        return None


def _open_csv(source, request) -> FileStream:
    from stopsearch_app.io.parallel_reader import stream_in_child_process

    if source.suffix == ".csv" and source.member is None and request.mapping is None \
            and request.parallel_min_bytes is not None and source.path.stat().st_size >= request.parallel_min_bytes:
        return stream_in_child_process(source, request.force)
    data = source.read_bytes()
    detected = detect_format(data, source.name)
    if detected is SourceFormat.POLICEUK_JSON:
        raise ImportRefused(source.name, "this is JSON, not a police.uk CSV (use --format auto)")
    return stream_policeuk(data, source.name, request.force, detected)


def _refusal(source, head: bytes) -> str | None:
    try:
        detect_format(head, source.name)
    except ImportRefused as refused:
        return refused.reason
    return None


def _register() -> None:
    from stopsearch_app.io.reader_registry import CONTENT, NO, Reader, register

    register(Reader(
        "policeuk-csv",
        sniff=lambda source, head, request: CONTENT if _detected(head, source.name) in (
            SourceFormat.POLICEUK_CSV, SourceFormat.POLICEUK_FLAT) else NO,
        open=_open_csv, refusal=_refusal))
    register(Reader(
        "policeuk-json",
        sniff=lambda source, head, request: CONTENT if _detected(head, source.name) is SourceFormat.POLICEUK_JSON
        else NO,
        open=lambda source, request: stream_policeuk(source.read_bytes(), source.name, request.force,
                                                     SourceFormat.POLICEUK_JSON)))


_register()
