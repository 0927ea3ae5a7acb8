"""CSV that opens cleanly in Excel: UTF-8 with BOM, ISO dates, no formula injection.

A text cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is prefixed with an
apostrophe (OWASP "CSV injection"), unless it is a plain number such as ``-0.06``. Values such as
``10-17`` are written as text; Excel may still display them as dates when *typing*, but a quoted cell
read from a CSV stays text when opened with the import wizard, so we also quote every text cell.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from pathlib import Path

DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r")
_PLAIN_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def safe_cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    if text.startswith(DANGEROUS_START) and not _PLAIN_NUMBER.match(text):
        return "'" + text
    return text


def write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[object]]) -> int:
    with csv_writer(path, header) as write:
        return write(rows)


@contextmanager
def csv_writer(path: Path, header: Sequence[str]) -> Iterator[Callable[[Iterable[Sequence[object]]], int]]:
    """An open Excel-safe CSV: the function yielded writes rows (returning how many), for a file
    written piece by piece (a check's findings, one part of the records at a time)."""
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
        writer.writerow(list(header))

        def write(rows: Iterable[Sequence[object]]) -> int:
            count = 0
            for row in rows:
                writer.writerow([safe_cell(value) for value in row])
                count += 1
            return count

        yield write
