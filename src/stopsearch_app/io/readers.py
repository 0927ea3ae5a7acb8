"""Choosing the reader for a file: police.uk layouts by content, local extracts by format or mapping."""

from __future__ import annotations

from stopsearch_app.domain.records import SourceFormat
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.parsed import FileStream
from stopsearch_app.io.policeuk import detect_format, stream_policeuk
from stopsearch_app.io.sources import SourceFile

FORMAT_CHOICES = ("auto", "policeuk-csv", "policeuk-json", "local")


def make_reader(force: str | None = None, fmt: str = "auto", mapping=None):
    """A function SourceFile -> FileStream for the import loop."""

    def read(source: SourceFile) -> FileStream:
        data = source.read_bytes()
        if fmt == "local" or mapping is not None or source.suffix == ".xlsx":
            from stopsearch_app.io.local_extract import read_local_extract

            return read_local_extract(data, source.name, mapping=mapping, force=force).as_stream()
        if fmt == "policeuk-csv":
            detected = detect_format(data, source.name)
            if detected is SourceFormat.POLICEUK_JSON:
                raise ImportRefused(source.name, "this is JSON, not a police.uk CSV (use --format auto)")
            return stream_policeuk(data, source.name, force, detected)
        if fmt == "policeuk-json":
            return stream_policeuk(data, source.name, force, SourceFormat.POLICEUK_JSON)
        return stream_policeuk(data, source.name, force)

    return read
