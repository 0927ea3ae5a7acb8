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
    import pandas as pd

    started = time.perf_counter()
    frame = pd.read_csv(csv_path)
    with sqlite3.connect(db_path) as connection:
        frame.to_sql("naive", connection, index=False)
    return {"rows": len(frame), "seconds": time.perf_counter() - started}


if __name__ == "__main__":
    which, csv_path, db_path = sys.argv[1:4]
    result = (ours if which == "ours" else naive)(csv_path, db_path)
    result["peak_rss_mib"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps(result))
