"""Peak memory of a benchmark step.

``ru_maxrss`` is not used for the step itself: Linux carries it over fork and exec, so a step started
by a process that holds the generated million-row frame would report the parent's peak. VmHWM is the
high-water mark of this process's own address space."""

from __future__ import annotations

import resource
from pathlib import Path


def peak_mib() -> float:
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def children_peak_mib() -> float:
    """The largest peak of the processes this one started and waited for (an upper bound: a child's
    figure starts from this process's size when it was started)."""
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def warm(path: str | Path) -> None:
    """Read a file once so that a timed step finds it in the page cache. Both sides of a comparison
    call it first: on this machine a file not read for a few minutes comes back from disk at ~80 MB/s
    (2.7 s for a million rows), which would time the disk, and whichever side ran second would get
    the file the first had just read."""
    with open(path, "rb") as handle:
        while handle.read(16 << 20):
            pass
