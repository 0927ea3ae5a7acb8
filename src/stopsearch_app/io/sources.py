"""Turning what the user picked (files, folders, police.uk archive zips) into a list of files to read."""

from __future__ import annotations

import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


IMPORTABLE_SUFFIXES = (".csv", ".json", ".xlsx")


@dataclass(frozen=True)
class SourceFile:
    """One file to import: on disk, or a member of a zip archive."""

    path: Path
    member: str | None = None

    @property
    def display_name(self) -> str:
        return f"{self.path.name}!{self.member}" if self.member else str(self.path)

    @property
    def name(self) -> str:
        """The file's own name (police.uk names carry the month and the force)."""
        return Path(self.member).name if self.member else self.path.name

    @property
    def suffix(self) -> str:
        return Path(self.name).suffix.lower()

    def read_head(self, size: int) -> bytes:
        """The first ``size`` bytes (readers sniff these before deciding to read the whole file),
        within io/limits.py's limits like :meth:`read_bytes`."""
        from stopsearch_app.io import limits

        return limits.read_head(self.path, self.member, self.name, size)

    def read_bytes(self) -> bytes:
        """The bytes to parse, within io/limits.py's limits (regular files only, sizes and zip ratios
        capped, CR-only line endings made LF); ImportRefused with the reason otherwise."""
        from stopsearch_app.io import limits

        if self.member is None:
            data = limits.read_file(self.path, self.name)
        else:
            data = limits.read_member(self.path, self.member, self.name)
        return limits.check_data(data, self.name)


def expand(paths: list[Path]) -> Iterator[SourceFile]:
    """Files as given; a folder's importable files (recursively, sorted); every importable member of a zip."""
    for path in paths:
        path = Path(path)
        if path.is_dir():
            for child in sorted(p for p in path.rglob("*") if p.is_file()):
                if child.suffix.lower() in IMPORTABLE_SUFFIXES or child.suffix.lower() == ".zip":
                    yield from expand([child])
        elif path.suffix.lower() == ".zip":
            yield from _zip_members(path)
        else:
            yield SourceFile(path)


def _zip_members(path: Path) -> Iterator[SourceFile]:
    from stopsearch_app.io import limits

    try:
        if not path.is_file():  # a FIFO or device named .zip: the reader refuses it with the reason
            raise OSError("not a regular file")
        with zipfile.ZipFile(path) as archive:
            if len(archive.infolist()) > limits.limits().max_zip_members:
                raise OSError("too many members")
            members = sorted(info.filename for info in archive.infolist()
                             if not info.is_dir() and Path(info.filename).suffix.lower() in IMPORTABLE_SUFFIXES
                             and not Path(info.filename).name.startswith("."))
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError):
        yield SourceFile(path)  # the reader refuses it with a clear reason
        return
    for member in members:
        yield SourceFile(path, member)
