"""Counts from real files for the statistics tests, computed here with pandas independently of the
app's readers: City of London police.uk CSVs (Dec 2019 - Feb 2020, resources/data/policeuk/) and the
City's own residents from Census 2021 TS022 (tests/data/ts022_city_of_london.csv, the City's rows of
shared/data/census/MichellePapadakis_SaS-GeoAnalysis__TS022_census2021_ethnic_group_detailed_LTLA.csv).
Contains public sector information licensed under the Open Government Licence v3.0."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
POLICEUK = ROOT / "resources" / "data" / "policeuk"
_PREFIXES = (("White", "White"), ("Black", "Black"), ("Asian", "Asian"), ("Mixed", "Mixed"), ("Other", "Other"))


def _group(text: object) -> str | None:
    for prefix, group in _PREFIXES:
        if isinstance(text, str) and text.startswith(prefix):
            return group
    return None


def city_population() -> dict[str, int]:
    frame = pd.read_csv(ROOT / "tests" / "data" / "ts022_city_of_london.csv")
    frame["group"] = frame.iloc[:, 3].map(_group)
    return {g: int(v) for g, v in frame.dropna(subset=["group"]).groupby("group")["Observation"].sum().items()}


CITY_POPULATION = city_population()


def city_of_london_month_counts() -> dict[str, dict[str, int]]:
    """month -> group -> person searches (self-defined ethnicity), vehicle-only searches left out."""
    counts = {}
    for path in sorted(POLICEUK.glob("*city-of-london-stop-and-search.csv")):
        frame = pd.read_csv(path)
        frame = frame[frame["Type"] != "Vehicle search"]
        month = path.name.split("__")[1][:7]
        groups = frame["Self-defined ethnicity"].map(_group).value_counts()
        counts[month] = {g: int(groups.get(g, 0)) for g, _ in _PREFIXES}
    return counts
