"""The review pack's chart and report renderers: run ``stopsearch_app.ui.pack_charts`` in a child
process, so the pack writer (command line or a worker thread) never touches Qt itself."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

from stopsearch_app.io.lifeline import child_environment

CHART_SECONDS = 120


def chart_renderer(db_url: str, request: Mapping[str, object]) -> Callable[[Mapping, Path], list[str]]:
    """A renderer for io.review_pack.write_pack: draws the Disparity charts of ``request`` as PNGs."""

    def render(_disparity: Mapping, folder: Path) -> list[str]:
        # The URL goes through a pipe, never argv: a password in argv is visible to every local user in ps.
        output = _run_child([str(folder), json.dumps(dict(request))], stdin=db_url + "\n", what="chart")
        return json.loads(output.strip().splitlines()[-1])

    return render


def _run_child(arguments: list[str], *, stdin: str | None = None, what: str = "report") -> str:
    completed = subprocess.run([sys.executable, "-m", "stopsearch_app.ui.pack_charts", *arguments],
                               input=stdin if stdin is not None else "", capture_output=True, text=True,
                               timeout=CHART_SECONDS, env=child_environment(QT_QPA_PLATFORM="offscreen"), check=False)
    if completed.returncode != 0:
        raise RuntimeError(completed.stderr.strip().splitlines()[-1] if completed.stderr.strip()
                           else f"{what} process exit {completed.returncode}")
    return completed.stdout


def report_renderer() -> Callable[[Mapping, Path], None]:
    """A renderer for io.review_pack.write_pack: lays out report.pdf from io.pack_report's data."""

    def render(data: Mapping, out: Path) -> None:
        with tempfile.TemporaryDirectory(prefix="stopsearch-report-") as scratch:
            data_file = Path(scratch) / "report.json"
            data_file.write_text(json.dumps(dict(data), default=str), encoding="utf-8")
            _run_child(["--report", str(data_file), str(out)])
        if not out.is_file():
            raise RuntimeError("the report process wrote no PDF")

    return render
