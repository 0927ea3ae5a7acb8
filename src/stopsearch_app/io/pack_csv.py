"""Typed CSV tables that open cleanly in Excel and read back to exactly the same values (review packs).

Extends :mod:`stopsearch_app.io.safe_csv` (which stays as it is for the other exports) with a column
type per column, kept beside the file (the pack manifest), so :func:`read_table` restores the values.

What a cell looks like (``CONVENTIONS`` says the same in the manifest):

* the file is UTF-8 with a byte-order mark (Excel needs it to read UTF-8), CRLF line ends, every text
  cell quoted, numbers unquoted;
* blank (None, NaN, "") is an empty cell: a pack does not tell "" from "not recorded";
* ``bool`` is ``yes`` / ``no`` (text: Excel keeps it, a panel reads it);
* ``date`` is ISO ``YYYY-MM-DD`` (Excel shows it as a date, as intended); ``datetime`` is ISO 8601 with
  its UTC offset (``2025-08-31T22:10:00+01:00``), which Excel keeps as text;
* ``int`` and ``float`` are plain numbers (floats as Python's shortest round-trip ``repr``);
* ``count`` is a whole number or ``<10`` (a suppressed small count);
* **formula injection**: a text cell starting with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
  (or with an apostrophe, so the rule can be undone) gets an apostrophe in front, OWASP's advice:
  Excel shows ``'=HYPERLINK(...)`` as text and runs nothing; ``-2`` typed in a note stays the text
  ``-2``. Text that Excel would silently turn into a number (leading zeros ``007``, 16+ digits,
  ``1E5``) gets the same apostrophe;
* **text that looks like a date** (``10-17``, ``18-24``, ``2025-03``, ``3/4``): Excel turns ``10-17`` into
  17 October even inside quotes, and the usual ``="10-17"`` trick is a formula, which we never write.
  Such a cell is written with U+2011 NON-BREAKING HYPHEN for ``-`` (and U+2215 DIVISION SLASH for
  ``/``): it looks the same, Excel cannot read it as a date, and :func:`decode_text` maps it back. (A
  cell that already held those characters in that shape gets the apostrophe instead, so nothing is
  ambiguous.)
"""

from __future__ import annotations

import csv
import hashlib
import math
import re
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from pathlib import Path

TYPES = ("text", "int", "float", "bool", "date", "datetime", "count")
DANGEROUS_START = ("=", "+", "-", "@", "\t", "\r", "'")
NB_HYPHEN, DIVISION_SLASH = "\u2011", "\u2215"
SUPPRESSED = "<10"
_DATE_LIKE = re.compile(r"^\d{1,4}([-/])\d{1,4}(?:\1\d{1,4})?$")
_NUMBER_EXCEL_WOULD_CHANGE = re.compile(r"^(?:0\d+|\d{16,}|\d+(?:\.\d+)?[eE][+-]?\d+)$")
CONVENTIONS = (
    "UTF-8 with a byte-order mark; text cells quoted, numbers not",
    "blank cell = not recorded",
    "booleans are yes / no; dates ISO YYYY-MM-DD; date-times ISO 8601 with the UTC offset",
    "a text cell starting with = + - @ tab, carriage return or ' has an apostrophe in front (formula injection; "
    "remove one leading apostrophe to get the value)",
    "text shaped like a date (e.g. the age range 10-17) is written with U+2011 non-breaking hyphens (U+2215 for /) "
    "so Excel keeps it as text; read it back with stopsearch_app.io.review_pack.read_pack",
    "counts under 10 in aggregate tables are shown as <10",
)


def _unmapped(text: str) -> str:
    return text.replace(NB_HYPHEN, "-").replace(DIVISION_SLASH, "/")


def encode_text(text: str) -> str:
    """A text value as written (see the module docstring); :func:`decode_text` inverts it exactly."""
    if not text:
        return ""
    if text.startswith(DANGEROUS_START) or _NUMBER_EXCEL_WOULD_CHANGE.match(text):
        return "'" + text
    if (NB_HYPHEN in text or DIVISION_SLASH in text) and _DATE_LIKE.match(_unmapped(text)):
        return "'" + text  # already in the protected shape: mark it literal
    if _DATE_LIKE.match(text):
        return text.replace("-", NB_HYPHEN).replace("/", DIVISION_SLASH)
    return text


def decode_text(cell: str) -> str:
    if cell.startswith("'"):
        return cell[1:]
    if (NB_HYPHEN in cell or DIVISION_SLASH in cell) and _DATE_LIKE.match(_unmapped(cell)):
        return _unmapped(cell)
    return cell


def _blank(value: object) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(value, str) and value == ""


def encode_cell(value: object, kind: str) -> object:
    """One value of a column of type ``kind`` as the csv module should write it."""
    if _blank(value):
        return None
    if kind == "text":
        return encode_text(str(value))
    if kind == "int":
        return int(value)  # type: ignore[call-overload]
    if kind == "float":
        return float(value)  # type: ignore[arg-type]
    if kind == "count":
        if value == SUPPRESSED:
            return SUPPRESSED
        return int(value)  # type: ignore[call-overload]
    if kind == "bool":
        return "yes" if bool(value) else "no"
    if kind == "date":
        if isinstance(value, datetime):
            return value.date().isoformat()
        if isinstance(value, date):
            return value.isoformat()
        return date.fromisoformat(str(value)[:10]).isoformat()
    if kind == "datetime":
        if isinstance(value, datetime):
            return value.isoformat()
        return datetime.fromisoformat(str(value)).isoformat()
    raise ValueError(f"unknown column type {kind!r}")


def decode_cell(cell: str, kind: str) -> object:
    if cell == "":
        return None
    if kind == "text":
        return decode_text(cell)
    if kind == "int":
        return int(cell)
    if kind == "float":
        return float(cell)
    if kind == "count":
        return cell if cell == SUPPRESSED else int(float(cell))
    if kind == "bool":
        if cell not in ("yes", "no"):
            raise ValueError(f"not a yes/no cell: {cell!r}")
        return cell == "yes"
    if kind == "date":
        return date.fromisoformat(cell)
    if kind == "datetime":
        return datetime.fromisoformat(cell)
    raise ValueError(f"unknown column type {kind!r}")


def write_table(path: Path, columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[object]]) -> int:
    """Write a typed table; returns the number of data rows."""
    for name, kind in columns:
        if kind not in TYPES:
            raise ValueError(f"column {name}: unknown type {kind!r}")
    count = 0
    with Path(path).open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
        writer.writerow([encode_text(name) for name, _kind in columns])
        kinds = [kind for _name, kind in columns]
        for row in rows:
            if len(row) != len(kinds):
                raise ValueError(f"row {count + 1} has {len(row)} cells for {len(kinds)} columns")
            writer.writerow([encode_cell(value, kind) for value, kind in zip(row, kinds)])
            count += 1
    return count


def read_table(path: Path, columns: Sequence[tuple[str, str]] | None = None) -> tuple[list[str], list[list[object]]]:
    """Header and rows of a table written by :func:`write_table`, typed by ``columns`` (all text when
    None), every cell unescaped."""
    with Path(path).open("r", encoding="utf-8-sig", newline="") as handle:
        reader = csv.reader(handle)
        header = [decode_text(name) for name in next(reader, [])]
        kinds = [kind for _name, kind in columns] if columns is not None else ["text"] * len(header)
        if columns is not None and [name for name, _kind in columns] != header:
            raise ValueError(f"{Path(path).name}: the header does not match the manifest's columns")
        rows = [[decode_cell(cell, kind) for cell, kind in zip(row, kinds)] for row in reader]
    return header, rows


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
