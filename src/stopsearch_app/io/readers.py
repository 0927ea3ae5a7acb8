"""Choosing the reader for a file: each reader module registers a sniff and an open with
``io/reader_registry``; this asks them all and opens the file with the surest."""

from __future__ import annotations

# Imported for their registrations (the order is the tie-break: police.uk layouts first).
from stopsearch_app.io import local_extract, policeuk  # noqa: F401
from stopsearch_app.io import reader_registry as registry
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.limits import guarded
from stopsearch_app.io.parallel_reader import PARALLEL_MIN_BYTES
from stopsearch_app.io.parsed import FileStream
from stopsearch_app.io.sources import SourceFile


def make_reader(force: str | None = None, fmt: str = "auto", mapping=None, *,
                parallel_min_bytes: int | None = None):
    """A function SourceFile -> FileStream for the import loop. ``fmt`` names a reader (or "auto":
    sniff); a mapping or a workbook always goes to the local-extract reader. Police.uk CSVs of at
    least ``parallel_min_bytes`` (default PARALLEL_MIN_BYTES) are parsed in a reader process."""
    if fmt != "auto":
        registry.get(fmt)  # an unknown format fails here, before any file is read

    def read(source: SourceFile) -> FileStream:
        request = registry.ReadRequest(force, fmt, mapping, PARALLEL_MIN_BYTES if parallel_min_bytes is None
                                       else parallel_min_bytes)
        return choose(source, source.read_head(registry.HEAD_BYTES), request).open(source, request)

    return guarded(read)  # io/limits.py: any parser failure on a hostile file is a one-line refusal


def choose(source: SourceFile, head: bytes, request: registry.ReadRequest) -> registry.Reader:
    readers = registry.registered()
    sureness = [(reader.sniff(source, head, request), -position, reader) for position, reader in enumerate(readers)]
    best, _, reader = max(sureness, key=lambda item: item[:2])
    if best == registry.ASKED or request.fmt == "auto" and best > registry.NO:
        return reader
    if request.fmt != "auto":
        return registry.get(request.fmt)
    reason = next((why for why in (r.refusal(source, head) for r in readers) if why), "no reader recognises this file")
    raise ImportRefused(source.name, reason)
