"""Charter-check benchmark: every rule over N records (default 1,000,000), then pack and unpack.

    python bench/bench_checks.py --rows 1000000 [--unique-text] [--derive-children] [--repeat 3]

The frame tiles the synthetic local extract (3,000 searches) and varies the source: one tile in three
is a police.uk CSV batch (local-only columns blanked, as an import would leave them), the rest are
local batches with their mapped fields. person_ref and source_ref are made unique per tile so repeat
searches stay realistic. ``--unique-text`` also makes every grounds text distinct (the worst case for
the per-distinct-value text matching); ``--derive-children`` drops the child columns so check() runs
child identification itself. Target: check() under 5 s for 1,000,000 records on a 2-core machine.
"""

from __future__ import annotations

import argparse
import resource
import statistics
import time

import numpy as np
import pandas as pd

from stopsearch_app.domain.charter import check, default_ruleset, unpack_verdicts
from stopsearch_app.domain.children import child_band, child_status
from stopsearch_app.domain.records import LOCAL_FIELDS, PUBLIC_FIELDS, SourceFormat
from stopsearch_app.domain import vocab
from stopsearch_app.io.synthetic_extract import SYNTHETIC_FIELDS, generate_extract


def build_frame(rows: int, unique_text: bool, with_children: bool) -> tuple[pd.DataFrame, dict[int, frozenset[str]]]:
    base = generate_extract()
    # Derived columns as the importer stores them.
    base["power"] = vocab.powers(base["legislation"])
    base["outcome_code"] = vocab.outcome_codes(base["outcome"])
    base["sde_group"] = vocab.sde_groups(base["self_defined_ethnicity"])
    tiles = -(-rows // len(base))
    frame = pd.concat([base] * tiles, ignore_index=True).iloc[:rows].copy()
    tile = np.arange(len(frame)) // len(base)
    public = tile % 3 == 2
    frame["batch_id"] = tile
    frame["source_format"] = np.where(public, SourceFormat.POLICEUK_CSV.value, SourceFormat.LOCAL.value)
    frame["source_format"] = frame["source_format"].astype("category")
    suffix = pd.Series(tile, index=frame.index).astype(str)
    frame["person_ref"] = frame["person_ref"] + "-" + suffix
    frame["source_ref"] = frame["source_ref"] + "-" + suffix
    if unique_text:
        frame["grounds_text"] = frame["grounds_text"] + " (record " + pd.Series(np.arange(len(frame)), index=frame.index).astype(str) + ")"
    for column in LOCAL_FIELDS:
        frame.loc[public, column] = None
    if with_children:
        status = child_status(frame)
        frame["child_status"] = status
        frame["child_band"] = child_band(frame, status)
    local_fields = {int(t): SYNTHETIC_FIELDS for t in np.unique(tile[~public])}
    assert all(field in PUBLIC_FIELDS or field in SYNTHETIC_FIELDS for field in frame.columns if field in SYNTHETIC_FIELDS)
    return frame, local_fields


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="timed runs of check() (the median is reported)")
    parser.add_argument("--unique-text", action="store_true", help="make every grounds text distinct")
    parser.add_argument("--derive-children", action="store_true", help="let check() derive child status")
    parser.add_argument("--top", type=int, default=8, help="slowest rules to list")
    args = parser.parse_args()

    started = time.perf_counter()
    frame, local_fields = build_frame(args.rows, args.unique_text, not args.derive_children)
    print(f"built {len(frame):,} records ({frame['source_format'].eq('local').mean():.0%} local, "
          f"{frame['grounds_text'].nunique():,} distinct grounds texts) in {time.perf_counter() - started:.1f} s")
    ruleset = default_ruleset()

    timings, result = [], None
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        result = check(frame, ruleset, local_fields)
        timings.append(time.perf_counter() - started)
    assert result is not None
    median = statistics.median(timings)
    verdict = "OK" if median < 5 else "OVER TARGET"
    print(f"check(): {len(result.rule_ids)} rules x {len(frame):,} records: median {median:.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in timings)}) target < 5 s: {verdict}")
    slowest = sorted(result.seconds.items(), key=lambda item: item[1], reverse=True)[: args.top]
    print("  slowest steps (last run): " + ", ".join(f"{name} {seconds * 1000:.0f} ms" for name, seconds in slowest))

    started = time.perf_counter()
    packed = result.packed()
    pack_seconds = time.perf_counter() - started
    started = time.perf_counter()
    unpacked = unpack_verdicts(packed, result.pack_order, index=packed.index)
    unpack_seconds = time.perf_counter() - started
    assert (unpacked[list(result.rule_ids)].to_numpy() == result.verdicts.to_numpy()).all()
    print(f"pack(): {pack_seconds:.2f} s; unpack(): {unpack_seconds:.2f} s (round trip verified); "
          f"example {packed.iloc[0]!r}")
    started = time.perf_counter()
    summary = result.summary()
    print(f"summary(): {time.perf_counter() - started:.3f} s; assessable rules: {len(result.assessable_rules())}; "
          f"S1 fails {summary['S1']['fail']:,}")
    print(f"peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
