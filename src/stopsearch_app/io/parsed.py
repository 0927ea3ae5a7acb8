"""What a reader hands to the store: canonical records plus what could not be read."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import pandas as pd

from stopsearch_app.domain.records import SourceFormat


@dataclass(frozen=True)
class QuarantinedRow:
    # CSV: the row as a CSV reader counts them, header = 1 (the physical line, unless an empty line or
    # a quoted line break comes before it); JSON: the position in the array (first = 1)
    row_number: int
    raw_text: str
    reason: str


@dataclass
class Chunk:
    """Part of a file, normalised: what the importer writes while the reader parses the next part."""

    records: pd.DataFrame
    quarantined: list[QuarantinedRow]
    rows_read: int
    bytes_done: int = 0


@dataclass
class FileStream:
    """A file being read chunk by chunk. ``warnings`` and ``blank_find_flags`` are complete only once
    ``chunks`` is exhausted (a constant-false find flag can only be judged on the whole force-month);
    so is ``sha256`` when a reader process reads the file."""

    name: str
    sha256: str
    format: SourceFormat
    chunks: Iterator[Chunk]
    total_bytes: int
    mapped_fields: frozenset[str] = frozenset()
    warnings: list[str] = field(default_factory=list)
    blank_find_flags: list[tuple[str, str]] = field(default_factory=list)  # (force, month)


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

    def as_stream(self) -> FileStream:
        chunk = Chunk(self.records, list(self.quarantined), self.rows_read)
        return FileStream(self.name, self.sha256, self.format, iter([chunk]), total_bytes=0,
                          mapped_fields=self.mapped_fields, warnings=list(self.warnings))
