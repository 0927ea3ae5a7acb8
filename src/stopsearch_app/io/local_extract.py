"""Local extracts: a force's own CSV or XLSX with arbitrary headers, read through a column mapping
(shared/spec/records.md, "Local extracts").

Values are parsed leniently but honestly: yes/no/Y/N/true/false/1/0 for booleans, blank for "not
recorded", UK day-first dates, police.uk spellings or canonical codes for categories. Every value
that cannot be read is reported by row and column; the row is quarantined or the field left blank,
as the mapping says, never guessed.
"""

from __future__ import annotations

import csv
import io
import math
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from stopsearch_app.domain import identity, vocab
from stopsearch_app.domain.children import child_band, child_status
from stopsearch_app.domain.records import FIELD_BY_NAME, FieldKind, SourceFormat
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.mapping import ColumnMapping, MappingError, guess_mapping, identity_mapping, value_synonyms
from stopsearch_app.io.parsed import ParsedFile, QuarantinedRow
from stopsearch_app.io.policeuk import UNKNOWN_FORCE, force_from_name, sha256_of

BOOL_TOKENS = {"yes": True, "y": True, "true": True, "t": True, "1": True, "no": False, "n": False,
               "false": False, "f": False, "0": False}
BLANK_TOKENS = {"", "not recorded", "n/a", "na", "unknown", "none", "null", "-"}
MAX_REPORTED_PROBLEMS = 200
# Fields whose value list is open (free text kept as recorded) although they are categories.
OPEN_CATEGORIES = {"borough", "bcu", "authorising_rank", "officer_station", "force"}


@dataclass(frozen=True)
class ValueProblem:
    row_number: int  # spreadsheet row (header = 1)
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        return f"row {self.row_number}, column '{self.column}': '{self.value}' {self.message}"


@dataclass
class LocalTable:
    """The extract as text cells, before mapping (what the mapping dialog previews)."""

    headers: list[str]
    rows: pd.DataFrame  # all cells as str, "" where empty
    warnings: list[str]


# --- reading the cells -----------------------------------------------------------------------------

def read_table(data: bytes, name: str) -> LocalTable:
    if not data.strip():
        raise ImportRefused(name, "the file is empty")
    if name.lower().endswith(".xlsx") or data[:4] == b"PK\x03\x04":
        return _read_xlsx(data, name)
    if b"\x00" in data[:4096]:
        raise ImportRefused(name, "this is a binary file, not a CSV or XLSX extract")
    warnings: list[str] = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        warnings.append(f"{name}: not valid UTF-8; read as Windows-1252")
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    try:
        frame = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, sep=delimiter,
                            skip_blank_lines=True, on_bad_lines="error")
    except (pd.errors.ParserError, ValueError) as error:
        raise ImportRefused(name, f"the CSV cannot be read: {error}") from error
    headers = [str(column).strip() for column in frame.columns]
    frame.columns = headers
    _refuse_duplicate_headers(headers, name)
    return LocalTable(headers, frame, warnings)


def _refuse_duplicate_headers(headers: list[str], name: str) -> None:
    seen: set[str] = set()
    for header in headers:
        if header in seen:
            raise ImportRefused(name, f"two columns are both headed '{header}': rename one")
        seen.add(header)


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.isoformat()
    if isinstance(value, float):
        if math.isfinite(value) and value.is_integer():
            return str(int(value))
        return repr(value)
    return str(value).strip()


def _read_xlsx(data: bytes, name: str) -> LocalTable:
    from openpyxl import load_workbook
    from openpyxl.utils.exceptions import InvalidFileException

    try:
        values_book = load_workbook(io.BytesIO(data), data_only=True)
        formula_book = load_workbook(io.BytesIO(data), data_only=False)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        raise ImportRefused(name, f"not a readable XLSX workbook ({error})") from error
    sheet = values_book.worksheets[0]
    formulas = formula_book.worksheets[0]
    warnings: list[str] = []
    if len(values_book.worksheets) > 1:
        warnings.append(f"{name}: only the first sheet ('{sheet.title}') was read; the workbook has "
                        f"{len(values_book.worksheets)} sheets")
    grid = [[cell for cell in row] for row in sheet.iter_rows(values_only=True)]
    # Merged cells hold their value in the top-left cell only: give it to every cell of the range.
    for merged in list(sheet.merged_cells.ranges):
        top_left = grid[merged.min_row - 1][merged.min_col - 1] if merged.min_row - 1 < len(grid) else None
        for row in range(merged.min_row, merged.max_row + 1):
            for column in range(merged.min_col, merged.max_col + 1):
                if row - 1 < len(grid) and column - 1 < len(grid[row - 1]):
                    grid[row - 1][column - 1] = top_left
        warnings.append(f"{name}: cells {merged.coord} are merged; their value '{_cell_text(top_left)}' was used "
                        f"for every row {merged.min_row}-{merged.max_row}")
    for row in formulas.iter_rows():
        for cell in row:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                saved = grid[cell.row - 1][cell.column - 1] if cell.row - 1 < len(grid) else None
                if saved is None:
                    warnings.append(f"{name}: cell {cell.coordinate} holds a formula ({cell.value}) with no saved "
                                    "value; it is read as blank (open and save the file in Excel to keep the value)")
                else:
                    warnings.append(f"{name}: cell {cell.coordinate} holds a formula ({cell.value}); its saved value "
                                    f"'{_cell_text(saved)}' was used")
    while grid and all(value is None for value in grid[-1]):
        grid.pop()
    if not grid:
        raise ImportRefused(name, "the first sheet is empty")
    headers = [_cell_text(value) for value in grid[0]]
    while headers and not headers[-1]:
        headers.pop()
    _refuse_duplicate_headers(headers, name)
    body = [[_cell_text(value) for value in row[: len(headers)]] + [""] * max(0, len(headers) - len(row))
            for row in grid[1:] if any(value is not None for value in row)]
    return LocalTable(headers, pd.DataFrame(body, columns=headers, dtype=object), warnings)


# --- parsing values ----------------------------------------------------------------------------

class _Parser:
    """Turns one mapped column of text into canonical values, collecting problems per row."""

    def __init__(self, mapping: ColumnMapping, row_numbers: np.ndarray) -> None:
        self.mapping = mapping
        self.row_numbers = row_numbers
        self.problems: list[ValueProblem] = []
        self.bad_rows: set[int] = set()

    def _problem(self, position: int, column: str, value: str, message: str) -> None:
        self.problems.append(ValueProblem(int(self.row_numbers[position]), column, value, message))
        self.bad_rows.add(position)

    def parse(self, column: str, field_name: str, texts: pd.Series) -> pd.Series:
        kind = FIELD_BY_NAME[field_name].kind
        method = {FieldKind.BOOL: self._bool, FieldKind.INT: self._int, FieldKind.FLOAT: self._float,
                  FieldKind.DATETIME: self._datetime, FieldKind.CATEGORY: self._category,
                  FieldKind.TEXT: self._text}[kind]
        return method(column, field_name, texts)

    @staticmethod
    def _blank(text: str) -> bool:
        return text.strip().casefold() in BLANK_TOKENS

    def _each(self, column: str, texts: pd.Series, convert, message: str, dtype: str) -> pd.Series:
        out: list[object] = []
        for position, text in enumerate(texts.tolist()):
            if self._blank(text):
                out.append(None)
                continue
            value = convert(text.strip())
            if value is None:
                self._problem(position, column, text, message)
            out.append(value)
        return pd.Series(pd.array(out, dtype=dtype), index=texts.index)

    def _bool(self, column: str, _field: str, texts: pd.Series) -> pd.Series:
        return self._each(column, texts, lambda t: BOOL_TOKENS.get(t.casefold()), "is not yes/no", "boolean")

    def _int(self, column: str, field_name: str, texts: pd.Series) -> pd.Series:
        upper = 120 if field_name == "age_years" else 10_000

        def convert(text: str) -> int | None:
            try:
                number = float(text)
            except ValueError:
                return None
            return int(number) if number.is_integer() and 0 <= number <= upper else None

        return self._each(column, texts, convert, f"is not a whole number from 0 to {upper}", "Int64")

    def _float(self, column: str, _field: str, texts: pd.Series) -> pd.Series:
        def convert(text: str) -> float | None:
            try:
                return float(text)
            except ValueError:
                return None

        return self._each(column, texts, convert, "is not a number", "Float64")

    def _datetime(self, column: str, _field: str, texts: pd.Series) -> pd.Series:
        zone = self.mapping.local_timezone
        out: list[object] = []
        for position, text in enumerate(texts.tolist()):
            if self._blank(text):
                out.append(pd.NaT)
                continue
            try:
                moment = pd.Timestamp(text.strip()) if "T" in text or "-" in text[:5] else \
                    pd.to_datetime(text.strip(), dayfirst=self.mapping.dayfirst)
            except (ValueError, OverflowError):
                moment = None
            if moment is None or pd.isna(moment):
                self._problem(position, column, text, "is not a date and time")
                out.append(pd.NaT)
                continue
            if moment.tzinfo is None:
                # A time written without an offset is London time (BST in summer).
                moment = moment.tz_localize(zone, ambiguous=True, nonexistent="shift_forward")
            out.append(moment.tz_convert("UTC"))
        return pd.Series(pd.to_datetime(pd.Series(out, dtype=object), utc=True), index=texts.index)

    def _category(self, column: str, field_name: str, texts: pd.Series) -> pd.Series:
        spec = FIELD_BY_NAME[field_name]
        police_tables = {"search_type": vocab.vocabulary().search_type, "gender": vocab.vocabulary().gender,
                         "age_range": {**vocab.vocabulary().age_range, **vocab.vocabulary().age_range_excel_damage},
                         "officer_defined_ethnicity": vocab.vocabulary().officer_defined_ethnicity}
        synonyms = {key.casefold(): value for key, value in value_synonyms(field_name).items()}
        synonyms.update({key.casefold(): value for key, value in police_tables.get(field_name, {}).items()})
        synonyms.update({choice.casefold(): choice for choice in spec.choices})
        synonyms.update({choice.replace("_", " ").casefold(): choice for choice in spec.choices})
        open_list = not spec.choices or field_name in OPEN_CATEGORIES

        def convert(text: str) -> str | None:
            cleaned = vocab.clean_text(text)
            if cleaned is None:
                return None
            known = synonyms.get(cleaned.casefold())
            if known is not None:
                return known
            return cleaned if open_list else None

        message = f"is not one of: {', '.join(spec.choices)}" if spec.choices else "is not readable"
        return self._each(column, texts, convert, message, "object")

    def _text(self, _column: str, _field: str, texts: pd.Series) -> pd.Series:
        return texts.map(lambda t: None if self._blank(t) else t.strip()).astype(object)


# --- the reader -----------------------------------------------------------------------------------

def resolve_mapping(table: LocalTable, mapping: ColumnMapping | None, name: str) -> ColumnMapping:
    if mapping is None:
        mapping = identity_mapping(table.headers)
        if "occurred_at" not in mapping.mapped_fields:
            mapping = guess_mapping(table.headers)
    missing = [header for header in mapping.columns if header and header not in table.headers]
    if missing:
        raise ImportRefused(name, "the mapping names columns this file does not have: "
                                  + ", ".join(f"'{m}'" for m in missing) + " (headers renamed? map them again)")
    try:
        mapping.validate()
    except MappingError as error:
        raise ImportRefused(name, f"the column mapping cannot be used: {error}") from error
    return mapping


def read_local_extract(data: bytes, name: str, mapping: ColumnMapping | None = None,
                       force: str | None = None) -> ParsedFile:
    table = read_table(data, name)
    mapping = resolve_mapping(table, mapping, name)
    return parse_table(table, mapping, name, sha256_of(data), force)


def parse_table(table: LocalTable, mapping: ColumnMapping, name: str, sha256: str = "",
                force: str | None = None) -> ParsedFile:
    """Map and parse the cells; rows with unreadable values are quarantined or blanked (mapping.on_bad_value)."""
    warnings = list(table.warnings)
    rows = table.rows.reset_index(drop=True)
    row_numbers = np.arange(2, len(rows) + 2, dtype=np.int64)
    parser = _Parser(mapping, row_numbers)
    records = pd.DataFrame(index=rows.index)
    for column, field_name in mapping.columns.items():
        if field_name:
            records[field_name] = parser.parse(column, field_name, rows[column].astype(str))

    if "occurred_at" in records:
        for position in np.flatnonzero(records["occurred_at"].isna().to_numpy()):
            if position not in parser.bad_rows:
                parser._problem(int(position), _source_of(mapping, "occurred_at"), "", "is blank: every search needs a date")
    force_value = force or mapping.force or force_from_name(name)
    if "force" not in records or records["force"].isna().all():
        if force_value is None:
            warnings.append(f"{name}: no force given (mapping, --force or a force column); records filed under "
                            f"'{UNKNOWN_FORCE}'")
        records["force"] = force_value or UNKNOWN_FORCE
    else:
        records["force"] = records["force"].fillna(force_value or UNKNOWN_FORCE).str.lower()

    quarantine_rows = mapping.on_bad_value == "quarantine"
    reported = parser.problems[:MAX_REPORTED_PROBLEMS]
    if parser.problems:
        action = "row quarantined" if quarantine_rows else "value left blank (not recorded)"
        warnings.extend(f"{name}: {problem} ({action})" for problem in reported
                        if not (quarantine_rows and problem.column == _source_of(mapping, "occurred_at")))
        if len(parser.problems) > len(reported):
            warnings.append(f"{name}: … and {len(parser.problems) - len(reported)} more unreadable values")
    bad = np.zeros(len(records), dtype=bool)
    date_bad = records["occurred_at"].isna().to_numpy() if "occurred_at" in records else np.ones(len(records), bool)
    if quarantine_rows:
        bad[list(parser.bad_rows)] = True
    bad |= date_bad  # no date: the record cannot be placed in a month, whatever the setting

    if "source_ref" in records:
        refs = records["source_ref"]
        duplicate = refs.notna() & refs.duplicated(keep="first") & ~pd.Series(bad)
        for position in np.flatnonzero(duplicate.to_numpy()):
            parser.problems.append(ValueProblem(int(row_numbers[position]), _source_of(mapping, "source_ref"),
                                                str(refs.iloc[position]), "appears twice in this file"))
        bad |= duplicate.to_numpy()

    quarantined = []
    problems_by_row: dict[int, list[str]] = {}
    for problem in parser.problems:
        problems_by_row.setdefault(problem.row_number, []).append(str(problem))
    for position in np.flatnonzero(bad):
        line = int(row_numbers[position])
        quarantined.append(QuarantinedRow(line, _row_text(rows.iloc[position]),
                                          "; ".join(problems_by_row.get(line, ["unreadable row"]))))
    records = records.loc[~bad].reset_index(drop=True)
    records = _derive(records)
    return ParsedFile(name=name, sha256=sha256, format=SourceFormat.LOCAL, records=records, rows_read=len(rows),
                      quarantined=quarantined, warnings=warnings, mapped_fields=mapping.mapped_fields)


def _source_of(mapping: ColumnMapping, field_name: str) -> str:
    return next((column for column, target in mapping.columns.items() if target == field_name), field_name)


def _row_text(row: pd.Series) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="").writerow([str(value) for value in row.tolist()])
    return buffer.getvalue()


def _derive(records: pd.DataFrame) -> pd.DataFrame:
    """The derived columns and identity of police.uk records, for local ones."""
    if records.empty:
        for column in ("month", "power", "outcome_code", "sde_group", "child_status", "child_band"):
            records[column] = pd.Series(dtype=object)
        records["fingerprint"] = pd.Series(dtype=np.int64)
        records["occurrence"] = pd.Series(dtype=np.int64)
        return records
    local = records["occurred_at"].dt.tz_convert("Europe/London")
    records["month"] = (local.dt.year.astype(str) + "-" + local.dt.month.astype(str).str.zfill(2)).astype(object)
    for name in ("self_defined_ethnicity", "legislation", "object_of_search", "outcome"):
        if name in records:
            records[name] = vocab.clean_series(records[name])
    records["power"] = vocab.powers(records["legislation"]) if "legislation" in records else None
    records["outcome_code"] = vocab.outcome_codes(records["outcome"]) if "outcome" in records else None
    records["sde_group"] = vocab.sde_groups(records["self_defined_ethnicity"]) \
        if "self_defined_ethnicity" in records else None
    if "age_range" not in records and "age_years" in records:
        records["age_range"] = _age_range_of(records["age_years"])
    status = child_status(records)
    records["child_status"] = status
    records["child_band"] = child_band(records, status)
    if "source_ref" in records and records["source_ref"].notna().all():
        records["fingerprint"] = identity.local_fingerprint(records["source_ref"])
        records["occurrence"] = 0
    else:
        records["fingerprint"] = identity.content_fingerprint(records)
        records["occurrence"] = identity.occurrence_index(records["force"], records["month"],
                                                          records["fingerprint"])
    return records


def _age_range_of(ages: pd.Series) -> pd.Series:
    """The police.uk band of an exact age, so public and local records chart together."""
    bins = [-1, 9, 17, 24, 34, 200]
    labels = ["under 10", "10-17", "18-24", "25-34", "over 34"]
    return pd.cut(ages.astype("Float64").astype(float), bins=bins, labels=labels).astype(object).where(ages.notna(), None)


# --- registration with io/reader_registry: a mapping or a workbook asks for this reader; a CSV with
# the shipped template's canonical headers is one when no police.uk layout claims it ---

def _has_canonical_headers(head: bytes) -> bool:
    first_line = head[: head.find(b"\n") if b"\n" in head else len(head)].decode("utf-8-sig", errors="replace")
    headers = {cell.strip() for cell in first_line.split(",")}
    return "occurred_at" in headers and len(headers & set(FIELD_BY_NAME)) >= 5


def _sniff(source, head: bytes, request) -> int:
    from stopsearch_app.io.reader_registry import ASKED, FALLBACK, NO

    if request.mapping is not None or source.suffix == ".xlsx":
        return ASKED
    return FALLBACK if _has_canonical_headers(head) else NO


def _register() -> None:
    from stopsearch_app.io.reader_registry import Reader, register

    register(Reader("local", sniff=_sniff, open=lambda source, request: read_local_extract(
        source.read_bytes(), source.name, mapping=request.mapping, force=request.force).as_stream()))


_register()
