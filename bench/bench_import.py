"""Import benchmark: our importer beside a naive ``pandas.read_csv`` + ``DataFrame.to_sql`` of the
same file, in the same run (the ratio is the figure that counts; the machine is shared and noisy).
Each side runs in its own process so peak memory is its own."""

from __future__ import annotations

import json
import resource
import sqlite3
import sys
import time
from pathlib import Path

from bench.memory import children_peak_mib, peak_mib, warm


def ours(csv_path: str, db_path: str) -> dict:
    from stopsearch_app.io.readers import make_reader
    from stopsearch_app.io.sources import expand
    from stopsearch_app.store.database import open_database
    from stopsearch_app.store.importer import import_sources

    engine = open_database(f"sqlite:///{db_path}")
    started = time.perf_counter()
    report = import_sources(engine, list(expand([Path(csv_path)])), make_reader(), imported_by="bench")
    seconds = time.perf_counter() - started
    return {"rows": report.imported, "seconds": seconds, "errors": [f.error for f in report.failed]}


def naive(csv_path: str, db_path: str) -> dict:
    """What one writes first: read_csv, then to_sql through a SQLAlchemy engine (as the app uses)."""
    import pandas as pd
    from sqlalchemy import create_engine

    started = time.perf_counter()
    frame = pd.read_csv(csv_path)
    frame.to_sql("naive", create_engine(f"sqlite:///{db_path}"), index=False)
    return {"rows": len(frame), "seconds": time.perf_counter() - started}


def naive_sqlite3(csv_path: str, db_path: str) -> dict:
    """The same with a bare sqlite3 connection (pandas' own fallback path), for comparison."""
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(csv_path)
    with sqlite3.connect(db_path) as connection:
        frame.to_sql("naive", connection, index=False)
    return {"rows": len(frame), "seconds": time.perf_counter() - started}


if __name__ == "__main__":
    which, csv_path, db_path = sys.argv[1:4]
    warm(csv_path)  # every side starts with the file in the page cache (bench.memory.warm)
    result = {"ours": ours, "naive": naive, "naive-sqlite3": naive_sqlite3}[which](csv_path, db_path)
    result["peak_rss_mib"] = peak_mib()
    result["child_peak_rss_mib"] = children_peak_mib()  # our reader process, for files over 48 MiB
    # CPU seconds of this process and its reader: on a shared machine less noisy than the wall clock.
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    result["cpu_seconds"] = own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime
    print(json.dumps(result))
