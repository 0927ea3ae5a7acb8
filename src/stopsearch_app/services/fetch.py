"""Downloading a force's stop-and-search months from the police.uk API and importing them like files.

Each month is downloaded, kept on disk as police.uk sent it (io/policeuk_api.RawCache), then
imported through the same reader and importer as ``stopsearch import``: same identity (a second
fetch adds nothing), same report, one transaction per month. A month that fails is named with its
reason and the others still land; fetching again completes it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from platformdirs import user_data_dir
from sqlalchemy import Engine

from stopsearch_app.io.policeuk import FORCE_SLUG
from stopsearch_app.io.policeuk_api import MONTH, ApiError, PoliceUkApi, RawCache, months_between
from stopsearch_app.io.readers import make_reader
from stopsearch_app.io.sources import SourceFile
from stopsearch_app.store.database import APP_NAME
from stopsearch_app.store.importer import ImportReport, import_sources

Progress = Callable[[int, int, str], None]  # steps done, steps in all, message


class FetchRefused(ValueError):  # the CLI exits 1 with its message
    """The request cannot be served at all (bad force or months, the API's month list unreachable)."""


def default_cache_folder() -> Path:
    return Path(user_data_dir(APP_NAME, appauthor=False)) / "police.uk"


@dataclass
class FetchReport:
    force: str
    cache_folder: str
    months_requested: list[str] = field(default_factory=list)
    months_fetched: list[str] = field(default_factory=list)
    months_failed: list[dict] = field(default_factory=list)  # {"month", "error"}
    months_unavailable: list[str] = field(default_factory=list)
    imports: ImportReport = field(default_factory=ImportReport)
    cancelled: bool = False

    def as_json(self) -> dict:
        result = self.imports.as_json()
        result.update(force=self.force, cache_folder=self.cache_folder, months_requested=self.months_requested,
                      months_fetched=self.months_fetched, months_failed=self.months_failed,
                      months_unavailable=self.months_unavailable, cancelled=self.cancelled or self.imports.cancelled)
        return result


def plan_months(available: list[str], month_from: str | None, month_to: str | None) -> list[str]:
    """The months asked for: --from..--to; one end alone is that month or from it to the latest;
    neither is the latest month the force has (what a panel wants each month)."""
    for value in (month_from, month_to):
        if value is not None and not MONTH.match(value):
            raise FetchRefused(f"'{value}' is not a month (YYYY-MM)")
    if month_from and month_to and month_from > month_to:
        raise FetchRefused(f"--from {month_from} is after --to {month_to}")
    latest = available[-1] if available else None
    if month_from is None and month_to is None:
        return [latest] if latest else []
    first = month_from or month_to
    last = month_to or latest or month_from
    return months_between(first, max(first, last))


def fetch_force(engine: Engine, force: str, month_from: str | None = None, month_to: str | None = None, *,
                api: PoliceUkApi | None = None, cache_folder: Path | None = None, imported_by: str | None = None,
                progress: Progress | None = None, is_cancelled: Callable[[], bool] | None = None) -> FetchReport:
    force = force.strip().lower()
    if not FORCE_SLUG.match(force):
        raise FetchRefused(f"'{force}' is not a police.uk force slug (for example metropolitan)")
    cache = RawCache(cache_folder or default_cache_folder())
    report = FetchReport(force=force, cache_folder=str(cache.folder))
    api = api or PoliceUkApi()
    with api:
        if progress:
            progress(0, 0, "asking police.uk which months it has")
        try:
            listed = api.force_months(force)
        except ApiError as error:
            raise FetchRefused(f"cannot get the list of months from police.uk: {error}") from error
        if not listed.available and not listed.unavailable:
            raise FetchRefused("police.uk listed no months at all")
        if not listed.available:
            raise FetchRefused(f"police.uk has no stop-and-search months for '{force}' "
                               "(is the slug right? e.g. metropolitan, city-of-london)")
        wanted = plan_months(listed.available, month_from, month_to)
        report.months_requested = wanted
        available = set(listed.available)
        todo = [month for month in wanted if month in available]
        report.months_unavailable = [month for month in wanted if month not in available]
        read = make_reader(force, "policeuk-json")
        for step, month in enumerate(todo):
            if is_cancelled and is_cancelled():
                report.cancelled = True
                break
            if progress:
                progress(step, len(todo), f"downloading {force} {month}")
            try:
                path = cache.write(force, month, api.stops_force(force, month))
            except (ApiError, OSError) as error:
                report.months_failed.append({"month": month, "error": str(error)})
                continue
            if progress:
                progress(step, len(todo), f"importing {force} {month}")
            month_report = import_sources(engine, [SourceFile(path)], read, imported_by=imported_by,
                                          is_cancelled=is_cancelled)
            report.imports.files.extend(month_report.files)
            failed = month_report.failed
            if month_report.cancelled:
                report.cancelled = True
                break
            if failed:
                report.months_failed.append({"month": month, "error": failed[0].error})
            else:
                report.months_fetched.append(month)
        if progress:
            progress(len(todo), len(todo), "done")
    return report


def run_cli(args, open_engine, progress: Progress | None = None) -> tuple[dict, int]:
    """``stopsearch fetch``: (JSON object, exit status 0, or 1 when a month failed); ``_text`` without --json."""
    from stopsearch_app.io.policeuk_api import DEFAULT_BASE_URL

    engine = open_engine(args)
    try:
        report = fetch_force(engine, args.force, args.month_from, args.month_to,
                             api=PoliceUkApi(base_url=args.base_url or DEFAULT_BASE_URL, retries=max(0, args.retries)), cache_folder=args.cache,
                             imported_by=args.user, progress=progress)
    finally:
        engine.dispose()
    result = report.as_json()
    lines = [f"{report.force}: asked for {', '.join(report.months_requested) or 'no month'}"]
    lines += [f"{f.path}: {f.imported:,} imported, {f.duplicates:,} duplicates, {f.quarantined:,} quarantined"
              for f in report.imports.files if not f.error]
    if report.months_unavailable:
        lines.append("not on police.uk for this force (skipped): " + ", ".join(report.months_unavailable))
    lines.append(f"total: {report.imports.imported:,} imported, {report.imports.duplicates:,} duplicates, "
                 f"{report.imports.quarantined:,} quarantined; raw answers kept in {report.cache_folder}")
    result["_text"] = "\n".join(lines)
    if report.months_failed:
        result["_error"] = f"{len(report.months_failed)} month(s) not fetched (fetch again to complete): " + "; ".join(
            f"{item['month']}: {item['error']}" for item in report.months_failed)
        return result, 1
    if report.cancelled:
        result["_error"] = "cancelled"
        return result, 1
    return result, 0
