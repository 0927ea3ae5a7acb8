"""The readers register themselves here: a name (what ``--format`` says), a sniff that looks at the
start of a file and says how sure it is, and an open that reads it. ``io/readers.make_reader``
picks the surest; a new format is a new module that calls :func:`register`, not another branch.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from stopsearch_app.io.parsed import FileStream
from stopsearch_app.io.sources import SourceFile

HEAD_BYTES = 64 << 10  # enough for any header line and the JSON opening; a sniff never reads a whole file

# How sure a sniff is; the surest reader wins, ties go to the one registered first.
NO, FALLBACK, CONTENT, ASKED = 0, 1, 2, 3


@dataclass(frozen=True)
class ReadRequest:
    """What the user asked for, the same for every file of one import."""

    force: str | None = None
    fmt: str = "auto"
    mapping: object | None = None  # io.mapping.ColumnMapping
    parallel_min_bytes: int | None = None


@dataclass(frozen=True)
class Reader:
    name: str
    sniff: Callable[[SourceFile, bytes, ReadRequest], int]  # (source, head, request) -> NO..ASKED
    open: Callable[[SourceFile, ReadRequest], FileStream]
    # Why a file no reader claimed is refused, in this reader's words (None: it has nothing to say).
    refusal: Callable[[SourceFile, bytes], str | None] = lambda source, head: None


_READERS: dict[str, Reader] = {}


def register(reader: Reader) -> Reader:
    _READERS[reader.name] = reader
    return reader


def registered() -> list[Reader]:
    return list(_READERS.values())


def get(name: str) -> Reader:
    try:
        return _READERS[name]
    except KeyError:
        raise KeyError(f"no reader for format '{name}' (known: {', '.join(_READERS)})") from None
