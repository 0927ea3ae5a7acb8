"""The ``stopsearch`` command line (shared/spec/cli.md): scripted monthly loads, checks and exports.

Exit status: 0 success, 1 the data or the request was bad (one line on stderr), 2 usage error.
``--json`` prints exactly one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from stopsearch_app import __version__
from stopsearch_app.services.cli_progress import progress_bar
from stopsearch_app.domain.selection import AGE_BAND_VALUES

EXIT_OK, EXIT_BAD_DATA, EXIT_USAGE = 0, 1, 2


class BadRequest(Exception):
    """The request or the data was bad: exit 1 with this message."""


def _common(json_default=argparse.SUPPRESS) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--db", default=argparse.SUPPRESS, metavar="URL",
                        help="SQLAlchemy database URL (default: $STOPSEARCH_DB or a SQLite file in your data folder)")
    parser.add_argument("--json", action="store_true", default=json_default, help="print one JSON object")
    return parser


def _filters(parser: argparse.ArgumentParser, *, ethnicity: bool = True) -> None:
    parser.add_argument("--force", dest="filter_force", metavar="SLUG", help="only this force")
    parser.add_argument("--from", dest="month_from", metavar="YYYY-MM")
    parser.add_argument("--to", dest="month_to", metavar="YYYY-MM")
    parser.add_argument("--borough")
    parser.add_argument("--age", choices=AGE_BAND_VALUES, default="all")
    parser.add_argument("--area", default="london", help="london or a borough name")
    if ethnicity:
        parser.add_argument("--ethnicity", choices=("self", "officer"), default="self")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stopsearch", parents=[_common(json_default=False)],
        description="Stop and Search Charter checks for searches of children (see README.md).")
    parser.add_argument("--version", action="version", version=f"stopsearch {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    importer = commands.add_parser("import", parents=[_common()], help="import police.uk files or local extracts")
    importer.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files, folders or police.uk zips")
    importer.add_argument("--force", help="police.uk force slug, when the file name does not say")
    importer.add_argument("--format", default="auto", choices=("auto", "policeuk-csv", "policeuk-json", "local"))
    importer.add_argument("--mapping", metavar="NAME|FILE", help="column-mapping profile for a local extract")
    importer.add_argument("--user", help="who is importing (default: your login name)")

    commands.add_parser("stats", parents=[_common()], help="what is loaded")

    check = commands.add_parser("check", parents=[_common()], help="run the charter rules and store the verdicts")
    check.add_argument("--ruleset", metavar="ID|FILE")
    check.add_argument("--out", type=Path, metavar="FILE.csv", help="write record_id,rule_id,verdict,reason")
    check.add_argument("--children-only", action="store_true")
    _filters(check, ethnicity=False)

    covered = commands.add_parser("coverage", parents=[_common()],
                                  help="what the loaded data cover: force x month, fields recorded, flags")
    covered.add_argument("--force", dest="filter_force", metavar="SLUG", help="only this force")
    covered.add_argument("--from", dest="month_from", metavar="YYYY-MM")
    covered.add_argument("--to", dest="month_to", metavar="YYYY-MM")

    disparity = commands.add_parser("disparity", parents=[_common()], help="disproportionality statistics")
    _filters(disparity)
    disparity.add_argument("--measure", choices=("rate", "find-rate", "removal-rate"), default="rate")
    disparity.add_argument("--by", choices=("month", "borough"),
                           help="month: the ratio per covered month and its trend; borough: every borough and the funnel")

    pack = commands.add_parser("export-pack", parents=[_common()], help="write a review pack folder")
    pack.add_argument("--out", type=Path, required=True, metavar="DIR")
    _filters(pack)
    pack.add_argument("--sample", type=int, metavar="N")
    pack.add_argument("--seed", type=int, metavar="S")
    pack.add_argument("--no-redact", action="store_true", help="supervisor's own use only; the manifest says so")
    pack.add_argument("--user", help="who is exporting (default: your login name)")

    commands.add_parser("demo", parents=[_common()], help="build the demo database and check it")

    fetch = commands.add_parser("fetch", parents=[_common()], help="download and import months from the police.uk API")
    fetch.add_argument("--force", required=True, metavar="SLUG", help="police.uk force slug, e.g. metropolitan")
    fetch.add_argument("--from", dest="month_from", metavar="YYYY-MM", help="first month (default: the latest)")
    fetch.add_argument("--to", dest="month_to", metavar="YYYY-MM", help="last month (default: the latest)")
    fetch.add_argument("--base-url", default=None, metavar="URL", help="the API's address (default: police.uk's)")
    fetch.add_argument("--cache", type=Path, default=None, metavar="DIR",
                       help="where the raw answers are kept (default: police.uk/ in your data folder)")
    fetch.add_argument("--retries", type=int, default=3, metavar="N",
                       help="tries again after a network error or a 5xx answer, waiting 1, 2, 4... s (default 3)")
    fetch.add_argument("--user", help="who is importing (default: your login name)")
    return parser


def _engine(args: argparse.Namespace):
    from stopsearch_app.store.database import open_database

    return open_database(getattr(args, "db", None))


def cmd_import(args: argparse.Namespace) -> tuple[dict, int]:
    from stopsearch_app.io.readers import make_reader
    from stopsearch_app.io.sources import expand
    from stopsearch_app.store.importer import import_sources

    for path in args.paths:
        if not path.exists():
            raise BadRequest(f"no such file or folder: {path}")
    mapping = None
    if args.mapping:
        from stopsearch_app.io.mapping import load_profile

        mapping = load_profile(args.mapping)
    engine = _engine(args)
    with progress_bar(args.json) as progress:
        report = import_sources(engine, list(expand(args.paths)), make_reader(args.force, args.format, mapping),
                                imported_by=args.user, mapping_profile=getattr(mapping, "name", None),
                                progress=progress)
    if not report.files:
        raise BadRequest("no importable files (.csv, .json, .xlsx, .zip) found in " + ", ".join(map(str, args.paths)))
    text = [f"{f.path}: {f.error}" if f.error else
            f"{f.path}: {f.imported:,} imported, {f.duplicates:,} duplicates, {f.quarantined:,} quarantined"
            + "".join(f"\n  warning: {w}" for w in f.warnings) for f in report.files]
    text.append(f"total: {report.imported:,} imported, {report.duplicates:,} duplicates, "
                f"{report.quarantined:,} quarantined")
    failures = report.failed
    status = EXIT_BAD_DATA if failures else EXIT_OK
    result = report.as_json()
    result["_text"] = "\n".join(text)
    if failures:
        result["_error"] = f"{len(failures)} file(s) not imported: " + "; ".join(
            f"{Path(f.path).name}: {f.error}" for f in failures)
    return result, status


def cmd_stats(args: argparse.Namespace) -> tuple[dict, int]:
    from stopsearch_app.store import coverage
    from stopsearch_app.store.queries import stats

    engine = _engine(args)
    result = stats(engine).as_json()
    table = coverage.load(engine)
    result["partial_months"] = [f"{e.force} {e.month} (days {e.counts.first_day}-{e.counts.last_day})"
                                for e in table.entries if "partial_month" in e.flags]
    result["missing_months"] = {force: months for force in table.forces if (months := table.missing_months(force))}
    lines = [f"records: {result['records']:,}", f"children: {result['children']:,}",
             f"child status unknown: {result['child_status_unknown']:,}",
             f"forces: {', '.join(result['forces']) or '-'}", f"months: {', '.join(result['months']) or '-'}",
             f"quarantined rows: {result['quarantined']:,}"]
    if result["partial_months"]:
        lines.append("partial months: " + ", ".join(result["partial_months"]))
    for force, months in result["missing_months"].items():
        shown = ", ".join(months) if len(months) <= 6 else f"{len(months)} months from {months[0]} to {months[-1]}"
        lines.append(f"missing months for {force}: {shown}")
    result["_text"] = "\n".join(lines)
    return result, EXIT_OK


def _record_query(args: argparse.Namespace):
    from stopsearch_app.domain.selection import Selection
    from stopsearch_app.store.queries import RecordQuery

    return RecordQuery(Selection.all_searches(
        forces=(args.filter_force,) if getattr(args, "filter_force", None) else (),
        month_from=getattr(args, "month_from", None), month_to=getattr(args, "month_to", None),
        boroughs=(args.borough,) if getattr(args, "borough", None) else ()))


def cmd_check(args: argparse.Namespace) -> tuple[dict, int]:
    from stopsearch_app.domain.charter.ruleset import RuleSetError, find_ruleset
    from stopsearch_app.io.safe_csv import csv_writer
    from stopsearch_app.settings import default_user_name
    from stopsearch_app.store.checks import run_check

    try:
        ruleset = find_ruleset(args.ruleset)
    except (RuleSetError, FileNotFoundError, KeyError) as error:
        raise BadRequest(f"rule set: {error}") from error
    engine = _engine(args)
    record_query = _record_query(args)
    written = 0
    with contextlib.ExitStack() as stack:
        on_part = None
        if args.out:
            args.out.parent.mkdir(parents=True, exist_ok=True)
            # Excel-safe: a record reference such as "=1+1-2" must open as text, never run as a formula.
            write = stack.enter_context(csv_writer(args.out, CHECK_CSV_COLUMNS))

            def on_part(result, records) -> None:
                nonlocal written
                written += write(_check_csv_rows(result, records, args.children_only))
        with progress_bar(args.json) as progress:
            summary = run_check(engine, ruleset, None if record_query == type(record_query)() else record_query,
                                run_by=default_user_name() or "cli", progress=progress, on_part=on_part)
    result = summary.as_json(children_only=args.children_only)
    if args.out:
        result["out"] = str(args.out)
        result["out_rows"] = written
    lines = [f"rule set: {ruleset.label}", f"records checked: {summary.records_checked:,} "
             f"({summary.children:,} children) in {summary.seconds:.1f} s",
             f"rules the loaded data can assess: {', '.join(summary.assessable_rules) or 'none'}",
             "", f"{'rule':<5} " + " ".join(f"{key:>14}" for key in next(iter(result['rules'].values()), {}))]
    for rule_id, counts in result["rules"].items():
        lines.append(f"{rule_id:<5} " + " ".join(f"{value:>14,}" for value in counts.values()))
    if args.children_only:
        lines.append("(counts are for children only)")
    result["_text"] = "\n".join(lines)
    return result, EXIT_OK


CHECK_CSV_COLUMNS = ("record_id", "rule_id", "verdict", "reason")


def _check_csv_rows(result, records, children_only: bool):
    """record_id,rule_id,verdict,reason: one line per record and rule (cli.md), for one part's records."""
    mask = (result.child_status == "child").to_numpy() if children_only else None
    long = result.findings(mask, verdicts=None)
    long.insert(0, "record_id", long.pop("record").map(_record_ids(records)))
    long["verdict"] = long["verdict"].astype(str)
    columns = list(CHECK_CSV_COLUMNS)
    frame = long[columns].astype(object).where(long[columns].notna(), None)
    return frame.itertuples(index=False, name=None)


def _record_ids(frame) -> dict[int, str]:
    """search id -> the stable record id (a local extract's own source_ref)."""
    from stopsearch_app.domain.identity import record_id

    return {int(sid): record_id(str(force), str(month), int(fp), int(occ), ref if isinstance(ref, str) else None)
            for sid, force, month, fp, occ, ref in zip(frame["search_id"], frame["force"], frame["month"],
                                                     frame["fingerprint"], frame["occurrence"], frame["source_ref"])}


def cmd_demo(args: argparse.Namespace) -> tuple[dict, int]:
    from stopsearch_app.services.demo import build_demo_database, demo_database_url

    url = getattr(args, "db", None) or demo_database_url()
    engine = build_demo_database(url)
    args.db = url
    result, status = cmd_stats(args)
    result["_text"] = f"demo database: {engine.url.render_as_string(hide_password=True)}\n" + result["_text"]
    return result, status


def cmd_coverage(args: argparse.Namespace) -> tuple[dict, int]:
    from stopsearch_app.domain.coverage import format_text
    from stopsearch_app.store import coverage

    table = coverage.load(_engine(args))
    forces = (args.filter_force,) if getattr(args, "filter_force", None) else None
    result = table.as_json(forces, args.month_from, args.month_to)
    result["missing_months"] = {force: months for force in (forces or table.forces)
                                if (months := table.missing_months(force))}
    result["_text"] = format_text(table, forces, args.month_from, args.month_to)
    return result, EXIT_OK


def cmd_disparity(args: argparse.Namespace) -> tuple[dict, int]:
    from stopsearch_app.services.disparity import run_cli

    return run_cli(args)


def cmd_export_pack(args: argparse.Namespace) -> tuple[dict, int]:
    from stopsearch_app.services.commands_export import run_cli

    with progress_bar(args.json) as progress:
        return run_cli(args, progress=progress)


def cmd_fetch(args: argparse.Namespace) -> tuple[dict, int]:
    from stopsearch_app.services.fetch import run_cli

    with progress_bar(args.json) as progress:
        return run_cli(args, _engine, progress=progress)


COMMANDS: dict[str, Callable[[argparse.Namespace], tuple[dict, int]]] = {
    "export-pack": cmd_export_pack,
    "disparity": cmd_disparity,
    "import": cmd_import,
    "stats": cmd_stats,
    "coverage": cmd_coverage,
    "demo": cmd_demo,
    "check": cmd_check,
    "fetch": cmd_fetch,
}


def _print_notice(message: str) -> None:
    print(f"stopsearch: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = COMMANDS.get(args.command)
    if handler is None:
        parser.error(f"unknown command: {args.command}")
    from stopsearch_app.store.database import on_notice

    # a backup made before upgrading the database is said on stderr (stdout stays the JSON)
    on_notice(_print_notice)
    try:
        result, status = handler(args)
    except BadRequest as error:
        print(f"stopsearch {args.command}: {error}", file=sys.stderr)
        return EXIT_BAD_DATA
    except ValueError as error:  # bad data that a lower layer refused with a message
        print(f"stopsearch {args.command}: {error}", file=sys.stderr)
        return EXIT_BAD_DATA
    text = result.pop("_text", None)
    error = result.pop("_error", None)
    try:
        if args.json:
            print(json.dumps(result, indent=None, default=str))
        elif text is not None:
            print(text)
    except BrokenPipeError:  # `stopsearch ... | head`: the reader left; not an error of ours
        sys.stderr.close()
        return status
    if error:
        print(f"stopsearch {args.command}: {error}", file=sys.stderr)
    return status


def entry_point(argv: Sequence[str] | None = None) -> int:
    """The ``stopsearch`` program: :func:`main`, then its databases closed, then an exit without the
    interpreter's last cycle collection over every object still alive (``gc.freeze``): measured
    0.2 s of a 2.5 s ``stopsearch check`` of a million records. Tests call :func:`main`."""
    try:
        return main(argv)
    finally:
        database = sys.modules.get("stopsearch_app.store.database")
        if database is not None:  # nothing was opened if the store was never imported
            with contextlib.suppress(Exception):  # a broken connection must not replace the command's outcome
                database.dispose_all()
        gc.freeze()


if __name__ == "__main__":
    raise SystemExit(entry_point())
