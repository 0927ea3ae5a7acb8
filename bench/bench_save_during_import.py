"""Finding saves while a large import holds SQLite's write lock (issue 10, store side).

    python -m bench.bench_save_during_import --rows 1000000

Imports a generated police.uk file in a child process (as the app does: import_process.py) and, from
this process, saves a finding every 0.5 s until the import ends: prints each save's latency, the slowest,
and whether any failed. One transaction per file holds, so a save waits for the import's commit.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import threading
import time
from pathlib import Path

from bench.generate import write


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    from stopsearch_app.services.import_process import import_in_child
    from stopsearch_app.io.synthetic_extract import generate_extract
    from stopsearch_app.io.synthetic_extract import write_csv as write_extract
    from stopsearch_app.store.checks import run_check
    from stopsearch_app.store.database import open_database
    from stopsearch_app.store.queries import Labels
    from stopsearch_app.store.reviews import ChangeFinding, RecordFinding, queue_ids, record_id_for
    from stopsearch_app.store.importer import import_sources
    from stopsearch_app.io.readers import make_reader
    from stopsearch_app.io.sources import expand

    folder = Path(tempfile.mkdtemp(prefix="bench-save-"))
    url = f"sqlite:///{folder / 'bench.db'}"
    engine = open_database(url)
    extract = write_extract(folder / "extract.csv", generate_extract(rows=300, seed=4))
    import_sources(engine, list(expand([extract])), make_reader(fmt="local"), imported_by="bench")
    run_check(engine, run_by="bench")
    labels = Labels(engine)
    record_id = record_id_for(engine, labels, int(queue_ids(engine, labels)[0]))
    state = RecordFinding(engine, record_id, "supervisor", {"outcome": "words_of_advice", "note": "n0",
                                                             "rules_addressed": [], "bwv_viewed": True},
                          who="bench").do()
    big = write(args.rows, folder / "2024-01-metropolitan-stop-and-search.csv")
    done = threading.Event()
    outcome: dict = {}

    def run_import() -> None:
        started = time.monotonic()
        report = import_in_child(url, [big], force=None, fmt="auto", mapping_json=None, user="bench",
                                 progress=lambda *a: None, is_cancelled=lambda: False)
        outcome.update(imported=report.imported, seconds=round(time.monotonic() - started, 1))
        done.set()

    thread = threading.Thread(target=run_import)
    thread.start()
    latencies, failures = [], []
    time.sleep(2)
    while not done.is_set():
        started = time.monotonic()
        try:
            state = ChangeFinding(engine, record_id, "supervisor", {**state.fields, "note": f"n{len(latencies) + len(failures) + 1}"},
                                  who="bench", why="bench", expected_version=state.version).do()
            latencies.append(round(time.monotonic() - started, 2))
        except Exception as error:  # noqa: BLE001 - counted
            failures.append(f"{type(error).__name__}: {error}")
        time.sleep(0.5)
    thread.join()
    print(json.dumps({"rows": args.rows, "import": outcome, "saves": len(latencies), "failed": failures,
                      "slowest_save_s": max(latencies, default=None), "latencies_s": latencies}))


if __name__ == "__main__":
    main()
