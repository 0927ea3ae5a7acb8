"""Child processes end when their parent dies, at once, not at their next chunk or message.

A reader, import or chart process whose parent was killed (``kill -9``, a crash, the app closed by the
window manager) would otherwise run on, holding hundreds of MB and sometimes the database's write lock.
:func:`die_with_parent` is called first thing in the child:

* on Linux, ``prctl(PR_SET_PDEATHSIG, SIGKILL)``: the kernel kills the child when the parent goes;
* everywhere, a watchdog thread that polls the parent's pid and ends the process when it changed (the
  portable fallback, and a second guard: PDEATHSIG follows the parent *thread* that started the child).

An open SQLite or PostgreSQL transaction of a killed child rolls back: one transaction per file holds.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import signal
import sys
import threading
import time

PARENT_PID_ENV = "STOPSEARCH_PARENT_PID"
POLL_SECONDS = 0.5
_PR_SET_PDEATHSIG = 1


def _set_pdeathsig() -> bool:
    if not sys.platform.startswith("linux"):
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
        return libc.prctl(_PR_SET_PDEATHSIG, int(signal.SIGKILL), 0, 0, 0) == 0
    except (OSError, AttributeError):
        return False


def _parent_gone(parent_pid: int) -> bool:
    if os.getppid() != parent_pid:  # re-parented to init or a subreaper: the parent died
        return True
    return False


def die_with_parent(parent_pid: int | None = None) -> None:
    """Make this process end when ``parent_pid`` (default: the current parent) ends."""
    parent_pid = parent_pid or int(os.environ.get(PARENT_PID_ENV) or 0) or os.getppid()
    _set_pdeathsig()
    if _parent_gone(parent_pid):  # the parent died before prctl took effect
        os._exit(1)

    def watch() -> None:
        while True:
            time.sleep(POLL_SECONDS)
            if _parent_gone(parent_pid):
                os._exit(1)

    threading.Thread(target=watch, name="parent-watchdog", daemon=True).start()


def child_environment(**extra: str) -> dict[str, str]:
    """The environment for a child started with subprocess: names this process as its parent."""
    return dict(os.environ, **{PARENT_PID_ENV: str(os.getpid())}, **extra)
