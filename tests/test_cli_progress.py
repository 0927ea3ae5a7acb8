"""Progress bars on stderr: shown when stderr is a terminal (a pty here), never with --json or when piped."""

from __future__ import annotations

import io
import os
import pty
import subprocess
import sys

import pytest

from stopsearch_app.services.cli_progress import progress_bar, wanted
from tests.conftest import MET_SEPTEMBER_2022

BAR = "━"  # rich's bar character


def run_stopsearch(args: list[str], *, terminal: bool, env: dict) -> tuple[int, str, str]:
    """Runs ``stopsearch ARGS`` with stderr on a pseudo-terminal (terminal=True) or a pipe."""
    command = [sys.executable, "-m", "stopsearch_app.services.cli", *args]
    if not terminal:
        done = subprocess.run(command, capture_output=True, text=True, env=env, timeout=300)
        return done.returncode, done.stdout, done.stderr
    leader, follower = pty.openpty()
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=follower, stdin=subprocess.DEVNULL, env=env)
    os.close(follower)
    chunks = []
    while True:
        try:
            data = os.read(leader, 65536)
        except OSError:  # EIO: the child closed its end
            break
        if not data:
            break
        chunks.append(data)
    os.close(leader)
    stdout = process.stdout.read().decode()
    process.wait(timeout=300)
    return process.returncode, stdout, b"".join(chunks).decode(errors="replace")


@pytest.fixture
def env(tmp_path):
    return {**os.environ, "COLUMNS": "100", "TERM": "xterm", "STOPSEARCH_DB": f"sqlite:///{tmp_path / 'p.db'}"}


@pytest.mark.slow
def test_import_and_check_show_a_bar_on_a_terminal_only(env):
    status, stdout, stderr = run_stopsearch(["import", str(MET_SEPTEMBER_2022)], terminal=True, env=env)
    assert status == 0, stderr
    assert BAR in stderr and "\x1b[" in stderr  # drawn, with cursor movements
    assert BAR not in stdout and "12,447 imported" in stdout  # the report itself stays on stdout

    status, stdout, stderr = run_stopsearch(["check"], terminal=True, env=env)
    assert status == 0 and BAR in stderr

    status, stdout, stderr = run_stopsearch(["check", "--json"], terminal=True, env=env)
    assert status == 0 and stderr == ""  # --json: nothing but the JSON

    status, stdout, stderr = run_stopsearch(["import", str(MET_SEPTEMBER_2022)], terminal=False, env=env)
    assert status == 0 and stderr == ""  # piped: nothing
    assert "0 imported, 12,447 duplicates" in stdout


def test_the_bar_follows_the_stream_and_json():
    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    assert wanted(False, Terminal()) and not wanted(True, Terminal()) and not wanted(False, io.StringIO())
    with progress_bar(False, io.StringIO()) as progress:
        assert progress is None
    stream = Terminal()
    with progress_bar(False, stream) as progress:
        progress(0, 0, "reading a file")
        progress(5, 10, "writing")
    assert BAR in stream.getvalue() and "writing" in stream.getvalue()


def test_fetch_shows_a_bar_on_a_terminal(env, tmp_path):
    from tests.fake_policeuk import FORCE, FakePoliceUk

    with FakePoliceUk() as server:
        args = ["fetch", "--force", FORCE, "--from", "2023-01", "--to", "2024-01", "--base-url", server.base_url,
                "--cache", str(tmp_path / "raw")]
        status, stdout, stderr = run_stopsearch(args, terminal=True, env=env)
        assert status == 0, stderr
        assert BAR in stderr and "total: 290 imported" in stdout
        status, stdout, stderr = run_stopsearch([*args, "--json"], terminal=True, env=env)
        assert status == 0 and stderr == ""
