"""Choosing the reader for a file: police.uk layouts by content, local extracts by format or mapping."""

from __future__ import annotations

from stopsearch_app.domain.records import SourceFormat
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.limits import guarded
from stopsearch_app.io.parallel_reader import PARALLEL_MIN_BYTES, stream_in_child_process
from stopsearch_app.io.parsed import FileStream
from stopsearch_app.io.policeuk import detect_format, stream_policeuk
from stopsearch_app.io.sources import SourceFile

def make_reader(force: str | None = None, fmt: str = "auto", mapping=None, *,
                parallel_min_bytes: int | None = None):
    """A function SourceFile -> FileStream for the import loop. Police.uk CSVs of at least
    ``parallel_min_bytes`` (default PARALLEL_MIN_BYTES) are parsed in a reader process."""

    def read(source: SourceFile) -> FileStream:
        if fmt in ("auto", "policeuk-csv") and mapping is None and source.suffix == ".csv" \
                and source.member is None and source.path.stat().st_size >= (
                    PARALLEL_MIN_BYTES if parallel_min_bytes is None else parallel_min_bytes):
            return stream_in_child_process(source, force)
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
        try:
            return stream_policeuk(data, source.name, force)
        except ImportRefused:
            if _has_canonical_headers(data):  # the shipped template: a local extract needing no mapping
                from stopsearch_app.io.local_extract import read_local_extract

                return read_local_extract(data, source.name, force=force).as_stream()
            raise

    return guarded(read)  # io/limits.py: any parser failure on a hostile file is a one-line refusal


def _has_canonical_headers(data: bytes) -> bool:
    from stopsearch_app.domain.records import FIELD_BY_NAME

    first_line = data[: data.find(b"\n") if b"\n" in data else len(data)].decode("utf-8-sig", errors="replace")
    headers = {cell.strip() for cell in first_line.split(",")}
    return "occurred_at" in headers and len(headers & set(FIELD_BY_NAME)) >= 5
