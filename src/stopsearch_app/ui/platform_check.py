"""Before Qt starts: is there a screen, and are the libraries of Qt's Linux desktop plugin installed?

Without either, Qt aborts the interpreter with a message about "platform plugins" that does not say
what to do. This module imports no Qt, so it can speak first."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping

from stopsearch_app.resources import load_toml


def no_screen(environ: Mapping[str, str] = os.environ, platform: str = sys.platform) -> str | None:
    """Why the window cannot open at all, in words a user can act on; None when it can."""
    if platform != "linux" or not _uses_xcb(environ) or environ.get("DISPLAY"):
        return None
    return ("There is no screen to open the window on (DISPLAY is not set). Run the app in a desktop "
            "session; on a machine without one, under a virtual screen: xvfb-run make run. The command "
            "line works without a screen: .venv/bin/stopsearch --help")


def missing_libraries(environ: Mapping[str, str] = os.environ, platform: str = sys.platform,
                      installed: Callable[[], set[str] | None] | None = None) -> str | None:
    """The Debian packages of Qt's xcb libraries that the linker cache lacks, as advice. Only advice:
    a library found some other way still works, so the app tries to start anyway."""
    if platform != "linux" or not _uses_xcb(environ):
        return None
    known = (installed or _linker_cache)()
    if known is None:
        return None
    libraries: dict[str, str] = load_toml("platform", "qt-linux.toml")["libraries"]
    missing = [package for library, package in libraries.items()
               if not any(name.startswith(f"lib{library}.so") for name in known)]
    if not missing:
        return None
    return ("Qt may need system libraries that are not installed: " + ", ".join(missing) + ". If the "
            "window does not open, on Debian or Ubuntu: sudo apt-get install " + " ".join(missing))


def _uses_xcb(environ: Mapping[str, str]) -> bool:
    chosen = environ.get("QT_QPA_PLATFORM", "")
    if chosen:
        return chosen.startswith("xcb")  # offscreen, wayland...: the user chose, Qt speaks for it
    return not environ.get("WAYLAND_DISPLAY")


def _linker_cache() -> set[str] | None:
    """Library file names the dynamic linker knows (one ``ldconfig -p``); None when it cannot tell."""
    ldconfig = shutil.which("ldconfig") or next(
        (path for path in ("/sbin/ldconfig", "/usr/sbin/ldconfig") if os.path.exists(path)), None)
    if ldconfig is None:
        return None
    try:
        listing = subprocess.run([ldconfig, "-p"], capture_output=True, text=True, timeout=5, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    return {line.split()[0] for line in listing.splitlines()[1:] if line.strip()}
