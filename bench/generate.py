"""A seeded generator of police.uk archive CSV files of any size, with realistic vocabularies and
the quirks of real files (blank columns, BST dates, legacy strings, trailing spaces).

    python -m bench.generate --rows 1000000 --out /tmp/2024-01-metropolitan-stop-and-search.csv
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

from stopsearch_app.io.policeuk import ARCHIVE_HEADER

CHOICES = {
    "Type": (["Person search", "Person and Vehicle search", "Vehicle search"], [0.78, 0.19, 0.03]),
    "Part of a policing operation": (["False", "True", ""], [0.6, 0.05, 0.35]),
    "Gender": (["Male", "Female", "Other", ""], [0.86, 0.09, 0.01, 0.04]),
    "Age range": (["18-24", "over 34", "25-34", "10-17", "under 10", ""], [0.3, 0.22, 0.21, 0.15, 0.002, 0.118]),
    "Self-defined ethnicity": ([
        "White - English/Welsh/Scottish/Northern Irish/British", "White - Any other White background",
        "Black/African/Caribbean/Black British - African", "Black/African/Caribbean/Black British - Caribbean",
        "Black/African/Caribbean/Black British - Any other Black/African/Caribbean background",
        "Asian/Asian British - Bangladeshi", "Asian/Asian British - Pakistani", "Asian/Asian British - Indian",
        "Mixed/Multiple ethnic groups - White and Black Caribbean", "Other ethnic group - Any other ethnic group",
        "Other ethnic group - Not stated", "White - White British (W1)", ""],
        [0.3, 0.06, 0.07, 0.05, 0.08, 0.03, 0.02, 0.02, 0.04, 0.03, 0.25, 0.01, 0.04]),
    "Officer-defined ethnicity": (["White", "Black", "Asian", "Other", "Mixed", ""], [0.45, 0.28, 0.14, 0.05, 0.01, 0.07]),
    "Legislation": (["Misuse of Drugs Act 1971 (section 23)", "Police and Criminal Evidence Act 1984 (section 1)",
                     "Criminal Justice and Public Order Act 1994 (section 60)", "Firearms Act 1968 (section 47)",
                     "Environmental Protection Act 1990 (section 34B )", ""],
                    [0.6, 0.33, 0.02, 0.01, 0.001, 0.039]),
    "Object of search": (["Controlled drugs", "Offensive weapons", "Stolen goods", "Article for use in theft",
                          "Firearms", "Anything to threaten or harm anyone", ""],
                         [0.6, 0.15, 0.1, 0.07, 0.01, 0.02, 0.05]),
    "Outcome": (["A no further action disposal", "Arrest", "Community resolution", "Khat or Cannabis warning",
                 "Penalty Notice for Disorder", "Summons / charged by post", "Caution (simple or conditional)",
                 "Nothing found - no further action", ""],
                [0.68, 0.14, 0.08, 0.04, 0.02, 0.02, 0.01, 0.005, 0.005]),
    "Outcome linked to object of search": (["", "True", "False"], [0.5, 0.15, 0.35]),
    "Removal of more than just outer clothing": (["", "False", "True"], [0.5, 0.48, 0.02]),
}


def generate(rows: int, seed: int = 20221, *, months: int = 12, shuffled: bool = False) -> pd.DataFrame:
    """``shuffled``: rows in random order over ``months`` months (a multi-month extract or files merged
    by hand), the order that defeats an index filled in date order."""
    rng = np.random.default_rng(seed)
    columns: dict[str, object] = {}
    start = pd.Timestamp("2023-04-30T23:00:00Z").value // 10**9
    seconds = np.sort(rng.integers(start, start + round(months * 365.25 / 12 * 86_400), size=rows))
    if shuffled:
        seconds = rng.permutation(seconds)
    columns["Date"] = pd.to_datetime(seconds, unit="s", utc=True).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    for name, (values, weights) in CHOICES.items():
        weights = np.asarray(weights, dtype=float)
        columns[name] = np.asarray(values, dtype=object)[rng.choice(len(values), size=rows, p=weights / weights.sum())]
    located = rng.random(rows) > 0.1
    snap_lat = np.round(51.28 + rng.integers(0, 40_000, size=rows) * 1e-5, 6)
    snap_lon = np.round(-0.5 + rng.integers(0, 70_000, size=rows) * 1e-5, 6)
    columns["Latitude"] = np.where(located, snap_lat.astype(str), "")
    columns["Longitude"] = np.where(located, snap_lon.astype(str), "")
    columns["Policing operation"] = np.where(rng.random(rows) < 0.01, "Operation Example", "")
    return pd.DataFrame({name: columns[name] for name in ARCHIVE_HEADER})


def write(rows: int, path: Path, seed: int = 20221, *, months: int = 12, shuffled: bool = False) -> Path:
    generate(rows, seed, months=months, shuffled=shuffled).to_csv(path, index=False, lineterminator="\r\n")
    return path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20221)
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--shuffled", action="store_true", help="rows in random order over the months")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()
    write(args.rows, args.out, args.seed, months=args.months, shuffled=args.shuffled)
    print(f"wrote {args.rows:,} rows to {args.out}")


if __name__ == "__main__":
    main()
