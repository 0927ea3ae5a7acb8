#!/usr/bin/env python3
"""Build the shipped Census 2021 denominator table for London (shared/spec/statistics.md, "Denominators").

Reads the ONS Census 2021 table of usual residents by 19 ethnic groups x single year of age for every
local authority, region and country of England and Wales (the file in ``shared/data/census/`` whose
name has ``single_age``), keeps London only, and writes two files into ``resources/census/``:

``census2021_la_age_ethnicity.csv``
    A tidy long table, one row per geography x single year of age x 19-group ethnicity, with columns
    ``geography_code,geography_name,age,ethnic_group_19,ethnic_group_5,population,suppressed``.
    ``age`` is ``0`` ... ``99`` and ``100+`` (the source's "100 or over"); ``suppressed`` is ``1``
    where the source cell was ``c`` (then ``population`` is 0) and ``0`` otherwise.
``census2021_la_age_ethnicity.meta.toml``
    Where the numbers come from, their licence, the classification, how many cells were suppressed,
    and how the City of London is handled. ``stopsearch_app.domain.denominators`` reads both.

Choices, all recorded in the metadata file:

* London only (the 32 local-authority rows the table has for the 33 London boroughs, plus the
  London region row E12000007), to keep the shipped resource small. The app's rates are for the Met.
* The source merges the City of London with Westminster ("City of London and Westminster",
  code E09000001; there is no E09000033 row). A Met rate therefore uses the London region row, all
  of London including the City's few thousand residents: the City cannot be taken out, and the
  Home Office's published 41.7 per 1,000 (Black, year to March 2024) matches the whole-London
  denominator. The region row is also the better total: it has far fewer suppressed cells than the
  sum of the borough rows.
* Suppressed cells (``c``) are kept as rows with population 0 and ``suppressed = 1``, and counted.
* The 19 groups map to the five by their ONS prefix; "Other ethnic group: Arab" and "Any other
  ethnic group" are Other.

Re-runnable: the output depends only on the input file. Usage (from the project root)::

    .venv/bin/python tools/build_census_denominators.py [--source CSV] [--out-dir resources/census]
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import sys
from collections import Counter
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SOURCE = Path(
    "/work/shared/data/census/WildPigen_MY472finalproject__census2021_ethnic_group_by_single_age_LA.csv"
)
DEFAULT_OUT_DIR = PROJECT_ROOT / "resources" / "census"
OUTPUT_STEM = "census2021_la_age_ethnicity"

LONDON_REGION_CODE = "E12000007"
LONDON_LA_PREFIX = "E09"
MERGED_CITY_CODE = "E09000001"  # "City of London and Westminster" in this table
WESTMINSTER_CODE = "E09000033"  # absent from this table: merged into E09000001
SUPPRESSED_MARK = "c"
TOP_AGE_SOURCE = "100 or over"
TOP_AGE_OUTPUT = "100+"

# ONS 19-category labels start with their high-level group; this is the 5-group classification.
FIVE_GROUP_BY_PREFIX = (
    ("Asian, Asian British or Asian Welsh:", "Asian"),
    ("Black, Black British, Black Welsh, Caribbean or African:", "Black"),
    ("Mixed or Multiple ethnic groups:", "Mixed"),
    ("White:", "White"),
    ("Other ethnic group:", "Other"),  # Arab and "Any other ethnic group"
)
FIXED_COLUMNS = ("Geography Code", "Geography Name", "Age")
OUTPUT_COLUMNS = ("geography_code", "geography_name", "age", "ethnic_group_19", "ethnic_group_5",
                  "population", "suppressed")

LICENCE = "Contains public sector information licensed under the Open Government Licence v3.0"
SOURCE = ("ONS Census 2021: usual residents by ethnic group (19 categories) by single year of age, "
          "local authorities in England and Wales")
# The file's ONS origin is a custom dataset; its exact ONS table code was not verified (domain.md section 8).
SOURCE_TABLE = ("Census 2021 ethnic group (19 categories) x single year of age x local authority "
                "(ONS custom dataset; exact ONS table code not verified), as committed in "
                "github.com/WildPigen/MY472finalproject: ")
GEOGRAPHY = ("London: 32 local-authority rows for the 33 boroughs (City of London merged with "
             "Westminster as E09000001) and the London region E12000007")
PERTURBATION = ("ONS statistical disclosure control: cells are perturbed and rounded; small cells "
                "suppressed as c")
SUPPRESSED_RULE = "source cells marked c are kept as rows with population 0 and suppressed = 1"


def five_group(label_19: str) -> str:
    for prefix, group in FIVE_GROUP_BY_PREFIX:
        if label_19.startswith(prefix):
            return group
    raise ValueError(f"ethnic group column {label_19!r} has no known 5-group prefix")


def is_london(code: str) -> bool:
    return code == LONDON_REGION_CODE or code.startswith(LONDON_LA_PREFIX)


def output_age(source_age: str) -> str:
    if source_age == TOP_AGE_SOURCE:
        return TOP_AGE_OUTPUT
    if not source_age.isdigit():
        raise ValueError(f"unexpected age value {source_age!r}")
    return str(int(source_age))


def build(source: Path, out_dir: Path) -> dict:
    """Write the CSV and its metadata; return the summary that went into the metadata."""
    rows_out: list[tuple] = []
    suppressed_by_geography: Counter[str] = Counter()
    names: dict[str, str] = {}
    # utf-8-sig: the source starts with a byte-order mark that would otherwise stick to the first header
    with source.open(newline="", encoding="utf-8-sig") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        if tuple(header[:3]) != FIXED_COLUMNS:
            raise ValueError(f"{source}: expected the first columns {FIXED_COLUMNS}, found {header[:3]}")
        groups_19 = header[3:]
        groups_5 = [five_group(label) for label in groups_19]
        if len(groups_19) != 19:
            raise ValueError(f"{source}: expected 19 ethnic-group columns, found {len(groups_19)}")
        for line_number, row in enumerate(reader, start=2):
            code, name, age = row[0], row[1], row[2]
            if not is_london(code):
                continue
            if len(row) != len(header):
                raise ValueError(f"{source} line {line_number}: {len(row)} fields, expected {len(header)}")
            names[code] = name
            age_text = output_age(age)
            for label_19, label_5, cell in zip(groups_19, groups_5, row[3:]):
                cell = cell.strip()
                if cell == SUPPRESSED_MARK:
                    population, suppressed = 0, 1
                    suppressed_by_geography[code] += 1
                elif cell.isdigit():
                    population, suppressed = int(cell), 0
                else:
                    raise ValueError(f"{source} line {line_number}: {label_19!r} has {cell!r}")
                rows_out.append((code, name, age_text, label_19, label_5, population, suppressed))

    if LONDON_REGION_CODE not in names:
        raise ValueError(f"{source}: no London region row ({LONDON_REGION_CODE})")
    la_codes = sorted(code for code in names if code.startswith(LONDON_LA_PREFIX))
    if WESTMINSTER_CODE in names:
        # The documented choice below would be wrong for a table that keeps the City separate.
        raise ValueError(f"{source}: has a separate Westminster row; review the City of London choice")

    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path = out_dir / f"{OUTPUT_STEM}.csv"
    with csv_path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(OUTPUT_COLUMNS)
        writer.writerows(rows_out)

    summary = {
        "rows": len(rows_out),
        "local_authority_rows": len(la_codes),
        "suppressed_cells": sum(suppressed_by_geography.values()),
        "suppressed_cells_region": suppressed_by_geography[LONDON_REGION_CODE],
        "suppressed_cells_local_authorities": sum(
            count for code, count in suppressed_by_geography.items() if code != LONDON_REGION_CODE),
        "source_sha256": hashlib.sha256(source.read_bytes()).hexdigest(),
        "merged_city_name": names.get(MERGED_CITY_CODE, ""),
    }
    (out_dir / f"{OUTPUT_STEM}.meta.toml").write_text(_metadata_toml(source, summary), encoding="utf-8")
    return summary


def _toml_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _metadata_toml(source: Path, summary: dict) -> str:
    merged_note = (
        "The Census table merges the City of London with Westminster (one row, "
        f"{MERGED_CITY_CODE} '{summary['merged_city_name']}'); 'Westminster' and 'City of London' "
        "both resolve to that row, so its rate covers both.")
    london_note = (
        "London region row (E12000007): all of London including the City of London. The Met's "
        "area excludes the City, but this table merges the City with Westminster so the City cannot "
        "be taken out; the City's residents are a negligible share, and the Home Office's 41.7 per "
        "1,000 (Black, year to March 2024) matches this whole-London denominator.")
    lines = [
        "# Metadata for census2021_la_age_ethnicity.csv, written by tools/build_census_denominators.py.",
        "# Read by stopsearch_app.domain.denominators. Do not edit by hand: re-run the script.",
        f"source = {_toml_string(SOURCE)}",
        f"source_table = {_toml_string(SOURCE_TABLE + source.name)}",
        f"source_sha256 = {_toml_string(summary['source_sha256'])}",
        "year = 2021",
        f"geography = {_toml_string(GEOGRAPHY)}",
        'classification = "ons-5-group"',
        'detail_classification = "ons-19-group"',
        f"licence = {_toml_string(LICENCE)}",
        'built_by = "tools/build_census_denominators.py"',
        'population_base = "usual residents"',
        f"perturbation = {_toml_string(PERTURBATION)}",
        f"suppressed_rule = {_toml_string(SUPPRESSED_RULE)}",
        f"suppressed_cells = {summary['suppressed_cells']}",
        f"suppressed_cells_region = {summary['suppressed_cells_region']}",
        f"suppressed_cells_local_authorities = {summary['suppressed_cells_local_authorities']}",
        f"rows = {summary['rows']}",
        f"top_age = {_toml_string(TOP_AGE_OUTPUT + ' is the source age band 100 or over')}",
        f"city_of_london = {_toml_string(merged_note)}",
        "",
        "[london]",
        f'area_code = "{LONDON_REGION_CODE}"',
        f"note = {_toml_string(london_note)}",
        "",
        "# Names and codes that resolve to another row of this table (case-insensitive).",
        "[area_aliases]",
        f'"City of London" = "{MERGED_CITY_CODE}"',
        f'"Westminster" = "{MERGED_CITY_CODE}"',
        f'"City of Westminster" = "{MERGED_CITY_CODE}"',
        f'"{WESTMINSTER_CODE}" = "{MERGED_CITY_CODE}"',
        "",
        "# Shown with any figure for these rows.",
        "[area_notes]",
        f"{MERGED_CITY_CODE} = {_toml_string(merged_note)}",
        "",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=DEFAULT_SOURCE, help="the ONS single-age CSV")
    parser.add_argument("--out-dir", type=Path, default=DEFAULT_OUT_DIR, help="where to write (resources/census)")
    args = parser.parse_args(argv)
    summary = build(args.source, args.out_dir)
    print(f"wrote {summary['rows']} rows ({summary['local_authority_rows']} local authorities + London), "
          f"{summary['suppressed_cells']} suppressed cells, to {args.out_dir}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
