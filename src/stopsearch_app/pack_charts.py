"""The review pack's chart renderer: runs ``stopsearch_app.ui.pack_charts`` in a child process, so
the pack writer (command line or a worker thread) never touches Qt itself."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable, Mapping
from pathlib import Path

from stopsearch_app.io.lifeline import child_environment

CHART_SECONDS = 120


def chart_renderer(db_url: str, request: Mapping[str, object]) -> Callable[[Mapping, Path], list[str]]:
    """A renderer for io.review_pack.write_pack: draws the Disparity charts of ``request`` as PNGs."""

    def render(_disparity: Mapping, folder: Path) -> list[str]:
        environment = child_environment(QT_QPA_PLATFORM="offscreen")
        # The URL goes through a pipe, never argv: a password in argv is visible to every local user in ps.
        completed = subprocess.run(
            [sys.executable, "-m", "stopsearch_app.ui.pack_charts", str(folder), json.dumps(dict(request))],
            input=db_url + "\n", capture_output=True, text=True, timeout=CHART_SECONDS, env=environment,
            check=False)
        if completed.returncode != 0:
            raise RuntimeError(completed.stderr.strip().splitlines()[-1] if completed.stderr.strip()
                               else f"chart process exit {completed.returncode}")
        return json.loads(completed.stdout.strip().splitlines()[-1])

    return render
