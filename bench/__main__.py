"""The benchmark suite: ``make bench`` (or ``python -m bench --rows 1000000``).

Prints import rows/second for our importer and for a naive pandas import of the same file, the
table's open and scroll-to-end times over the imported database, the UI thread's longest stall
during a background import, the slowest finding save through the review form during an import of the
whole file, and the peak memory of each phase.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.bench_table import print_tabs
from bench.generate import write


def run_child(*argv: str) -> dict:
    completed = subprocess.run([sys.executable, *argv], capture_output=True, text=True, check=False)
    if completed.returncode != 0:
        raise SystemExit(f"benchmark step failed: {' '.join(argv)}\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ui-import-rows", type=int, default=200_000,
                        help="rows of the file imported while the UI heartbeat runs")
    parser.add_argument("--keep", type=Path, help="keep the generated files and databases here")
    parser.add_argument("--scale-files", type=int, default=0,
                        help="bench.bench_scale: also import this many --rows files of different forces (10: 10M)")
    args = parser.parse_args()
    folder = args.keep or Path(tempfile.mkdtemp(prefix="stopsearch-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    csv_path = write(args.rows, folder / "2024-01-metropolitan-stop-and-search.csv")
    ui_csv = write(args.ui_import_rows, folder / "2025-01-city-of-london-stop-and-search.csv", seed=7)
    print(f"generated {args.rows:,} rows ({csv_path.stat().st_size / 2**20:.0f} MiB) in {folder}")

    for database in ("naive.db", "naive-sqlite3.db", "ours.db"):
        for leftover in folder.glob(database + "*"):
            leftover.unlink()
    naive = run_child("-m", "bench.bench_import", "naive", str(csv_path), str(folder / "naive.db"))
    bare = run_child("-m", "bench.bench_import", "naive-sqlite3", str(csv_path), str(folder / "naive-sqlite3.db"))
    ours = run_child("-m", "bench.bench_import", "ours", str(csv_path), str(folder / "ours.db"))
    again = run_child("-m", "bench.bench_import", "ours", str(csv_path), str(folder / "ours.db"))
    ours_rate, naive_rate, bare_rate = (ours["rows"] / ours["seconds"], naive["rows"] / naive["seconds"],
                                        bare["rows"] / bare["seconds"])
    print(f"import, ours : {ours['rows']:,} rows in {ours['seconds']:.1f} s = {ours_rate:,.0f} rows/s, "
          f"peak {ours['peak_rss_mib']:,.0f} MiB + reader process {ours['child_peak_rss_mib']:,.0f} MiB (identity, dedup, derived fields, quarantine, one transaction)")
    print(f"import, naive: {naive['rows']:,} rows in {naive['seconds']:.1f} s = {naive_rate:,.0f} rows/s, "
          f"peak {naive['peak_rss_mib']:,.0f} MiB (pandas.read_csv + DataFrame.to_sql on a SQLAlchemy engine)")
    print(f"import, naive via a bare sqlite3 connection: {bare['seconds']:.1f} s = {bare_rate:,.0f} rows/s "
          f"(raw text only: no types, no identity, no checks)")
    print(f"re-import of the same file: {again['rows']:,} records added in {again['seconds']:.1f} s "
          f"(every row looked up as a duplicate)")
    print(f"import speed-up: {ours_rate / naive_rate:.1f}x the naive import (target >= 3x); "
          f"{ours_rate / bare_rate:.1f}x the bare sqlite3 variant")

    table = run_child("-m", "bench.bench_table", str(folder / "ours.db"), str(ui_csv))
    print(f"table open on {table['rows_shown']:,} rows: {table['open_seconds']:.2f} s to rows on screen "
          f"(target < 1 s); the count line's totals after {table['totals_seconds']:.2f} s")
    print(f"scroll to end: {table['scroll_to_end_seconds'] * 1000:.0f} ms")
    print_tabs(table["tabs"])
    print(f"import of {table['import_during_ui_rows']:,} rows with the window open: "
          f"{table['import_during_ui_seconds']:.1f} s; longest UI-thread stall {table['ui_longest_stall_ms']} ms "
          f"over {table['ui_heartbeats']:,} heartbeats (target <= 100 ms); stalls over 60 ms (start, length): "
          f"{table['ui_stalls_over_60ms']}; start_import() itself {table['start_import_call_ms']} ms; "
          f"peak {table['peak_rss_mib']:,.0f} MiB")
    print(f"after the import, while the table takes in the new records ({table['rows_shown_after_import']:,} "
          f"rows): longest UI-thread stall {table['ui_longest_stall_after_import_ms']} ms")

    # Issue 10: finding saves through the app's review form (on its worker) while the window imports the file.
    saving = run_child("-m", "bench.bench_save_during_import", "--ui", "--rows", str(args.rows))
    print(f"finding saves through the review form while the window imports {saving['imported']:,} rows "
          f"({saving['import_seconds']:.1f} s): {saving['saves']} saves, {len(saving['failed'])} failed, slowest "
          f"{saving['slowest_save_s']} s (it waits for the import's commit); longest UI-thread stall "
          f"{saving['ui_longest_stall_ms']} ms over {saving['ui_heartbeats']:,} heartbeats (target <= 100 ms)")

    # Issue 11: import in date order and shuffled, check end to end, optionally ten files (bench/bench_scale.py).
    subprocess.run([sys.executable, "-m", "bench.bench_scale", "--rows", str(args.rows),
                    "--files", str(args.scale_files)], check=True)


if __name__ == "__main__":
    main()
