"""Disparity benchmark: recompute every statistic of the Disparity tab for a series of filter changes
over an existing database.

    python -m bench.bench_disparity --db sqlite:////tmp/bench1m/ours.db [--repeat 5]

(``python -m bench --rows 1000000 --keep /tmp/bench1m`` leaves such a database; so does
``python -m bench.generate --rows 1000000 --out DIR/2024-01-metropolitan-stop-and-search.csv`` followed by
``stopsearch --db sqlite:///DIR/ours.db import DIR/2024-01-metropolitan-stop-and-search.csv``.)

One "filter change" is :func:`stopsearch_app.services.disparity.compute_dashboard`: the headline measure with
rates, ratios, intervals and sensitivity ranges, the rate of every age band, the monthly series of
children, both outcome tests for children, the ratio per covered month with its trend, every borough
and the funnel, which is everything the charts draw. Target: under 200 ms per filter change over
1,000,000 records (the cube's kept answers are forgotten before every timed run). Also timed: building the count cube (once per change
of the data), the freshness check each recomputation makes, and one request by plain SQL ``GROUP BY``
(``cached=False``, the reference path the tests hold the cube to) for comparison. The last line of output is the figures as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from sqlalchemy import func, select

from bench.memory import peak_mib
from stopsearch_app.services.disparity import compute_dashboard, compute_disparity
from stopsearch_app.store import aggregates
from stopsearch_app.store.database import open_database
from stopsearch_app.store.queries import Labels
from stopsearch_app.store.schema import search

TARGET_MS = 200  # issue 11: every statistic per filter change over 1,000,000 records
FILTER_CHANGES = (
    {"age": "10-17"},
    {"age": "10-17", "ethnicity": "officer"},
    {"age": "child"},
    {"age": "under-10"},
    {"age": "adult", "measure": "find-rate"},
    {"age": "child", "measure": "removal-rate"},
    {"age": "all", "ethnicity": "officer"},
)


def main() -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True, metavar="URL", help="SQLAlchemy URL of a loaded database")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs of each filter change")
    args = parser.parse_args()

    engine = open_database(args.db)
    labels = Labels(engine)
    with engine.connect() as connection:
        records = connection.execute(select(func.count()).select_from(search)).scalar_one()
        months = connection.execute(select(search.c.month).distinct().order_by(search.c.month)).scalars().all()
    if not records:
        raise SystemExit(f"{args.db}: no records; import some first")
    # Two filter changes over a shorter period, from the months actually loaded.
    middle = months[len(months) // 2]
    changes = FILTER_CHANGES + ({"age": "10-17", "month_from": middle}, {"age": "child", "month_to": middle})
    print(f"{records:,} records, {len(months)} months ({months[0]} to {months[-1]})")

    aggregates.invalidate(engine)
    started = time.perf_counter()
    cube = aggregates.counts(engine, labels)
    cube_seconds = time.perf_counter() - started
    print(f"count cube built: {cube.rows:,} rows in {cube_seconds:.2f} s (once per change of the data)")

    checks = []
    for _ in range(max(3, args.repeat)):
        started = time.perf_counter()
        aggregates.counts(engine, labels)
        checks.append(time.perf_counter() - started)
    print(f"freshness check per recomputation: median {statistics.median(checks) * 1000:.1f} ms")

    rows = []
    for change in changes:
        compute_dashboard(engine, labels, **change)  # warm
        times = []
        for _ in range(args.repeat):
            cube.forget_answers()  # a filter change the cube has not answered before, every time
            started = time.perf_counter()
            compute_dashboard(engine, labels, **change)
            times.append(time.perf_counter() - started)
        rows.append({"filters": change, "median_ms": statistics.median(times) * 1000, "max_ms": max(times) * 1000})
        print(f"  {json.dumps(change):60s} median {rows[-1]['median_ms']:6.1f} ms  max {rows[-1]['max_ms']:6.1f} ms")
    worst_median = max(row["median_ms"] for row in rows)
    print(f"every statistic per filter change: worst median {worst_median:.0f} ms "
          f"({'within' if worst_median < TARGET_MS else 'OVER'} the {TARGET_MS} ms target)")

    started = time.perf_counter()
    compute_disparity(engine, labels, age="10-17", cached=False)
    sql_seconds = time.perf_counter() - started
    print(f"one request by plain SQL GROUP BY instead of the cube: {sql_seconds:.2f} s")
    result = {
        "records": records, "months": len(months), "cube_rows": cube.rows, "cube_build_seconds": cube_seconds,
        "freshness_check_ms": statistics.median(checks) * 1000, "filter_changes": rows,
        "worst_median_ms": worst_median, "target_ms": TARGET_MS, "plain_sql_request_seconds": sql_seconds,
        "peak_rss_mib": peak_mib(),
    }
    print(json.dumps(result))
    return result


if __name__ == "__main__":
    main()
