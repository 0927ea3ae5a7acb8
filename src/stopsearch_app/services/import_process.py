"""Running an import in a child process, for the desktop app.

The import's pandas and driver work holds the GIL for long stretches; on a thread of the app's own
process that starved the UI thread (measured: stalls of a quarter of a second). In a child process
the UI thread keeps the interpreter to itself and the two cores really work in parallel. The child
opens the same database (SQLite in WAL mode lets the app keep reading), writes one transaction per
file as usual, and reports progress and the final report through a queue.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import time
from collections.abc import Callable
from pathlib import Path

from stopsearch_app.store.importer import FileReport, ImportReport

PROGRESS_EVERY_SECONDS = 0.2


def can_run_in_child(db_url: str) -> bool:
    """An in-memory database exists only in this process."""
    return ":memory:" not in db_url and not db_url.rstrip("/").endswith("sqlite:")


IMPORT_NICENESS = 5


def _yield_the_cpu_to_the_window() -> None:
    """Run this process (and the reader process it starts, which inherits it) below the app's CPU
    priority: on a two-core laptop the import and its reader fill both cores, and the window's
    thread then waited its turn for up to ~150 ms at ten million records (bench.bench_table)."""
    if hasattr(os, "nice"):
        try:
            os.nice(IMPORT_NICENESS)
        except OSError:  # not permitted here: the import still runs, at normal priority
            pass


def _child(db_url: str, paths: list[str], force: str | None, fmt: str, mapping_json: dict | None, user: str,
           messages: multiprocessing.Queue, cancel, parallel_min_bytes: int | None, parent_pid: int = 0) -> None:
    from stopsearch_app.io.lifeline import die_with_parent

    die_with_parent(parent_pid or None)  # the app killed: end now (the open transaction rolls back)
    _yield_the_cpu_to_the_window()
    try:
        from stopsearch_app.io.mapping import ColumnMapping
        from stopsearch_app.io.readers import make_reader
        from stopsearch_app.io.sources import expand
        from stopsearch_app.store.database import open_database
        from stopsearch_app.store.importer import import_sources

        mapping = ColumnMapping.from_json(mapping_json) if mapping_json else None
        last = [0.0]

        def progress(done: int, total: int, message: str) -> None:
            now = time.monotonic()
            if now - last[0] >= PROGRESS_EVERY_SECONDS or done >= total > 0:
                last[0] = now
                messages.put(("progress", done, total, message))

        app = multiprocessing.parent_process()

        def is_cancelled() -> bool:  # the app closed or died: roll back rather than finish unseen
            return cancel.is_set() or (app is not None and not app.is_alive())

        engine = open_database(db_url)
        report = import_sources(engine, list(expand([Path(p) for p in paths])),
                                make_reader(force, fmt, mapping, parallel_min_bytes=parallel_min_bytes),
                                imported_by=user, mapping_profile=getattr(mapping, "name", None) or None,
                                progress=progress, is_cancelled=is_cancelled)
        engine.dispose()
        messages.put(("report", report.to_dict()))
    except Exception as error:  # noqa: BLE001 - reported to the app, never lost
        messages.put(("error", f"{type(error).__name__}: {error}"))


def import_in_child(db_url: str, paths: list[Path], *, force: str | None, fmt: str, mapping_json: dict | None,
                    user: str, progress: Callable[[int, int, str], None],
                    is_cancelled: Callable[[], bool], parallel_min_bytes: int | None = None) -> ImportReport:
    context = multiprocessing.get_context("spawn")
    messages: multiprocessing.Queue = context.Queue()
    cancel = context.Event()
    # Not a daemon: a daemon process may not start the reader process that large files are parsed in.
    # It ends at once if this process goes away (io/lifeline.py), and its reader process with it.
    # The database URL travels through the spawn pipe (pickled arguments), never argv.
    process = context.Process(target=_child, args=(db_url, [str(p) for p in paths], force, fmt, mapping_json, user,
                                                   messages, cancel, parallel_min_bytes, os.getpid()),
                              name="stopsearch-import")
    process.start()
    try:
        while True:
            if is_cancelled():
                cancel.set()  # the child rolls back the file in progress and reports
            try:
                message = messages.get(timeout=0.1)
            except queue.Empty:
                if not process.is_alive() and messages.empty():
                    raise RuntimeError(f"the import process stopped unexpectedly (exit code {process.exitcode}); "
                                       "nothing of the file in progress was kept")
                continue
            if message[0] == "progress":
                progress(*message[1:])
            elif message[0] == "report":
                return ImportReport.from_dict(message[1])
            else:
                raise RuntimeError(message[1])
    finally:
        process.join(timeout=30)
        if process.is_alive():
            process.terminate()


__all__ = ["FileReport", "ImportReport", "can_run_in_child", "import_in_child"]
