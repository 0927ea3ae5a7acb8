"""Officer and team patterns from the stored records and their latest verdicts (supervisors only).

Reads the local-extract records (police.uk data carry no officer or station), counts each record's
charter fails from the latest check, and hands them to :func:`stopsearch_app.domain.patterns.patterns`;
:func:`write_patterns_csv` writes the table with the Excel-safe writer. Never part of a review pack.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from stopsearch_app.domain import patterns as domain
from stopsearch_app.domain.denominators import shipped_denominator_table
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.io.safe_csv import write_csv
from stopsearch_app.store.checks import verdict_columns
from stopsearch_app.store.frames import load_records
from stopsearch_app.store.queries import Labels, RecordQuery


def load_patterns(engine: Engine, labels: Labels, by: str = "officer",
                  record_query: RecordQuery | None = None) -> pd.DataFrame:
    frame = load_records(engine, record_query or RecordQuery(), labels)
    if "source_format" in frame:
        frame = frame[frame["source_format"].astype(str) == "local"]
    fails = None
    if len(frame):
        order, verdicts = verdict_columns(engine, frame["search_id"].to_numpy())
        if order:
            checked = verdicts.reindex(frame["search_id"]).notna().any(axis=1).to_numpy()
            fails = (verdicts.reindex(frame["search_id"]) == "fail").sum(axis=1).to_numpy().astype(float)
            fails = np.where(checked, fails, np.nan)
    try:
        area = domain.area_shares_from(shipped_denominator_table().population("london", "all"))
    except (LookupError, ValueError):
        area = {}
    table = domain.patterns(frame.reset_index(drop=True), fails, by=by, area_shares=area)
    table.attrs["area_shares"] = area
    return table


def write_patterns_csv(table: pd.DataFrame, path: str | Path, by: str) -> int:
    """The table as an Excel-safe CSV: counts always, rates blank below the thresholds (with a column
    saying so), the thresholds' version on every row."""
    names = [by, *(["team"] if by == "officer" else []), "searches", "children", "finds", "outcome_recorded",
             "with_a_fail", "rate_shown", "find_rate", "fail_rate", "child_share",
             *(f"share_{g}" for g in ETHNIC_GROUPS), *(f"share_{g}_vs_area" for g in ETHNIC_GROUPS),
             *(["searches_vs_team_median"] if by == "officer" else [])]
    names = [name for name in names if name in table]
    rows = []
    for record in table[names].to_dict("records"):
        rows.append([None if (isinstance(v, float) and np.isnan(v)) or v is pd.NA else v for v in record.values()]
                    + [table.attrs.get("thresholds_version")])
    return write_csv(Path(path), [*names, "thresholds_version"], rows)
