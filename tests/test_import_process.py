"""The app's imports run in a child process; large files are parsed in a further reader process."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from stopsearch_app.services import import_process
from stopsearch_app.services.import_process import import_in_child
from stopsearch_app.store.queries import stats


def test_an_import_process_can_start_its_reader_process(engine, db_url, met_file, tmp_path):
    # A daemonic import process may not start children: every police.uk CSV over 48 MiB failed.
    text = met_file.read_bytes()
    doubled = tmp_path / "big" / met_file.name
    doubled.parent.mkdir()
    doubled.write_bytes(text + text[text.index(b"\n") + 1:])
    progress = []
    report = import_in_child(db_url, [doubled], force=None, fmt="auto", mapping_json=None, user="tester",
                             progress=lambda *args: progress.append(args), is_cancelled=lambda: False,
                             parallel_min_bytes=0)  # through the reader process, as a file over 48 MiB is
    assert not report.failed, report.failed[0].error
    assert (report.imported, report.quarantined) == (2 * 12_447, 0)
    assert stats(engine).records == 2 * 12_447
    assert progress and progress[-1][0] == progress[-1][1]


def test_a_cancelled_import_process_keeps_nothing(engine, db_url, met_file):
    report = import_in_child(db_url, [met_file], force=None, fmt="auto", mapping_json=None, user="tester",
                             progress=lambda *args: None, is_cancelled=lambda: True)
    assert report.cancelled and report.imported == 0
    assert stats(engine).records == 0



@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process niceness on this platform")
def test_the_import_process_runs_below_the_windows_priority() -> None:
    """On two cores the import and its reader filled both, and the window's thread waited its turn
    (bench.bench_table at ten million records); the child lowers its own priority, the app's stays."""
    code = ("import os; from stopsearch_app.services import import_process as p; before = os.nice(0); "
            "p._yield_the_cpu_to_the_window(); print(before, os.nice(0))")
    before, after = map(int, subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                            check=True).stdout.split())
    assert after == min(before + import_process.IMPORT_NICENESS, 19)
    assert os.nice(0) == before  # this process is untouched
