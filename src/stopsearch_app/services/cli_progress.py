"""A progress bar on stderr for the long commands (import, fetch, check, export-pack), only when
stderr is a terminal and the command does not print JSON: a script or a pipe gets nothing extra.

rich, not tqdm: it is already installed with the project (import-linter's dependency) and measured
55 ms to import here against tqdm's 64 ms; it is imported only when a bar is shown.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TextIO

Progress = Callable[[int, int, str], None]  # done, total (0: not known yet), message


def wanted(json_output: bool, stream: TextIO | None = None) -> bool:
    stream = sys.stderr if stream is None else stream
    try:
        return not json_output and stream.isatty()
    except (AttributeError, ValueError):  # a closed or replaced stream
        return False


@contextmanager
def progress_bar(json_output: bool, stream: TextIO | None = None) -> Iterator[Progress | None]:
    """Yields a progress callback, or None when no bar should be shown (pass it on as is)."""
    stream = sys.stderr if stream is None else stream
    if not wanted(json_output, stream):
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress as RichProgress, TextColumn, TimeElapsedColumn

    console = Console(file=stream, stderr=True)
    with RichProgress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                      console=console, transient=True) as bar:
        task = bar.add_task("starting", total=None)

        def update(done: int, total: int, message: str) -> None:
            # total 0 means "not known yet": rich shows a pulsing bar for total=None
            bar.update(task, completed=done, total=total or None, description=message[:60])

        yield update
