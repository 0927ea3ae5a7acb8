"""Every input file gets a one-line reason or imports: limits that protect the machine, in one place.

Values live in ``resources/io/limits.toml``. What is checked, before any parser sees the bytes:

* only regular files are read (a ``.csv`` that is a FIFO would block forever, one symlinked to
  ``/dev/zero`` would read until memory runs out); a file's size is capped, and read with a cap;
* a zip member's declared size and compression ratio are capped, and it is inflated in pieces with the
  cap enforced on what really comes out (a member can lie about its size);
* a CSV header's column count and length, a JSON document's nesting depth;
* CR-only line endings (old Mac exports) become LF, so the file imports.

:func:`guarded` wraps a reader so that whatever a parser raises on a hostile file (``RecursionError``,
``csv.Error``, openpyxl's ``ParseError``, ``TypeError`` from a latitude that is a list...) becomes an
:class:`ImportRefused` with one line naming the problem, also while the chunks are read: the file's
transaction rolls back, nothing is written, and the import goes on with the next file.
"""

from __future__ import annotations

import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from stopsearch_app.io.errors import ImportCancelled, ImportRefused
from stopsearch_app.resources import load_toml

_READ_PIECE = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_file_bytes: int
    max_member_bytes: int
    max_compression_ratio: float
    max_columns: int
    max_header_bytes: int
    max_json_depth: int
    max_zip_members: int


@cache
def limits() -> Limits:
    data = load_toml("io", "limits.toml")
    return Limits(**{name: data[name] for name in Limits.__dataclass_fields__})


def _megabytes(count: int) -> str:
    return f"{count / (1 << 20):,.0f} MB"


def check_regular_file(path: Path, name: str) -> int:
    """The file's size; ImportRefused unless it is a regular file (after symlinks) within the size cap."""
    try:
        info = os.stat(path)
    except OSError as error:
        raise ImportRefused(name, f"cannot read the file: {error.strerror or error}") from error
    if not stat.S_ISREG(info.st_mode):
        kind = ("a named pipe (FIFO)" if stat.S_ISFIFO(info.st_mode) else "a device" if stat.S_ISCHR(info.st_mode)
                or stat.S_ISBLK(info.st_mode) else "a socket" if stat.S_ISSOCK(info.st_mode) else "not a regular file")
        raise ImportRefused(name, f"not a regular file ({kind}): only ordinary files are imported")
    if info.st_size > limits().max_file_bytes:
        raise ImportRefused(name, f"the file is {_megabytes(info.st_size)}, over the limit of "
                                  f"{_megabytes(limits().max_file_bytes)}")
    return info.st_size


def read_file(path: Path, name: str) -> bytes:
    check_regular_file(path, name)
    cap = limits().max_file_bytes
    # O_NONBLOCK: should the file turn into a FIFO between stat and open, opening must not hang.
    descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(descriptor, "rb") as handle:
        if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
            raise ImportRefused(name, "not a regular file: only ordinary files are imported")
        data = handle.read(cap + 1)
    if len(data) > cap:
        raise ImportRefused(name, f"the file is over the limit of {_megabytes(cap)}")
    return data


def read_head(path: Path, member: str | None, name: str, size: int) -> bytes:
    """The first ``size`` bytes for the readers' sniffing, with the same refusals as a whole read
    (a FIFO or device must not hang the sniff, a zip bomb must not inflate)."""
    check_regular_file(path, name)
    if member is None:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
        with os.fdopen(descriptor, "rb") as handle:
            if not stat.S_ISREG(os.fstat(handle.fileno()).st_mode):
                raise ImportRefused(name, "not a regular file: only ordinary files are imported")
            head = handle.read(size)
            if b"\n" not in head and b"\r" not in head and len(head) == size:
                head += handle.read(limits().max_header_bytes + 1 - size)  # the whole header, to count it
    else:
        with zipfile.ZipFile(path) as archive:
            check_member(archive.getinfo(member), name)
            with archive.open(member) as handle:
                head = handle.read(size)
    # The same refusals (columns, JSON depth) and the same CR-only repair as the whole file gets, so a
    # reader sniffs what it will be given and a refusal names the real reason.
    return check_data(head, name)


def check_member(info: zipfile.ZipInfo, name: str) -> None:
    lim = limits()
    if info.file_size > lim.max_member_bytes:
        raise ImportRefused(name, f"this zip member inflates to {_megabytes(info.file_size)}, over the limit of "
                                  f"{_megabytes(lim.max_member_bytes)}")
    if info.compress_size and info.file_size / info.compress_size > lim.max_compression_ratio:
        raise ImportRefused(name, f"this zip member is compressed {info.file_size / info.compress_size:,.0f}:1, "
                                  "like a zip bomb (real data is about 10:1)")


def read_member(archive_path: Path, member: str, name: str) -> bytes:
    check_regular_file(archive_path, name)
    cap = limits().max_member_bytes
    try:
        with zipfile.ZipFile(archive_path) as archive:
            info = archive.getinfo(member)
            check_member(info, name)
            pieces, total = [], 0
            with archive.open(info) as handle:
                while piece := handle.read(_READ_PIECE):
                    total += len(piece)
                    if total > cap or (info.compress_size and total / info.compress_size
                                       > limits().max_compression_ratio and total > _READ_PIECE):
                        raise ImportRefused(name, "this zip member inflates past its declared size or the limit "
                                                  f"of {_megabytes(cap)}: refused")
                    pieces.append(piece)
            return b"".join(pieces)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, KeyError, EOFError, NotImplementedError, RuntimeError) as error:
        raise ImportRefused(name, f"a damaged or unsupported zip archive ({_one_line(error)})") from error


_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)


def json_depth(data: bytes) -> int:
    """The deepest nesting of brackets outside strings (a linear scan, no recursion)."""
    stripped = _JSON_STRING.sub(b'""', data)
    array = np.frombuffer(stripped, dtype=np.uint8)
    steps = np.zeros(len(array), dtype=np.int32)
    steps[(array == ord("[")) | (array == ord("{"))] = 1
    steps[(array == ord("]")) | (array == ord("}"))] = -1
    return int(np.cumsum(steps).max(initial=0))


def check_data(data: bytes, name: str) -> bytes:
    """The bytes to parse: refused when past a limit; CR-only line endings turned into LF."""
    lim = limits()
    head = data[:4096].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head[:1] in (b"[", b"{"):
        depth = json_depth(data)
        if depth > lim.max_json_depth:
            raise ImportRefused(name, f"the JSON is nested {depth:,} deep, over the limit of {lim.max_json_depth}")
        return data
    if name.lower().endswith(".xlsx") or data[:2] == b"PK":
        return data  # a zip (xlsx): binary, its own reader checks it
    if b"\r" in data[:lim.max_header_bytes] and b"\n" not in data:
        data = data.replace(b"\r", b"\n")  # old Mac line endings: the same rows, readable
    end = data.find(b"\n", 0, lim.max_header_bytes + 1)
    if end < 0 and len(data) > lim.max_header_bytes:
        raise ImportRefused(name, f"no line break in the first {_megabytes(lim.max_header_bytes)}: not a CSV file")
    header = data[: end if end >= 0 else len(data)]
    columns = max(header.count(b","), header.count(b";"), header.count(b"\t")) + 1
    if columns > lim.max_columns:
        raise ImportRefused(name, f"the header has {columns:,} columns, over the limit of {lim.max_columns:,}")
    return data


def _one_line(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:200] + ("…" if len(text) > 200 else "")


def _refusal(name: str, error: BaseException) -> ImportRefused:
    if isinstance(error, RecursionError):
        return ImportRefused(name, "the file is nested too deeply to read")
    if isinstance(error, MemoryError):
        return ImportRefused(name, "the file is too large to read in the memory available")
    if isinstance(error, (TypeError, KeyError, AttributeError, IndexError)):
        return ImportRefused(name, "the file cannot be read: a value has the wrong type or shape "
                                   f"({type(error).__name__}: {_one_line(error)})")
    return ImportRefused(name, f"the file cannot be read: {type(error).__name__}: {_one_line(error)}")


_PASS_THROUGH = (ImportRefused, ImportCancelled, KeyboardInterrupt, SystemExit, GeneratorExit)


def _guard_chunks(chunks: Iterator, name: str) -> Iterator:
    try:
        yield from chunks
    except _PASS_THROUGH:
        raise
    except Exception as error:  # noqa: BLE001 - any parser failure on a hostile file is a refusal
        raise _refusal(name, error) from error


def guarded(read: Callable) -> Callable:
    """``read`` (SourceFile -> FileStream) whose every failure on a bad file is an ImportRefused."""

    def read_guarded(source):
        name = source.name
        try:
            stream = read(source)
        except _PASS_THROUGH:
            raise
        except OSError:
            raise  # the importer says "cannot read the file: ..."
        except Exception as error:  # noqa: BLE001 - see the module docstring
            raise _refusal(name, error) from error
        if hasattr(stream, "chunks"):  # a FileStream (a registered test reader may hand back anything)
            stream.chunks = _guard_chunks(stream.chunks, name)
        return stream

    return read_guarded
