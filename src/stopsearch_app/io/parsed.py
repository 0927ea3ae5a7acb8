"""What a reader hands to the store: canonical records plus what could not be read."""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

from stopsearch_app.domain.records import SourceFormat


@dataclass(frozen=True)
class QuarantinedRow:
    row_number: int  # physical line in the file (header = 1) or position in a JSON array (first = 1)
    raw_text: str
    reason: str


@dataclass
class ParsedFile:
    name: str
    sha256: str
    format: SourceFormat
    records: pd.DataFrame  # canonical columns, derived columns, fingerprint, occurrence, row_number
    rows_read: int
    quarantined: list[QuarantinedRow] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    mapped_fields: frozenset[str] = frozenset()  # canonical fields the source carries

    @property
    def forces(self) -> list[str]:
        return sorted(self.records["force"].dropna().unique().tolist()) if len(self.records) else []

    @property
    def months(self) -> list[str]:
        return sorted(self.records["month"].dropna().unique().tolist()) if len(self.records) else []
