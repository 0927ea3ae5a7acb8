"""The review-pack export: the application service behind ``stopsearch export-pack`` and the app's
"Export review pack…" (no Qt here).

It selects the records (filters as for ``disparity``: force, months, borough, age band; or a dip sample
of them, ``--sample N --seed S``, drawn by :func:`stopsearch_app.domain.review.draw`; or a saved sample),
reads their latest charter verdicts and their findings, computes the disproportionality table when
:mod:`stopsearch_app.services.disparity` is available, and hands everything to
:func:`stopsearch_app.io.review_pack.write_pack`. Redacted unless ``redact=False``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd
from sqlalchemy import Engine

from stopsearch_app import __version__
from stopsearch_app.domain import review
from stopsearch_app.domain.charter.ruleset import run_departures
from stopsearch_app.domain.selection import Selection
from stopsearch_app.io.review_pack import ChartRenderer, PackContent, PackResult, ReportRenderer, write_pack
from stopsearch_app.store.checks import latest_run, verdict_columns
from stopsearch_app.store.frames import load_records
from stopsearch_app.store.queries import Labels, RecordQuery
from stopsearch_app.store.reviews import all_findings, load_sample, search_ids_for

CENSUS_META = ("census", "census2021_la_age_ethnicity.meta.toml")
Progress = Callable[[int, int, str], None]


@dataclass(frozen=True)
class PackRequest:
    """What to export; the ``export-pack`` options. The records are the selection's searches (vehicle-only
    ones too: a pack lists records); its figures are for at most one force and one borough."""

    out: Path
    selection: Selection = field(default_factory=Selection.all_searches)
    area: str = "london"
    measure: str = "rate"
    sample: int | None = None  # draw a dip sample of exactly this many (the must-see cases go to always.csv)
    seed: int | None = None  # the sample's seed (a new one is drawn and recorded when None)
    sample_name: str | None = None  # export a saved sample's records instead (UI)
    redact: bool = True

    def __post_init__(self) -> None:
        if len(self.selection.forces) > 1 or len(self.selection.boroughs) > 1:
            raise ValueError("a pack is for one force and one borough at most")
        if self.sample is not None and self.sample < 1:
            raise ValueError("--sample must be 1 or more")
        if self.seed is not None:
            if self.sample is None:
                raise ValueError("--seed needs --sample N: a seed only chooses a sample")
            review.validate_seed(self.seed)
        if self.sample is not None and self.sample_name:
            raise ValueError("give a sample size or a saved sample, not both")

    @property
    def force(self) -> str | None:
        return self.selection.forces[0] if self.selection.forces else None

    @property
    def borough(self) -> str | None:
        return self.selection.boroughs[0] if self.selection.boroughs else None

    def filters_json(self) -> dict[str, object]:
        chosen = self.selection
        return {"force": self.force, "month_from": chosen.month_from, "month_to": chosen.month_to,
                "borough": self.borough, "age": chosen.age.value, "area": self.area, "ethnicity": chosen.ethnicity,
                "measure": self.measure}


def census_table_info() -> dict[str, object]:
    from stopsearch_app.resources import load_toml

    try:
        meta = load_toml(*CENSUS_META)
    except (OSError, ValueError):
        return {}
    return {"file": CENSUS_META[1].replace(".meta.toml", ".csv"), "source": meta.get("source"),
            "year": meta.get("year"), "classification": meta.get("classification"),
            "source_sha256": meta.get("source_sha256"), "licence": meta.get("licence")}


def disparity_table(engine: Engine, labels: Labels, request: PackRequest) -> tuple[dict | None, str]:
    """compute_disparity's result for the request, or (None, why not)."""
    from stopsearch_app.services.disparity import compute_disparity

    try:
        return compute_disparity(engine, labels, **figure_request(request)), ""
    except ValueError as error:  # DisparityUnavailable and bad requests: the pack says why
        return None, str(error)


def export_pack(engine: Engine, request: PackRequest, *, user: str, labels: Labels | None = None,
                chart_renderer: ChartRenderer | None = None, progress: Progress | None = None,
                report_renderer: ReportRenderer | None = None) -> PackResult:
    """Select, assemble and write the pack (see the module docstring). ValueError when nothing matches."""
    labels = labels or Labels(engine)
    step = (lambda done, message: progress(done, 5, message)) if progress else (lambda done, message: None)
    step(0, "selecting records")
    sample_info: dict[str, object] | None = None
    allocation = None
    if request.sample_name:
        saved = load_sample(engine, request.sample_name)
        rows = search_ids_for(engine, labels, saved.record_ids)  # the members' current rows (after re-imports)
        frame = load_records(engine, RecordQuery(record_ids=tuple(rows.values()) or (-1,)), labels)
        frame["record_id"] = review.record_ids_of(frame) if len(frame) else pd.Series([], dtype=object)
        positions = {member.record_id: member for member in saved.members}
        frame = frame[frame["record_id"].isin(positions)].copy()
        frame = _sample_frame(frame, [member.record_id for member in saved.members],
                              {member.record_id: member.reason for member in saved.members})
        missing = len(positions) - len(frame)
        sample_info = {"name": saved.name, "n": saved.n, "seed": saved.seed, "strata": saved.strata,
                       "filters": saved.filters.as_json(), "method_version": saved.method_version,
                       "size": saved.size, "always_included": saved.always_included,
                       "created_by": saved.created_by, "created_at": saved.created_at.isoformat(),
                       "members_not_loaded": missing, "always_included_rule": _ALWAYS_RULE}
        allocation = saved.allocation
        chosen = request.selection
        request = replace(request, selection=chosen.with_(month_from=chosen.month_from or saved.filters.month_from,
                                                          month_to=chosen.month_to or saved.filters.month_to))
    else:
        frame = load_records(engine, RecordQuery(request.selection), labels)
        if len(frame):
            frame["record_id"] = review.record_ids_of(frame)
        if request.sample is not None and len(frame):
            seed = request.seed if request.seed is not None else review.new_seed()
            drawn = review.draw(frame, request.sample, seed, request.selection)
            frame = _sample_frame(frame, drawn.record_ids, drawn.reasons)
            sample_info = {"name": None, "n": drawn.n, "seed": drawn.seed, "strata": drawn.strata_label,
                           "filters": request.selection.as_json(),
                           "method_version": drawn.method_version, "size": drawn.drawn,
                           "always_included": drawn.always_included, "drawn": drawn.drawn,
                           "population": drawn.population, "always_included_rule": _ALWAYS_RULE}
            allocation = drawn.allocation
    if frame.empty:
        raise ValueError("no records match these filters: nothing to export")
    step(1, f"reading the verdicts of {len(frame):,} records")
    order, verdicts = verdict_columns(engine, frame["search_id"].to_numpy())
    run = latest_run(engine)
    rules = {rule["id"]: rule for rule in json.loads(run["ruleset_json"]).get("rules", [])} if run else {}
    # A rule turned off in the check's settings has no verdicts: no column (a blank one would read as
    # "not checked"); the manifest names it.
    turned_off = [rule_id for rule_id in order if not rules.get(rule_id, {}).get("enabled", True)]
    order = [rule_id for rule_id in order if rule_id not in turned_off]
    frame = frame.reset_index(drop=True)
    for rule_id in order:
        frame[rule_id] = verdicts[rule_id].reindex(frame["search_id"]).to_numpy()
    step(2, "reading findings")
    findings = [{"record_id": state.record_id, "kind": state.kind, "status": state.status, "version": state.version,
                 "fields": dict(state.fields), "vocabulary_version": state.vocabulary_version,
                 "created_by": state.created_by, "updated_by": state.updated_by, "updated_at": state.updated_at}
                for state in all_findings(engine, frame["record_id"].tolist())]
    step(3, "computing the disproportionality table")
    disparity, unavailable = disparity_table(engine, labels, request)
    census = census_table_info()
    if disparity and isinstance(disparity.get("denominator"), Mapping):
        census["denominator"] = {key: disparity["denominator"].get(key)  # type: ignore[union-attr]
                                 for key in ("source", "year", "label", "area", "age_band")}
    manifest = {
        "app": "stopsearch-app", "app_version": __version__, "generated_by": user,
        "filters": request.filters_json(), "sample": sample_info,
        "rule_set": ({"id": run["ruleset_id"], "version": run["ruleset_version"], "hash": run["ruleset_hash"],
                      "run_id": run["id"], "checked_at": _utc_text(run["started_at"]), "checked_by": run["run_by"],
                      "settings": run_departures(run["ruleset_id"], run["ruleset_version"], list(rules.values())), "rules_turned_off": turned_off}
                     if run else None),
        "census_table": census,
        "disparity": ({"measure": request.measure, "age": request.selection.age.value,
                       "ethnicity": request.selection.ethnicity,
                       "area": request.borough or request.area, "available": disparity is not None,
                       "unavailable_reason": unavailable or None}),
    }
    # The must-see cases are the panel's separate duty: always.csv, never part of the N drawn at random.
    always = None
    if sample_info is not None:
        must_see = frame["sample_reason"].ne(review.RANDOM).to_numpy()
        always = frame[must_see].reset_index(drop=True)
        frame = frame[~must_see].reset_index(drop=True)
    content = PackContent(records=frame, always=always, rule_order=order,
                          rule_titles={rule_id: rules.get(rule_id, {}).get("title", "") for rule_id in order},
                          findings=findings, disparity=disparity, disparity_unavailable=unavailable,
                          sample_allocation=allocation, manifest=manifest)
    step(4, "writing the pack")
    if chart_renderer is None and disparity and engine.url.database not in (None, "", ":memory:"):
        from stopsearch_app.services.pack_charts import chart_renderer as subprocess_renderer

        chart_renderer = subprocess_renderer(engine.url.render_as_string(hide_password=False), figure_request(request))
    if report_renderer is None:
        from stopsearch_app.services.pack_charts import report_renderer as subprocess_report

        report_renderer = subprocess_report()
    result = write_pack(request.out, content, redacted=request.redact, chart_renderer=chart_renderer,
                        report_renderer=report_renderer)
    step(5, "done")
    return result


def figure_request(request: PackRequest) -> dict[str, object]:
    """The pack's figures as a disparity request (``compute_disparity`` and ``compute_dashboard`` keywords)."""
    chosen = request.selection
    area = request.borough.strip() if request.borough and request.borough.strip() else request.area
    return {"measure": request.measure, "ethnicity": chosen.ethnicity, "age": chosen.age.value, "area": area,
            "month_from": chosen.month_from, "month_to": chosen.month_to, "force": request.force}


def _sample_frame(frame: pd.DataFrame, record_ids, reasons: Mapping[str, str]) -> pd.DataFrame:
    """The sample's rows in presentation order; positions count the random draw and the must-see list
    separately (1..N and 1..n), so neither list's numbering depends on the other."""
    frame = frame[frame["record_id"].isin(reasons)].copy()
    order = {rid: position for position, rid in enumerate(record_ids)}
    frame["sample_reason"] = frame["record_id"].map(reasons)
    frame = frame.assign(_order=frame["record_id"].map(order)).sort_values("_order").drop(columns="_order")
    random = frame["sample_reason"].eq(review.RANDOM)
    frame["sample_position"] = 0
    frame.loc[random, "sample_position"] = range(1, int(random.sum()) + 1)
    frame.loc[~random, "sample_position"] = range(1, int((~random).sum()) + 1)
    return frame


def _utc_text(moment) -> str:
    from datetime import UTC

    return (moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment).isoformat()


_ALWAYS_RULE = ("every child search in the selection with search level mts, eip or intimate, or power CJPOA_S60, "
                "TA_S47A or POA_S11, is listed in always.csv, beside the random draw and never counted in it")


def request_from_args(args) -> PackRequest:
    force, borough = getattr(args, "filter_force", None), getattr(args, "borough", None)
    selection = Selection.all_searches(forces=(force,) if force else (), boroughs=(borough,) if borough else (),
                                       month_from=getattr(args, "month_from", None),
                                       month_to=getattr(args, "month_to", None), age=getattr(args, "age", None) or "all",
                                       ethnicity=getattr(args, "ethnicity", None) or "self")
    return PackRequest(out=Path(args.out), selection=selection, area=getattr(args, "area", None) or "london",
                       sample=getattr(args, "sample", None), seed=getattr(args, "seed", None),
                       redact=not bool(getattr(args, "no_redact", False)))


def run_cli(args, progress=None) -> tuple[dict, int]:
    """``stopsearch export-pack``: (JSON object, exit status); ``_text`` is printed without ``--json``.

    ``args`` has db, out, filter_force, month_from, month_to, borough, age, area, ethnicity, sample,
    seed, no_redact, user. A bad request raises ``ValueError`` (the CLI exits 1 with its message)."""
    from stopsearch_app.settings import default_user_name
    from stopsearch_app.store.database import open_database

    request = request_from_args(args)
    engine = open_database(getattr(args, "db", None))
    try:
        result = export_pack(engine, request, user=getattr(args, "user", None) or default_user_name() or "cli",
                             progress=progress)
    finally:
        engine.dispose()
    output = result.as_json()
    sample = result.manifest.get("sample")
    if isinstance(sample, Mapping):
        output["always_included"] = int(sample.get("always_included") or 0)
        output["sample"] = {key: sample.get(key) for key in ("n", "seed", "size", "always_included")}
    lines = [f"review pack: {result.path}", f"records: {result.records:,} · findings: {result.findings:,}",
             "redacted: yes" if result.redacted else "NOT REDACTED: for the supervisor's own use only",
             "files: " + ", ".join(result.files)]
    if isinstance(sample, Mapping):
        lines.append(f"sample: {result.records} records at random (seed {sample.get('seed')}); "
                     f"{sample.get('always_included')} must-see cases in always.csv")
    output["_text"] = "\n".join(lines)
    return output, 0
