"""Writing a pack folder so that a kill never leaves a pack that looks complete and is not.

The files are written into a temporary folder beside the target (same file system, so a rename), the
manifest last (written as ``manifest.json.part`` and renamed), then the folder is renamed into place.
Over an existing pack the two folders are exchanged atomically (Linux ``renameat2(RENAME_EXCHANGE)``;
elsewhere the old pack is moved aside first, so for a moment there is no pack, never a mixed one) and
the old one deleted. Leftovers of a killed export are hidden folders (``.NAME.tmp-*``, never holding a
manifest, or, killed in the instant after the swap, the complete previous pack whose manifest still
matches its files; ``.NAME.old-*`` likewise) and are removed by the next export to that target.

Packs hold personal data even redacted: folders are 0o700 and files 0o600 (the user only).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import shutil
import sys
import tempfile
from pathlib import Path

DIR_MODE, FILE_MODE = 0o700, 0o600
_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _leftovers(target: Path) -> list[Path]:
    return [p for p in target.parent.glob(f".{target.name}.tmp-*")] + \
        [p for p in target.parent.glob(f".{target.name}.old-*")]


def start(target: Path, manifest_name: str) -> Path:
    """A new private temporary folder beside ``target`` (after removing a killed export's leftovers).
    ValueError when ``target`` is a file, or a folder with other things in it that is not a pack."""
    if target.exists() and not target.is_dir():
        raise ValueError(f"{target} exists and is not a folder")
    if target.is_dir() and any(target.iterdir()) and not (target / manifest_name).is_file():
        raise ValueError(f"{target} is a folder with other files in it and not a review pack: choose a new or "
                         "empty folder (a pack replaces the folder it is written to)")
    target.parent.mkdir(parents=True, exist_ok=True)
    for leftover in _leftovers(target):
        shutil.rmtree(leftover, ignore_errors=True)
    return Path(tempfile.mkdtemp(prefix=f".{target.name}.tmp-", dir=target.parent))  # 0o700


def write_manifest_last(folder: Path, name: str, text: str) -> None:
    """Make every file private and durable, then write the manifest: only a complete folder has one."""
    for root, dirs, files in os.walk(folder):
        for d in dirs:
            os.chmod(Path(root, d), DIR_MODE)
        for f in files:
            path = Path(root, f)
            os.chmod(path, FILE_MODE)
            _fsync(path)
    part = folder / f"{name}.part"
    descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(part, folder / name)
    _fsync_dir(folder)


def finish(temporary: Path, target: Path) -> None:
    """Put the finished ``temporary`` folder at ``target``, replacing what was there."""
    os.chmod(temporary, DIR_MODE)
    if not target.exists():
        os.rename(temporary, target)
    elif _exchange(temporary, target):
        _discard(temporary)  # now holds the old pack
    else:
        aside = Path(tempfile.mkdtemp(prefix=f".{target.name}.old-", dir=target.parent))
        os.rmdir(aside)
        os.rename(target, aside)
        os.rename(temporary, target)
        _discard(aside)
    _fsync_dir(target.parent)


def _discard(old_pack: Path) -> None:
    """Delete a replaced pack, its manifest first: a kill part-way leaves files without a manifest."""
    for manifest in old_pack.glob("manifest.json"):
        manifest.unlink(missing_ok=True)
    shutil.rmtree(old_pack, ignore_errors=True)


def abandon(temporary: Path) -> None:
    shutil.rmtree(temporary, ignore_errors=True)


def _exchange(a: Path, b: Path) -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    return renameat2(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _fsync_dir(path: Path) -> None:
    try:
        _fsync(path)
    except OSError:  # not every platform or file system syncs a directory
        pass
