"""Officer and team patterns for supervisors (issue 12 item 6). Pure pandas/numpy.

Per officer (``officer_ref``) and per team (``officer_station``): searches, children searched, the find
rate (outcome linked to the object of the search), searches with a charter fail, and the share of
searches by self-defined ethnic group beside the area's residents (Census 2021). Thresholds live in
``resources/review/patterns.toml``: below ``min_searches_for_rate`` searches no rate or share is given
(``None``, shown as "too few searches"), never a misleading 0% or 100%; a share is given only with
``min_recorded_for_share`` searches whose ethnicity was recorded. Officers are compared with their
peers by activity (searches as a multiple of the median officer's in the same team, from ``min_peers``
officers on). Records without an officer or station are counted apart, never silently dropped.

These tables hold officer references: they are for the supervisor's own use, never for a panel pack.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

import numpy as np
import pandas as pd

from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.resources import load_toml

PATTERNS_FILE = ("review", "patterns.toml")
TOO_FEW = "too few searches"


@dataclass(frozen=True)
class Thresholds:
    version: str
    min_searches_for_rate: int
    min_recorded_for_share: int
    min_peers: int


@cache
def thresholds() -> Thresholds:
    data = load_toml(*PATTERNS_FILE)
    return Thresholds(str(data["version"]), int(data["min_searches_for_rate"]), int(data["min_recorded_for_share"]),
                      int(data["min_peers"]))


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    if name not in frame:
        return pd.Series(pd.NA, index=frame.index, dtype=object)
    return frame[name].astype(object).where(frame[name].notna(), pd.NA)


def _text_key(series: pd.Series) -> pd.Series:
    text = series.astype(object).where(series.notna(), "").astype(str).str.strip()
    return text.where(text != "", pd.NA)


def patterns(frame: pd.DataFrame, fails: pd.Series | np.ndarray | None = None, *, by: str = "officer",
             area_shares: Mapping[str, float] | None = None, settings: Thresholds | None = None) -> pd.DataFrame:
    """One row per officer (``by="officer"``) or team (``by="team"``); see the module docstring.

    ``fails``: per record, how many charter rules it fails (aligned with ``frame``); None = not checked.
    ``area_shares``: the area's residents by ethnic group as shares (0-1) for the comparison columns."""
    settings = settings or thresholds()
    key_name = {"officer": "officer_ref", "team": "officer_station"}[by]
    keys = _text_key(_column(frame, key_name))
    child = _column(frame, "child_status").eq("child").fillna(False).astype(bool)
    linked = _column(frame, "outcome_linked")
    group = _column(frame, "sde_group")
    data = pd.DataFrame({
        "key": keys, "team": _text_key(_column(frame, "officer_station")), "child": child,
        "find": linked.eq(True).fillna(False).astype(bool), "find_recorded": linked.notna(),
        "failed": (pd.Series(np.asarray(fails), index=frame.index) > 0) if fails is not None else False,
        "checked": fails is not None,
        "eth_recorded": group.isin(ETHNIC_GROUPS).fillna(False).astype(bool),
        **{f"eth_{g}": group.eq(g).fillna(False).astype(bool) for g in ETHNIC_GROUPS},
    })
    known = data[data["key"].notna()]
    grouped = known.groupby("key", sort=True)
    out = pd.DataFrame({
        "searches": grouped.size(),
        "children": grouped["child"].sum(),
        "finds": grouped["find"].sum(), "outcome_recorded": grouped["find_recorded"].sum(),
        "with_a_fail": grouped["failed"].sum() if fails is not None else np.nan,
        "ethnicity_recorded": grouped["eth_recorded"].sum(),
        **{f"searches_{g}": grouped[f"eth_{g}"].sum() for g in ETHNIC_GROUPS},
    })
    if by == "officer":
        out.insert(0, "team", grouped["team"].agg(lambda s: s.dropna().mode().iloc[0] if s.notna().any() else pd.NA))
    enough = out["searches"] >= settings.min_searches_for_rate
    out["rate_shown"] = enough
    out["find_rate"] = (out["finds"] / out["outcome_recorded"].where(out["outcome_recorded"] > 0)).where(enough)
    out["fail_rate"] = (out["with_a_fail"] / out["searches"]).where(enough) if fails is not None else np.nan
    out["child_share"] = (out["children"] / out["searches"]).where(enough)
    share_ok = enough & (out["ethnicity_recorded"] >= settings.min_recorded_for_share)
    for g in ETHNIC_GROUPS:
        share = (out[f"searches_{g}"] / out["ethnicity_recorded"].where(out["ethnicity_recorded"] > 0)).where(share_ok)
        out[f"share_{g}"] = share
        if area_shares and area_shares.get(g):
            out[f"share_{g}_vs_area"] = share / float(area_shares[g])
    if by == "officer":
        # Activity relative to peers: the officer's searches over the median officer's in the same team.
        peers = out.groupby("team", dropna=False)["searches"]
        median = peers.transform("median")
        size = peers.transform("size")
        out["peers_in_team"] = size - 1
        out["searches_vs_team_median"] = (out["searches"] / median).where(size >= settings.min_peers)
    out = out.reset_index().rename(columns={"key": by})
    out.attrs["records_without_" + by] = int(data["key"].isna().sum())
    out.attrs["thresholds_version"] = settings.version
    return out.sort_values(["searches", by], ascending=[False, True]).reset_index(drop=True)


def area_shares_from(population: Mapping[str, int]) -> dict[str, float]:
    total = sum(int(v) for g, v in population.items() if g in ETHNIC_GROUPS)
    return {g: int(population.get(g, 0)) / total for g in ETHNIC_GROUPS} if total else {}


def rate_text(value: object, shown: bool) -> str:
    """A rate for a person to read: a percentage, "too few searches" under the threshold, "not recorded"."""
    if not shown:
        return TOO_FEW
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return "not recorded"
    return f"{100 * float(value):.0f}%"
