"""Reading a large police.uk file in a second process, so parsing runs on the other core while this
process writes the chunks already read.

Threads are not enough here: the parser's pandas work and the driver's row binding both hold the
GIL, and two threads measured no faster than one. A child process started with "spawn" (safe beside
Qt's threads) costs ~0.5 s to start, so only files above PARALLEL_MIN_BYTES use it.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import threading
from collections.abc import Iterator

from stopsearch_app.domain.records import SourceFormat
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.parsed import Chunk, FileStream
from stopsearch_app.io.sources import SourceFile

PARALLEL_MIN_BYTES = 48 << 20  # ~250,000 police.uk rows
_START_TIMEOUT = 120.0


def _child(source: SourceFile, force: str | None, fmt: str | None, out: multiprocessing.Queue,
           parent_pid: int = 0) -> None:
    """Runs in the child process: parse and send ('header', ...), ('chunk', Chunk)..., ('end', ...)."""
    from stopsearch_app.domain.places import london_boroughs, place_in_boroughs
    from stopsearch_app.io.lifeline import die_with_parent
    from stopsearch_app.io.policeuk import sha256_of, stream_policeuk

    die_with_parent(parent_pid or None)  # a killed import must not leave this process parsing

    # The borough polygons are built while the file is read and its first block parsed, both of
    # which let go of the GIL: the writer waits for the first chunk, and this was 0.07 s of it.
    boroughs = threading.Thread(target=london_boroughs, name="stopsearch-boroughs", daemon=True)
    boroughs.start()
    try:
        data = source.read_bytes()
        # The digest of exactly these bytes, worked out at the end, when this process waits for the writer.
        stream = stream_policeuk(data, source.name, force, SourceFormat(fmt) if fmt else None, sha256="")
        out.put(("header", str(stream.format), stream.total_bytes, sorted(stream.mapped_fields)))
        for chunk in stream.chunks:
            boroughs.join()
            place_in_boroughs(chunk.records)  # here, on the reader's core, not the writer's
            out.put(("chunk", chunk))
        out.put(("end", stream.warnings, stream.blank_find_flags, sha256_of(data)))
    except ImportRefused as refused:
        out.put(("refused", refused.name, refused.reason))
    except Exception as error:  # noqa: BLE001 - reported in the parent, never lost
        out.put(("error", f"{type(error).__name__}: {error}"))


def stream_in_child_process(source: SourceFile, force: str | None = None,
                            fmt: SourceFormat | None = None) -> FileStream:
    context = multiprocessing.get_context("spawn")
    messages: multiprocessing.Queue = context.Queue(maxsize=3)
    process = context.Process(target=_child, args=(source, force, str(fmt) if fmt else None, messages, os.getpid()),
                              name="stopsearch-reader", daemon=True)
    process.start()
    first = _receive(messages, process)
    if first[0] != "header":
        process.join(timeout=5)
        _raise(first, source.name)
    _kind, format_name, total_bytes, mapped = first
    stream = FileStream(source.name, "", SourceFormat(format_name), iter(()), total_bytes=total_bytes,
                        mapped_fields=frozenset(mapped))
    stream.chunks = _chunks(stream, messages, process)
    return stream


def _chunks(stream: FileStream, messages: multiprocessing.Queue, process) -> Iterator[Chunk]:
    try:
        while True:
            message = _receive(messages, process)
            if message[0] == "chunk":
                yield message[1]
            elif message[0] == "end":
                stream.warnings.extend(message[1])
                stream.blank_find_flags = list(message[2])
                stream.sha256 = message[3]
                return
            else:
                _raise(message, stream.name)
    finally:
        if process.is_alive():
            process.terminate()  # the writer stopped early (cancel, error): nothing more to read
        process.join(timeout=10)


def _receive(messages: multiprocessing.Queue, process) -> tuple:
    waited = 0.0
    while True:
        try:
            return messages.get(timeout=0.5)
        except queue.Empty:
            waited += 0.5
            if not process.is_alive():
                return ("error", f"the reader process stopped (exit code {process.exitcode})")
            if waited > _START_TIMEOUT:
                return ("error", "the reader process did not answer")


def _raise(message: tuple, name: str) -> None:
    if message[0] == "refused":
        raise ImportRefused(message[1], message[2])
    raise RuntimeError(f"{name}: {message[1]}")
