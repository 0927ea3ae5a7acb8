"""No debris after a kill (issue 10): child processes end when their parent is killed with SIGKILL (not
only between chunks), and secrets never appear in a child's argv (what ``ps`` shows every local user)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc (Linux) to list children")


def _children(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def _descendants(pid: int) -> set[int]:
    found, todo = set(), [pid]
    while todo:
        for child in _children(todo.pop()):
            if child not in found:
                found.add(child)
                todo.append(child)
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait_until(condition, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def _start(script: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-c", textwrap.dedent(script)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[1])


def _kill_and_expect_no_orphans(parent: subprocess.Popen, children: set[int]) -> None:
    assert children, "the parent started no child process"
    os.kill(parent.pid, signal.SIGKILL)
    parent.wait(timeout=10)
    assert _wait_until(lambda: not any(_alive(pid) for pid in children), timeout=5), \
        [pid for pid in children if _alive(pid)]


def test_a_killed_import_leaves_no_import_or_reader_process(tmp_path, met_file):
    """The app's import child and its reader grandchild end when the app is killed mid-file; the
    database keeps nothing of the file in progress."""
    big = tmp_path / "big" / met_file.name
    big.parent.mkdir()
    data = met_file.read_bytes()
    big.write_bytes(data + data[data.index(b"\n") + 1:] * 3)
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    parent = _start(f"""
        from pathlib import Path
        from stopsearch_app.services.import_process import import_in_child
        def progress(done, total, message):
            print("progress", done, flush=True)
        import_in_child({url!r}, [Path({str(big)!r})], force=None, fmt="auto", mapping_json=None, user="t",
                        progress=progress, is_cancelled=lambda: False, parallel_min_bytes=0)
        print("finished", flush=True)
    """)
    try:
        assert parent.stdout.readline().startswith("progress")  # importing: both children are running
        assert _wait_until(lambda: len(_descendants(parent.pid)) >= 2, timeout=30)
        children = _descendants(parent.pid)
        _kill_and_expect_no_orphans(parent, children)
    finally:
        parent.kill()
    from stopsearch_app.store.database import open_database
    from stopsearch_app.store.queries import stats

    engine = open_database(url)
    try:
        assert stats(engine).records == 0  # one transaction per file: the killed file left nothing
    finally:
        engine.dispose()


def test_a_killed_export_leaves_no_chart_renderer_and_its_argv_has_no_database_url(tmp_path):
    secret_url = f"sqlite:///{tmp_path / 'secret-password-hunter2.db'}"
    parent = _start(f"""
        from pathlib import Path
        from stopsearch_app.services.pack_charts import chart_renderer
        render = chart_renderer({secret_url!r}, {{"measure": "rate", "ethnicity": "self", "age": "all",
                                                  "area": "london"}})
        print("rendering", flush=True)
        render({{}}, Path({str(tmp_path)!r}))
    """)
    try:
        assert parent.stdout.readline().startswith("rendering")
        assert _wait_until(lambda: _descendants(parent.pid), timeout=10)
        children = _descendants(parent.pid)
        for pid in children:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
            assert "hunter2" not in argv and "sqlite" not in argv, argv
        _kill_and_expect_no_orphans(parent, children)
    finally:
        parent.kill()


def test_a_reader_process_ends_when_its_parent_is_killed_mid_file(tmp_path, met_file):
    parent = _start(f"""
        from stopsearch_app.io.parallel_reader import stream_in_child_process
        from stopsearch_app.io.sources import expand
        from pathlib import Path
        import time
        source = list(expand([Path({str(met_file)!r})]))[0]
        stream = stream_in_child_process(source)
        print("header", flush=True)
        time.sleep(600)  # the writer is slow: the reader waits on its full queue
    """)
    try:
        assert parent.stdout.readline().startswith("header"), parent.stderr.read()
        children = _descendants(parent.pid)
        _kill_and_expect_no_orphans(parent, children)
    finally:
        parent.kill()


def test_lifeline_ends_a_child_whose_parent_thread_is_gone_via_the_watchdog(tmp_path):
    """The portable fallback alone (no PDEATHSIG): the watchdog notices the new parent pid."""
    marker = tmp_path / "child.pid"
    parent = _start(f"""
        import subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c",
            "import os, time; import stopsearch_app.io.lifeline as l; l._set_pdeathsig = lambda: False; "
            "l.die_with_parent(); open({str(marker)!r}, 'w').write(str(os.getpid())); time.sleep(600)"])
        print(child.pid, flush=True)
        time.sleep(600)
    """)
    try:
        child = int(parent.stdout.readline())
        assert _wait_until(marker.exists, timeout=20)
        _kill_and_expect_no_orphans(parent, {child})
    finally:
        parent.kill()


def test_import_child_arguments_travel_through_the_spawn_pipe_not_argv(tmp_path, met_file):
    url = f"sqlite:///{tmp_path / 'hunter2.db'}"
    parent = _start(f"""
        from pathlib import Path
        from stopsearch_app.services.import_process import import_in_child
        def progress(done, total, message):
            print("progress", flush=True)
        import_in_child({url!r}, [Path({str(met_file)!r})], force=None, fmt="auto", mapping_json=None, user="t",
                        progress=progress, is_cancelled=lambda: False)
    """)
    try:
        assert parent.stdout.readline().startswith("progress")
        children = _descendants(parent.pid)
        assert children
        for pid in children:
            try:
                argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            except OSError:
                continue
            assert "hunter2" not in argv, argv
    finally:
        parent.kill()
        parent.wait(timeout=10)
