"""Charter checks over a stored database: load the records, run every rule, store the verdicts.

    python -m bench.bench_check_store --db sqlite:////tmp/bench1m/ours.db
(`python -m bench --rows 1000000 --keep /tmp/bench1m` leaves such a database.)
"""

from __future__ import annotations

import argparse
import resource
import time

from stopsearch_app.domain.charter.engine import check
from stopsearch_app.domain.charter.ruleset import default_ruleset
from stopsearch_app.store.checks import run_check
from stopsearch_app.store.database import open_database
from stopsearch_app.store.frames import load_records, local_fields_by_batch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", required=True)
    args = parser.parse_args()
    engine = open_database(args.db)
    ruleset = default_ruleset()
    started = time.perf_counter()
    records = load_records(engine).set_index("search_id", drop=False)
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    result = check(records, ruleset, local_fields_by_batch(engine))
    checked = time.perf_counter() - started
    print(f"load {len(records):,} records from the database: {loaded:.2f} s")
    print(f"check them against {len(result.rule_ids)} rules: {checked:.2f} s (target < 5 s for 1,000,000)")
    started = time.perf_counter()
    summary = run_check(engine, ruleset, run_by="bench")
    total = time.perf_counter() - started
    print(f"run_check end to end (load + check + store {summary.records_checked:,} packed rows): {total:.2f} s; "
          f"storing alone ~{total - loaded - checked:.2f} s")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
