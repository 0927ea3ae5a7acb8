"""Dashboards carrying the keys the lead's disparity.py adds (``series``, ``trend``, ``boroughs``,
``funnel``), built by the domain functions from counts shaped like the Met's: London's Census 2021
residents (the shipped table) and monthly searches of the Met's order of magnitude."""

from __future__ import annotations

import numpy as np

from stopsearch_app.domain.denominators import shipped_denominator_table
from stopsearch_app.domain.funnel import boroughs_from_json, funnel
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.trend import MonthCounts, monthly_series, ratio_trend

# Monthly person searches of each group per 1,000 residents, roughly the Met's 2023 level.
MONTHLY_PER_1000 = {"White": 0.75, "Black": 3.0, "Asian": 0.9, "Mixed": 1.1, "Other": 0.002}


def covered_months() -> list[MonthCounts]:
    """2023-01 .. 2024-03 without 2023-06 (not loaded): 14 covered months; the Black ratio falls
    about 10% a year; Other is under 10 every month (suppressed); 2023-09 has no White searches."""
    table = shipped_denominator_table()
    populations = table.population("london", "all")
    rng = np.random.default_rng(9)
    months = []
    for k in range(15):
        year, month = divmod(2023 * 12 + k, 12)
        label = f"{year}-{month + 1:02d}"
        if label == "2023-06":
            continue
        searches = {}
        for group in ETHNIC_GROUPS:
            rate = MONTHLY_PER_1000[group] * (0.9 ** (k / 12) if group == "Black" else 1.0)
            searches[group] = int(rng.poisson(populations[group] * rate / 1000 * rng.uniform(0.85, 1.15)))
        if label == "2023-09":
            searches["White"] = 0
        months.append(MonthCounts(label, searches, dict(populations)))
    return months


def series_keys() -> dict:
    months = covered_months()
    return {"series": monthly_series(months), "trend": ratio_trend(months).as_json()}


def borough_keys(group: str = "Black") -> dict:
    """Every borough of the shipped table, a year of searches; three boroughs set apart from the rest,
    one with too few searches to show."""
    table = shipped_denominator_table()
    rng = np.random.default_rng(33)
    special = {"Kensington and Chelsea": 2.2, "Hackney": 0.55, "Richmond upon Thames": None}
    boroughs = []
    for name in table.area_names()[1:]:
        pops = table.population(name, "all")
        factor = special.get(name, 1.0)
        white = int(rng.poisson(pops["White"] * 0.009))
        black = 8 if factor is None else int(rng.poisson(pops["Black"] * 0.009 * 3.4 * factor))
        groups = [{"group": g, "searches": {"White": white, "Black": black}.get(g, 0), "population": pops[g]}
                  for g in ETHNIC_GROUPS]
        boroughs.append({"borough": name, "gss_code": None, "groups": groups})
    totals = {g: sum(next(x for x in b["groups"] if x["group"] == g)["searches"] for b in boroughs)
              for g in ("White", group)}
    london = table.population("london", "all")
    centre = (totals[group] / london[group]) / (totals["White"] / london["White"])
    return {"boroughs": boroughs, "funnel": funnel(boroughs_from_json(boroughs, group=group), centre).as_json()}
