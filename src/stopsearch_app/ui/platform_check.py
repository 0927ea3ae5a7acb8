"""Before Qt starts: is there a screen, and can Qt's Linux desktop plugin load?

Without either, Qt aborts the interpreter with a message about "platform plugins" that does not say
what to do. This module imports no Qt, so it can speak first."""

from __future__ import annotations

import ctypes.util
import os
import sys
from collections.abc import Callable, Mapping

from stopsearch_app.resources import load_toml


def start_problem(environ: Mapping[str, str] = os.environ, platform: str = sys.platform,
                  find_library: Callable[[str], str | None] = ctypes.util.find_library) -> str | None:
    """What stops the window from opening, in words a user can act on; None when nothing does."""
    if platform != "linux":
        return None
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen and not chosen.startswith("xcb"):
        return None  # offscreen, wayland, ...: the user chose; Qt's own message is about that choice
    if not chosen and environ.get("WAYLAND_DISPLAY"):
        return None
    if not environ.get("DISPLAY"):
        return ("There is no screen to open the window on (DISPLAY is not set). Run the app in a desktop "
                "session; on a machine without one, under a virtual screen: xvfb-run make run. The command "
                "line works without a screen: .venv/bin/stopsearch --help")
    libraries: dict[str, str] = load_toml("platform", "qt-linux.toml")["libraries"]
    missing = [package for library, package in libraries.items() if find_library(library) is None]
    if missing:
        return ("Qt needs system libraries that are not installed: " + ", ".join(missing) + ".\n"
                "On Debian or Ubuntu: sudo apt-get install " + " ".join(missing))
    return None
