"""Review packs: a folder a supervisor hands to a scrutiny panel (or keeps for their own review).

``write_pack(folder, content)`` writes:

* ``records.csv``: the selected records, one row each: what the panel needs to judge the search, each
  charter rule's verdict as a column named by the rule ID (``L1`` ... holding ``pass``, ``fail``,
  ``review``, ``not_recorded``, ``not_assessable``, ``not_applicable``; blank when not checked), and the
  stable ``record_id`` that findings and police responses refer to;
* ``findings.csv``: the supervisor and panel findings on those records (active ones);
* ``summary.csv``: per rule the count of each verdict over the selection, then the disproportionality
  table (counts under 10 shown as ``<10`` and their rates left blank), its notes, and the sample's strata;
* ``charts/*.png`` when a chart renderer is given (the desktop app passes one; the command line has
  none and the manifest says so);
* ``manifest.json`` (written last): what was selected and how (filters, sample seed and strata, rule set, Census
  table), when and by whom, the app version, the redaction rule, each file's SHA-256, rows and typed
  columns, and the ``redacted`` flag.

**Redacted (the default)**: no officer, person or vehicle references, no force reference column
(``source_ref``) nor authorisation reference, ``record_id`` a per-pack pseudonym (a keyed hash under a
random key never stored in the pack; :attr:`PackResult.pseudonyms` maps them back for the app that wrote
it), no exact time (the day
only) or coordinates or location text, no exact age (the age band and child band stay), no
safeguarding referral reference (whether one was recorded stays), every free text passed through
:func:`stopsearch_app.domain.review.redact` (columns renamed ``..._redacted``), findings without the
reviewer's name, and counts under 10 suppressed in every aggregate. **Unredacted** (``--no-redact``):
everything, and the manifest says ``"redacted": false`` and that the pack is for the supervisor's own
use only.

The folder is written beside the target and renamed into place, the manifest last; folders 0o700, files
0o600 (:mod:`stopsearch_app.io.pack_folder`). The CSVs follow :mod:`stopsearch_app.io.pack_csv` (UTF-8 with BOM, formula-injection escaping, date-like
text kept as text); :func:`read_pack` reads a pack back to the same values and checks the hashes.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import math
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd

from stopsearch_app.domain import review
from stopsearch_app.domain.charter.verdicts import VERDICT_KEYS
from stopsearch_app.domain.records import GOWISELY_ITEMS
from stopsearch_app.io import pack_folder
from stopsearch_app.io.pack_csv import CONVENTIONS, SUPPRESSED, read_table, sha256_of, write_table

PACK_FORMAT = "stopsearch-review-pack"
PACK_FORMAT_VERSION = "1"
RECORDS, FINDINGS, SUMMARY, MANIFEST = "records.csv", "findings.csv", "summary.csv", "manifest.json"
ALWAYS, REPORT = "always.csv", "report.pdf"
CHARTS_FOLDER = "charts"
SUPPRESS_BELOW = 10
LONDON = ZoneInfo("Europe/London")
REDACTED_PURPOSE = ("Anonymised review pack for a community scrutiny panel. Pattern-based redaction cannot find "
                    "every name: a supervisor must read the pack before it leaves the force.")
UNREDACTED_PURPOSE = ("NOT REDACTED: for the supervisor's own use only. Contains personal data (officer, person and "
                      "vehicle references, exact times and places, unredacted grounds). Do not share.")

ChartRenderer = Callable[[Mapping[str, object], Path], Sequence[Path]]
ReportRenderer = Callable[[Mapping[str, object], Path], None]  # (report_data's dict, the PDF to write)


class PackError(ValueError):
    """A pack that cannot be written or read (the message says why)."""


class PackIntegrityError(PackError):
    """A pack file whose SHA-256 does not match its manifest: it changed after it was written."""


@dataclass
class PackContent:
    """What goes into a pack; assembled by the export service (stopsearch_app.services.commands_export)."""

    records: pd.DataFrame  # canonical columns + record_id [+ sample_position, sample_reason] + one column per rule
    rule_order: Sequence[str]
    always: pd.DataFrame | None = None  # a sample's must-see cases (always.csv), same columns as records
    rule_titles: Mapping[str, str] = field(default_factory=dict)
    findings: Sequence[Mapping[str, object]] = ()  # record_id, kind, status, version, fields..., updated_by/at
    disparity: Mapping[str, object] | None = None  # compute_disparity's result
    disparity_unavailable: str = ""  # why there is no disparity table
    sample_allocation: Mapping[str, tuple[int, int]] | None = None
    manifest: Mapping[str, object] = field(default_factory=dict)  # filters, sample, rule_set, census_table, ...


@dataclass(frozen=True)
class PackResult:
    path: Path
    files: tuple[str, ...]
    records: int
    findings: int
    redacted: bool
    manifest: Mapping[str, object]
    # real record id -> the pack's pseudonym (redacted packs); kept by the caller, never in the pack
    pseudonyms: Mapping[str, str] = field(default_factory=dict, repr=False)

    def as_json(self) -> dict[str, object]:
        return {"path": str(self.path), "files": list(self.files), "records": self.records, "redacted": self.redacted,
                "findings": self.findings}


def always_content(content: PackContent) -> PackContent:
    """The must-see list laid out exactly as records.csv (same columns, same redaction)."""
    from dataclasses import replace

    return replace(content, records=content.always if content.always is not None else content.records.iloc[0:0])


# --- records.csv ----------------------------------------------------------------------------------
# (column, type, redacted pack?) in the order written; the rule columns follow.
_LOCAL_FLAGS = ("appears_under_18", "searcher_same_sex", "in_public_view", "aa_present", "aa_signed_record",
                "parent_notified", "safeguarding_considered", "bwv_activated", "bwv_from_outset",
                *(f"gowisely_{item}" for item in GOWISELY_ITEMS), "in_uniform", "receipt_offered", "handcuffed",
                "force_used")
RECORD_COLUMNS: tuple[tuple[str, str, bool], ...] = (
    ("record_id", "text", True),
    ("sample_position", "int", True), ("sample_reason", "text", True),
    ("source_ref", "text", False),
    ("force", "text", True), ("month", "text", True), ("date", "date", True), ("occurred_at", "datetime", False),
    ("borough", "text", True), ("bcu", "text", True), ("location_type", "text", True),
    ("location_text", "text", False), ("latitude", "float", False), ("longitude", "float", False),
    ("child_status", "text", True), ("child_band", "text", True), ("age_range", "text", True),
    ("age_years", "int", False),
    ("gender", "text", True), ("self_defined_ethnicity", "text", True), ("sde_group", "text", True),
    ("officer_defined_ethnicity", "text", True),
    ("search_type", "text", True), ("legislation", "text", True), ("power", "text", True),
    ("object_of_search", "text", True), ("search_level", "text", True), ("removal_more_than_outer", "bool", True),
    ("part_of_operation", "bool", True), ("operation_name", "text", True),
    ("outcome", "text", True), ("outcome_code", "text", True), ("outcome_linked", "bool", True),
    *((name, "bool", True) for name in _LOCAL_FLAGS),
    ("persons_present_count", "int", True), ("detention_minutes", "int", True),
    ("authorisation_ref", "text", False), ("authorising_rank", "text", True), ("authorised_at", "datetime", False),
    ("safeguarding_referral_recorded", "bool", True), ("safeguarding_referral_ref", "text", False),
    ("officer_station", "text", True), ("officer_ref", "text", False), ("person_ref", "text", False),
    ("vehicle_reg", "text", False),
    *((name, "text", True) for name in review.REDACTED_TEXT_FIELDS),
)


def _column(frame: pd.DataFrame, name: str) -> list[object]:
    if name not in frame:
        return [None] * len(frame)
    return [None if _missing(v) else v for v in frame[name].astype(object).tolist()]


def _missing(value: object) -> bool:
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, float) and math.isnan(value)


def _london(values: pd.Series) -> pd.Series:
    moments = pd.to_datetime(values, utc=True)
    return moments.dt.tz_convert(LONDON)


def records_table(content: PackContent, redacted: bool) -> tuple[list[tuple[str, str]], list[list[object]]]:
    frame = content.records.reset_index(drop=True)
    columns: list[tuple[str, str]] = []
    data: list[list[object]] = []
    has_sample = "sample_position" in frame
    for name, kind, in_redacted in RECORD_COLUMNS:
        if redacted and not in_redacted:
            continue
        if name in ("sample_position", "sample_reason") and not has_sample:
            continue
        if name == "date" or name == "occurred_at":
            local = _london(frame["occurred_at"]) if "occurred_at" in frame else pd.Series([pd.NaT] * len(frame))
            values = [None if _missing(v) else (v.date() if name == "date" else v.to_pydatetime()) for v in local]
        elif name == "authorised_at":
            local = _london(frame[name]) if name in frame else pd.Series([pd.NaT] * len(frame))
            values = [None if _missing(v) else v.to_pydatetime() for v in local]
        elif name == "child_band":
            values = [review.CHILD_BAND_LABELS.get(v, v) if isinstance(v, str) else None for v in _column(frame, name)]
        elif name == "safeguarding_referral_recorded":
            refs = _column(frame, "safeguarding_referral_ref")
            local = _column(frame, "source_format")
            values = [bool(ref) if fmt == "local" else None for ref, fmt in zip(refs, local)]
        elif name == "sample_reason":
            values = [review.REASON_LABELS.get(v, v) if v else None for v in _column(frame, name)]
        elif name in review.REDACTED_TEXT_FIELDS:
            raw = _column(frame, name)
            values = [review.redact(v) or None for v in raw] if redacted else raw
            name = f"{name}_redacted" if redacted else name
        else:
            values = _column(frame, name)
            if kind == "int":
                values = [None if v is None else int(v) for v in values]
            elif kind == "float":
                values = [None if v is None else float(v) for v in values]
            elif kind == "bool":
                values = [None if v is None else bool(v) for v in values]
            elif kind == "text":
                values = [None if v is None else str(v) for v in values]
        columns.append((name, kind))
        data.append(values)
    for rule_id in content.rule_order:
        columns.append((rule_id, "text"))
        data.append([v if isinstance(v, str) and v else None for v in _column(frame, rule_id)])
    rows = [list(row) for row in zip(*data)] if data and len(frame) else []
    return columns, rows


# --- findings.csv ---------------------------------------------------------------------------------
def findings_table(content: PackContent, redacted: bool) -> tuple[list[tuple[str, str]], list[list[object]]]:
    columns: list[tuple[str, str]] = [("record_id", "text"), ("kind", "text"), ("status", "text"), ("version", "int")]
    for name in review.FINDING_FIELDS:
        kind = "date" if name in review.DATE_FIELDS else "bool" if name in review.BOOL_FIELDS else "text"
        columns.append((f"{name}_redacted" if redacted and name in review.TEXT_FIELDS else name, kind))
    columns += [("vocabulary_version", "text"), ("updated_at", "date" if redacted else "datetime")]
    if not redacted:
        columns += [("created_by", "text"), ("updated_by", "text")]
    rows = []
    for item in content.findings:
        fields = item.get("fields") or {}
        row: list[object] = [item["record_id"], item["kind"], item.get("status", review.ACTIVE), int(item["version"])]
        for name in review.FINDING_FIELDS:
            value = fields.get(name)
            if name == "rules_addressed":
                value = " ".join(value or ()) or None
            elif name in review.TEXT_FIELDS:
                value = (review.redact(value) if redacted else value) or None
            row.append(value)
        updated = item.get("updated_at")
        if isinstance(updated, datetime):
            updated = updated.astimezone(LONDON)
            updated = updated.date() if redacted else updated
        row += [item.get("vocabulary_version"), updated]
        if not redacted:
            row += [item.get("created_by"), item.get("updated_by")]
        rows.append(row)
    return columns, rows


# --- summary.csv ----------------------------------------------------------------------------------
SUMMARY_COLUMNS: tuple[tuple[str, str], ...] = (
    ("section", "text"), ("item", "text"), ("title", "text"),
    *((key, "count") for key in VERDICT_KEYS), ("not_checked", "count"),
    ("searches", "count"), ("population", "count"), ("rate_per_1000", "float"), ("ratio_vs_white", "float"),
    ("ci_low", "float"), ("ci_high", "float"), ("note", "text"),
)


def _suppress(count: int, suppress: bool) -> object:
    return SUPPRESSED if suppress and 0 < count < SUPPRESS_BELOW else int(count)


def summary_table(content: PackContent, redacted: bool) -> tuple[list[tuple[str, str]], list[list[object]]]:
    names = [name for name, _kind in SUMMARY_COLUMNS]
    rows: list[list[object]] = []

    def add(**values: object) -> None:
        rows.append([values.get(name) for name in names])

    frame = content.records
    for rule_id in content.rule_order:
        column = frame[rule_id].astype(object) if rule_id in frame else pd.Series([None] * len(frame), dtype=object)
        counts = {key: int((column == key).sum()) for key in VERDICT_KEYS}
        not_checked = int(column.map(lambda v: not (isinstance(v, str) and v)).sum())
        add(section="verdicts", item=rule_id, title=content.rule_titles.get(rule_id, ""),
            not_checked=_suppress(not_checked, redacted),
            **{key: _suppress(value, redacted) for key, value in counts.items()})
    if content.disparity:
        result = content.disparity
        for group in result.get("groups", []):  # type: ignore[union-attr]
            searches = int(group.get("searches") or 0)
            small = 0 < searches < SUPPRESS_BELOW
            hidden = small or bool(group.get("suppressed"))
            note = group.get("reason") or ""
            if small:
                note = "fewer than 10 searches: count and rates suppressed"
            add(section="disparity", item=str(group.get("group")), title=str(result.get("label", "")),
                searches=_suppress(searches, True),
                population=None if group.get("population") is None else int(group["population"]),
                rate_per_1000=None if hidden else group.get("rate_per_1000"),
                ratio_vs_white=None if hidden else group.get("ratio_vs_white"),
                ci_low=None if hidden else group.get("ci_low"), ci_high=None if hidden else group.get("ci_high"),
                note=note or None)
        denominator = result.get("denominator") or {}
        period = result.get("period") or {}
        info = [("measure", result.get("label") or result.get("measure")),
                ("period", period.get("label") if isinstance(period, Mapping) else period),
                ("area", result.get("area_label") or result.get("area")),
                ("age", result.get("age_label") or result.get("age")),
                ("ethnicity", result.get("ethnicity_label") or result.get("ethnicity_source")),
                ("denominator", f"{denominator.get('source', '')} ({denominator.get('year', '')})"
                 if isinstance(denominator, Mapping) else denominator)]
        for key, value in info:
            if value:
                add(section="disparity_about", item=key, note=str(value))
        unknown = result.get("unknown_ethnicity")
        if unknown is not None:
            add(section="disparity_about", item="unknown_ethnicity", searches=_suppress(int(unknown), True),
                note="searches with no ethnicity recorded (in no group)")
        for note in result.get("notes", []) or []:  # type: ignore[union-attr]
            add(section="disparity_note", note=str(note))
    elif content.disparity_unavailable:
        add(section="disparity_about", item="unavailable", note=content.disparity_unavailable)
    for stratum, (population, drawn) in (content.sample_allocation or {}).items():
        add(section="sample_strata", item=stratum, searches=_suppress(int(population), redacted),
            note=f"{drawn} drawn at random")
    return list(SUMMARY_COLUMNS), rows


# --- the folder -----------------------------------------------------------------------------------
def _json_default(value: object) -> object:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def write_pack(folder: str | Path, content: PackContent, *, redacted: bool = True,
               chart_renderer: ChartRenderer | None = None, report_renderer: ReportRenderer | None = None,
               now: datetime | None = None) -> PackResult:
    """Write the pack into ``folder`` (created; an existing pack's files are replaced). See the module
    docstring for what each file holds and what redaction removes."""
    target = Path(folder)
    try:
        folder = pack_folder.start(target, MANIFEST)
    except ValueError as error:
        raise PackError(str(error)) from error
    try:
        result = _write_into(folder, content, redacted, chart_renderer, report_renderer, now)
        pack_folder.finish(folder, target)
    except BaseException:
        pack_folder.abandon(folder)
        raise
    return PackResult(target, result.files, result.records, result.findings, result.redacted, result.manifest,
                      result.pseudonyms)


def _pseudonymised(content: PackContent) -> tuple[PackContent, dict[str, str]]:
    """``content`` with every record id (records, must-see cases and findings) replaced by a per-pack pseudonym: a keyed
    hash under a random key that is used once and never stored, so a pack cannot be joined to another
    pack or to the force's data by its ids. The mapping is returned to the caller (the supervisor's app),
    never written into the pack."""
    key = secrets.token_bytes(32)
    tables = [table for table in (content.records, content.always) if table is not None and "record_id" in table]
    ids = [str(value) for table in tables for value in table["record_id"]]
    ids += [str(item["record_id"]) for item in content.findings]
    mapping = {real: "P-" + hmac.new(key, real.encode(), hashlib.sha256).hexdigest()[:16] for real in dict.fromkeys(ids)}

    def renamed(table: pd.DataFrame | None) -> pd.DataFrame | None:
        if table is None or "record_id" not in table:
            return table
        table = table.copy()
        table["record_id"] = [mapping[str(v)] for v in table["record_id"]]
        return table

    findings = [{**item, "record_id": mapping[str(item["record_id"])]} for item in content.findings]
    return replace(content, records=renamed(content.records), always=renamed(content.always),
                   findings=findings), mapping


def _write_into(folder: Path, content: PackContent, redacted: bool, chart_renderer: ChartRenderer | None,
                report_renderer: ReportRenderer | None, now: datetime | None) -> PackResult:
    pseudonyms: dict[str, str] = {}
    if redacted:
        content, pseudonyms = _pseudonymised(content)
    now = now or datetime.now(UTC)
    files: list[dict[str, object]] = []
    tables = [(RECORDS, records_table(content, redacted)), (FINDINGS, findings_table(content, redacted)),
              (SUMMARY, summary_table(content, redacted))]
    if content.always is not None:
        tables.insert(1, (ALWAYS, records_table(always_content(content), redacted)))
    for name, (columns, rows) in tables:
        path = folder / name
        count = write_table(path, columns, rows)
        files.append({"name": name, "rows": count, "columns": [{"name": n, "type": k} for n, k in columns]})
    charts: list[str] = []
    chart_note = "no chart renderer here (command line): the charts are drawn by the app's Disparity tab"
    if chart_renderer is not None and content.disparity:
        chart_folder = folder / CHARTS_FOLDER
        chart_folder.mkdir(exist_ok=True)
        try:
            charts = [Path(p).relative_to(folder).as_posix() for p in chart_renderer(content.disparity, chart_folder)]
            chart_note = f"{len(charts)} chart(s) drawn by the app"
        except Exception as error:  # noqa: BLE001 - a chart must never lose the pack
            chart_note = f"charts could not be drawn: {error}"
    for chart in charts:
        files.append({"name": chart, "rows": None, "columns": None})
    report_note = "no report renderer given"
    if report_renderer is not None:
        from stopsearch_app.io.pack_report import report_data

        try:
            report_renderer(report_data(content, redacted=redacted, charts=[folder / c for c in charts], now=now),
                            folder / REPORT)
            files.append({"name": REPORT, "rows": None, "columns": None})
            report_note = "the panel's printable report"
        except Exception as error:  # noqa: BLE001 - a report must never lose the pack
            report_note = f"the report could not be written: {error}"
    for item in files:
        path = folder / str(item["name"])
        item["sha256"] = sha256_of(path)
        item["bytes"] = path.stat().st_size
    manifest: dict[str, object] = {
        "format": PACK_FORMAT, "format_version": PACK_FORMAT_VERSION,
        "generated_at": now.isoformat(), "redacted": redacted,
        "purpose": REDACTED_PURPOSE if redacted else UNREDACTED_PURPOSE,
        **{key: value for key, value in content.manifest.items() if key not in ("redacted", "files")},
        "records": len(content.records), "findings": len(content.findings),
        **({"always_included": len(content.always)} if content.always is not None else {}),
        "redaction": ({"version": review.redaction_version(), "withheld_fields": list(review.WITHHELD_FIELDS),
                       "redacted_text_fields": [f"{n}_redacted" for n in review.REDACTED_TEXT_FIELDS],
                       "rule": "resources/review/redaction.toml: names, addresses (house number + street, "
                               "postcodes), phone numbers, e-mails, vehicle registrations, dates (of birth), "
                               "person and officer references removed from free text; counts under 10 suppressed"}
                      if redacted else None),
        "charts": {"files": charts, "note": chart_note},
        "report": {"file": REPORT if any(item["name"] == REPORT for item in files) else None, "note": report_note},
        "csv": {"encoding": "utf-8-sig", "conventions": list(CONVENTIONS)},
        "files": files,
    }
    pack_folder.write_manifest_last(folder, MANIFEST, json.dumps(manifest, indent=2, default=_json_default,
                                                                 ensure_ascii=False))
    names = tuple([*(str(item["name"]) for item in files), MANIFEST])
    return PackResult(folder, names, len(content.records), len(content.findings), redacted, manifest, pseudonyms)


@dataclass(frozen=True)
class ReviewPack:
    path: Path
    manifest: Mapping[str, object]
    records: pd.DataFrame
    findings: pd.DataFrame
    summary: pd.DataFrame
    always: pd.DataFrame | None = None  # a sample pack's must-see cases

    @property
    def redacted(self) -> bool:
        return bool(self.manifest.get("redacted"))


def read_pack(folder: str | Path, *, verify: bool = True) -> ReviewPack:
    """Read a pack written by :func:`write_pack`: the manifest, and each CSV as a DataFrame of Python
    values (typed by the manifest, escapes undone). ``verify`` checks every file's SHA-256 first."""
    folder = Path(folder)
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise PackError(f"{folder}: no readable {MANIFEST} ({error})") from error
    if manifest.get("format") != PACK_FORMAT:
        raise PackError(f"{folder}: not a review pack (format {manifest.get('format')!r})")
    if str(manifest.get("format_version")) != PACK_FORMAT_VERSION:
        raise PackError(f"{folder}: pack format {manifest.get('format_version')} is not supported here")
    by_name = {item["name"]: item for item in manifest.get("files", [])}
    if verify:
        for name, item in by_name.items():
            path = folder / name
            if not path.is_file():
                raise PackIntegrityError(f"{name} is missing from the pack")
            if sha256_of(path) != item.get("sha256"):
                raise PackIntegrityError(f"{name} changed after the pack was written (SHA-256 differs)")
    tables = {}
    for name in (RECORDS, FINDINGS, SUMMARY, ALWAYS):
        item = by_name.get(name)
        if item is None and name == ALWAYS:
            continue
        if item is None:
            raise PackError(f"{folder}: the manifest lists no {name}")
        columns = [(column["name"], column["type"]) for column in item["columns"]]
        header, rows = read_table(folder / name, columns)
        tables[name] = pd.DataFrame(rows, columns=header, dtype=object) if rows else pd.DataFrame(
            {column: pd.Series(dtype=object) for column in header})
    return ReviewPack(folder, manifest, tables[RECORDS], tables[FINDINGS], tables[SUMMARY], tables.get(ALWAYS))
