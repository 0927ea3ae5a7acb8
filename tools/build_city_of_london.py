"""Build resources/census/ts022_city_of_london.csv: the City of London's usual residents by ethnic group
(five groups, all ages) from ONS Census 2021 TS022, the only shipped table with the City on its own.

The single-age table the app uses for everything else merges the City with Westminster; the app splits
that row with these totals (stopsearch_app.domain.city_of_london). Run from the project root:

    python tools/build_city_of_london.py ../shared/data/census/MichellePapadakis_SaS-GeoAnalysis__TS022_census2021_ethnic_group_detailed_LTLA.csv
"""

from __future__ import annotations

import csv
import hashlib
import sys
from collections import Counter
from pathlib import Path

CITY = "E09000001"
# TS022's detailed categories start with their high-level group; "Does not apply" is empty.
PREFIX_TO_GROUP = {
    "White": "White",
    "Asian, Asian British or Asian Welsh": "Asian",
    "Black, Black British, Black Welsh of African background": "Black",
    "Black, Black British, Black Welsh or Caribbean background": "Black",
    "Mixed or Multiple ethnic groups": "Mixed",
    "Other ethnic group": "Other",
}
OUT = Path(__file__).resolve().parent.parent / "resources" / "census" / "ts022_city_of_london.csv"


def main(source: str) -> None:
    data = Path(source).read_bytes()
    totals: Counter[str] = Counter()
    for row in csv.DictReader(data.decode("utf-8-sig").splitlines()):
        if row["Lower tier local authorities Code"] != CITY:
            continue
        prefix = row["Ethnic Group (detailed) (288 categories)"].split(":", 1)[0].strip()
        if prefix == "Does not apply":
            continue
        totals[PREFIX_TO_GROUP[prefix]] += int(row["Observation"])
    with OUT.open("w", newline="", encoding="utf-8") as handle:
        handle.write(f"# source = ONS Census 2021 TS022 (ethnic group, detailed), usual residents, all ages\n"
                     f"# source_file = {Path(source).name}\n"
                     f"# source_sha256 = {hashlib.sha256(data).hexdigest()}\n"
                     "# licence = Contains public sector information licensed under the Open Government Licence v3.0\n")
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(["geography_code", "geography_name", "age", "ethnic_group_5", "population"])
        for group in ("White", "Black", "Asian", "Mixed", "Other"):
            writer.writerow([CITY, "City of London", "all", group, totals[group]])
    print(f"{OUT}: {sum(totals.values()):,} residents {dict(totals)}")


if __name__ == "__main__":
    main(sys.argv[1])
