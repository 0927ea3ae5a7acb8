"""Regression test for the PySide6 6.12.0 / CPython 3.11 crash (shared/reference/measured-baselines.md):
every void Qt call dropped a reference to None and the interpreter aborted with none_dealloc after a
few thousand calls. Run in a subprocess so an abort fails this test instead of killing the run."""

from __future__ import annotations

import subprocess
import sys

PROBE = """
import os, sys
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
from PySide6.QtWidgets import QApplication, QLabel
app = QApplication([])
label = QLabel()
before = sys.getrefcount(None)
for i in range(20000):
    label.setText(str(i))
    label.setObjectName("x")
after = sys.getrefcount(None)
print(before, after)
"""


def test_many_void_qt_calls_do_not_crash_or_leak_none():
    result = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, f"Qt probe aborted ({result.returncode}): {result.stderr[-500:]}"
    before, after = map(int, result.stdout.split())
    if sys.version_info < (3, 12):  # None is immortal from 3.12: its count means nothing there
        assert after >= before - 100, f"None lost {before - after} references over 40,000 void calls"


def test_installed_pyside_is_not_the_known_bad_release_on_python_311():
    import PySide6

    if sys.version_info < (3, 12):
        assert tuple(int(part) for part in PySide6.__version__.split(".")[:2]) < (6, 12), PySide6.__version__
