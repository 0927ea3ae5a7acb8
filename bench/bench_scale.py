"""Met and national scale (issue 11), each figure beside its naive baseline measured in the same run:

- import of N rows (default 1,000,000) over 36 months, in date order and shuffled, against a naive
  ``pandas.read_csv`` + ``DataFrame.to_sql`` of the same file (target: >= 4x, goal 5x);
- ``stopsearch check`` over the N stored records, end to end (a fresh process: start-up, loading,
  the rules, storing every verdict), against ``pandas.read_csv`` of the same rows (target <= 8x);
- every statistic per filter change over the N records (``bench.bench_disparity``; target: worst
  median <= 200 ms at 1,000,000);
- with ``--files 10``: ten N-row files of different forces imported one after another into one
  database (the tenth must import at most 1.3x slower than the first; every process's peak memory),
  then the check, the statistics (<= 500 ms at 10,000,000) and the app's window over all of them
  (``bench.bench_table``: rows on screen within 1 s, every tab, UI-thread stalls <= 100 ms).

    python -m bench.bench_scale --rows 1000000 [--files 10] [--folder /tmp/scale]

Everything is written under the folder (a temporary one by default) and deleted at the end unless
``--keep``. The machine is shared: the ratios are the figures that count, and the load average is
printed beside them.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.bench_table import print_tabs
from bench.generate import write
from bench.memory import warm

FORCES = ("metropolitan", "west-midlands", "greater-manchester", "merseyside", "west-yorkshire", "kent",
          "essex", "thames-valley", "hampshire", "avon-and-somerset")


def child(*argv: str) -> dict:
    completed = subprocess.run([sys.executable, *argv], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(argv)}\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def load() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def parse_seconds(csv_path: Path) -> dict:
    return child("-c", "import json, time, pandas as pd\n"
                       "from bench.memory import peak_mib, warm\n"
                       f"warm({str(csv_path)!r}); started = time.perf_counter(); frame = pd.read_csv({str(csv_path)!r})\n"
                       "print(json.dumps({'rows': len(frame), 'seconds': time.perf_counter() - started,"
                       " 'peak_rss_mib': peak_mib()}))")


def check_end_to_end(db_url: str) -> dict:
    """`stopsearch check` as a user runs it, timed from outside; peak memory of that process. The
    database and its columnar copy are read into the page cache first, as the CSV is for its parse."""
    database = Path(db_url.split(":///", 1)[-1])
    for path in [database, *sorted(database.with_name(database.name + ".columnar").glob("*"))]:
        if path.is_file():
            warm(path)
    started = time.perf_counter()
    completed = subprocess.run([sys.executable, "-c", "import resource, sys\n"
                                "from stopsearch_app.services.cli import entry_point\n"
                                "code = entry_point(sys.argv[1:])\n"
                                "print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, file=sys.stderr)\n"
                                "sys.exit(code)",
                                "check", "--db", db_url, "--json"], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if completed.returncode != 0:
        raise SystemExit(f"stopsearch check failed:\n{completed.stderr[-2000:]}")
    result = json.loads(completed.stdout)
    return {"seconds": seconds, "records": result["records_checked"],
            "peak_rss_mib": float(completed.stderr.strip().splitlines()[-1])}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--files", type=int, default=0, help="also import this many files of different forces")
    parser.add_argument("--folder", type=Path)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument("--national-only", action="store_true", help="only the --files import")
    parser.add_argument("--skip-naive", action="store_true", help="(for a quick look only: no ratios)")
    args = parser.parse_args()
    folder = args.folder or Path(tempfile.mkdtemp(prefix="stopsearch-scale-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        run(args, folder)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)


def run(args: argparse.Namespace, folder: Path) -> None:
    rows = args.rows
    if args.national_only:
        national(folder, rows, args.files)
        return
    files = {}
    for order in ("ordered", "shuffled"):
        (folder / order).mkdir(exist_ok=True)
        files[order] = write(rows, folder / order / "2023-05-metropolitan-stop-and-search.csv", months=36,
                             shuffled=order == "shuffled")
    print(f"generated {rows:,} rows over 36 months, in date order and shuffled "
          f"({files['ordered'].stat().st_size / 2**20:.0f} MiB each) in {folder}")
    ratios = {}
    for order, path in files.items():
        database = folder / f"{order}.db"
        ours = child("-m", "bench.bench_import", "ours", str(path), str(database))
        again = child("-m", "bench.bench_import", "ours", str(path), str(database))
        line = (f"import {order:>8}, ours : {ours['rows']:,} rows in {ours['seconds']:.1f} s, peak "
                f"{ours['peak_rss_mib']:,.0f} MiB + reader {ours['child_peak_rss_mib']:,.0f} MiB; re-import adds "
                f"{again['rows']:,} in {again['seconds']:.1f} s")
        print(line, flush=True)
        if not args.skip_naive:
            naive_db = folder / f"naive-{order}.db"
            naive = child("-m", "bench.bench_import", "naive", str(path), str(naive_db))
            naive_db.unlink()
            ratios[order] = naive["seconds"] / ours["seconds"]
            print(f"import {order:>8}, naive: {naive['rows']:,} rows in {naive['seconds']:.1f} s, peak "
                  f"{naive['peak_rss_mib']:,.0f} MiB -> ours is {ratios[order]:.1f}x the naive import "
                  f"(target >= 4x, goal 5x); load average {load()}", flush=True)
    parse = parse_seconds(files["ordered"])
    database_url = f"sqlite:///{folder / 'ordered.db'}"
    first = check_end_to_end(database_url)
    again = check_end_to_end(database_url)
    print(f"pandas.read_csv of the same {parse['rows']:,} rows: {parse['seconds']:.2f} s")
    for label, result in (("first", first), ("again", again)):
        print(f"stopsearch check ({label}) over {result['records']:,} stored records, end to end: "
              f"{result['seconds']:.1f} s = {result['seconds'] / parse['seconds']:.1f}x the CSV parse "
              f"(target <= 8x, goal 3x); peak {result['peak_rss_mib']:,.0f} MiB; load average {load()}", flush=True)
    stats = disparity(database_url)
    print(f"statistics per filter change over {stats['records']:,} records: worst median {stats['worst_median_ms']:.0f} ms "
          f"(target <= 200 ms, goal 100 ms); count cube built in {stats['cube_build_seconds']:.1f} s; peak "
          f"{stats['peak_rss_mib']:,.0f} MiB; load average {load()}", flush=True)
    if args.files:
        national(folder, rows, args.files)


def disparity(database_url: str) -> dict:
    return child("-m", "bench.bench_disparity", "--db", database_url, "--repeat", "3")


def window(database: Path, folder: Path) -> dict:
    """The app's window over the database, with a 200,000-row import while it is open."""
    extra = write(200_000, folder / "2025-01-city-of-london-stop-and-search.csv", seed=7)
    try:
        return child("-m", "bench.bench_table", str(database), str(extra))
    finally:
        extra.unlink()


def national(folder: Path, rows: int, count: int) -> None:
    """Ten files of different forces into one database, each import in a process of its own."""
    database = folder / "national.db"
    seconds = []
    for index, force in enumerate(FORCES[:count]):
        path = write(rows, folder / f"2023-05-{force}-stop-and-search.csv", seed=100 + index, months=36)
        result = child("-m", "bench.bench_import", "ours", str(path), str(database))
        path.unlink()
        seconds.append(result["seconds"])
        print(f"national: file {index + 1} ({force}) {result['rows']:,} rows in {result['seconds']:.1f} s, peak "
              f"{result['peak_rss_mib']:,.0f} MiB + reader {result['child_peak_rss_mib']:,.0f} MiB; "
              f"load average {load()}", flush=True)
    print(f"national: the last file imported {seconds[-1] / seconds[0]:.2f}x the time of the first (target <= 1.3x); "
          f"database {database.stat().st_size / 2**30:.1f} GiB")
    result = check_end_to_end(f"sqlite:///{database}")
    print(f"national: stopsearch check over {result['records']:,} records in {result['seconds']:.1f} s, peak "
          f"{result['peak_rss_mib']:,.0f} MiB (target < 2048 MiB in every process, checked in parts); "
          f"load average {load()}", flush=True)
    peaks = [result["peak_rss_mib"]]
    stats = disparity(f"sqlite:///{database}")
    peaks.append(stats["peak_rss_mib"])
    print(f"national: statistics per filter change over {stats['records']:,} records: worst median "
          f"{stats['worst_median_ms']:.0f} ms (target <= 500 ms); count cube built in {stats['cube_build_seconds']:.1f} s; "
          f"peak {stats['peak_rss_mib']:,.0f} MiB; load average {load()}", flush=True)
    table = window(database, folder)
    peaks.append(table["peak_rss_mib"])
    print(f"national: the app's record table on {table['rows_shown']:,} records: rows on screen after "
          f"{table['open_seconds']:.2f} s (target <= 1 s), totals after {table['totals_seconds']:.2f} s, scroll to end "
          f"{table['scroll_to_end_seconds'] * 1000:.0f} ms; a {table['import_during_ui_rows']:,}-row import with the "
          f"window open: longest UI-thread stall {table['ui_longest_stall_ms']} ms during, "
          f"{table['ui_longest_stall_after_import_ms']} ms after (target <= 100 ms); peak {table['peak_rss_mib']:,.0f} MiB")
    print_tabs(table["tabs"], indent="national: ")
    print(f"national: largest process {max(peaks):,.0f} MiB (check, statistics, app; imports above) "
          f"(target < 2048 MiB)", flush=True)


if __name__ == "__main__":
    main()
