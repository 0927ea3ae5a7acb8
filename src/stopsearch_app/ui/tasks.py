"""Running work off the UI thread: a QThread per task, with progress, cancel and a result signal.

The callable gets ``progress(done, total, message)`` and ``is_cancelled()``; it must not touch Qt.
Results and errors come back through queued signals on the UI thread.
"""

from __future__ import annotations

import threading
import traceback
from collections.abc import Callable

from PySide6.QtCore import QObject, Qt, QThread, Signal


class _Worker(QObject):
    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(str)
    done = Signal()

    def __init__(self, function: Callable, cancel: threading.Event) -> None:
        super().__init__()
        self._function = function
        self._cancel = cancel

    def run(self) -> None:
        try:
            result = self._function(lambda done, total, message: self.progressed.emit(done, total, message),
                                    self._cancel.is_set)
        except Exception as error:  # noqa: BLE001 - reported to the user, never lost
            self.failed.emit(f"{error}\n\n{traceback.format_exc(limit=3)}" if not str(error) else str(error))
        else:
            self.succeeded.emit(result)
        finally:
            self.done.emit()


class BackgroundTask(QObject):
    """One run of a function on its own thread. Keep a reference until ``finished`` is emitted."""

    progressed = Signal(int, int, str)
    succeeded = Signal(object)
    failed = Signal(str)
    finished = Signal()

    def __init__(self, function: Callable, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._cancel = threading.Event()
        self._thread = QThread()
        self._worker = _Worker(function, self._cancel)
        self._worker.moveToThread(self._thread)
        self._thread.started.connect(self._worker.run)
        self._worker.progressed.connect(self.progressed)
        self._worker.succeeded.connect(self.succeeded)
        self._worker.failed.connect(self.failed)
        # Direct: quit() is thread-safe, and a queued call would wait for the UI thread, which may be
        # blocked in wait() (closing the window during an import).
        self._worker.done.connect(self._thread.quit, Qt.ConnectionType.DirectConnection)
        self._thread.finished.connect(self._on_thread_finished)

    def start(self) -> None:
        self._thread.start()

    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return self._cancel.is_set()

    def is_running(self) -> bool:
        return self._thread.isRunning()

    def wait(self, milliseconds: int = 30_000) -> bool:
        return self._thread.wait(milliseconds)

    def _on_thread_finished(self) -> None:
        self._worker.deleteLater()
        self.finished.emit()
