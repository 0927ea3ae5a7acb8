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
        # QThread.finished arrives (queued) from a thread that may still be unwinding: wait for it, at
        # once by now, so nothing frees the QThread under it (a deleteLater() of the task otherwise
        # crashed now and then under pytest-qt).
        self._thread.wait()
        self._worker.deleteLater()
        self.finished.emit()


class TaskSlot(QObject):
    """One background job at a time for a view. A job submitted while one runs waits (only the
    latest is kept: an older request's answer would be stale anyway) and starts when it finishes."""

    succeeded = Signal(object)
    failed = Signal(str)
    idle = Signal()

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._task: BackgroundTask | None = None
        self._next: Callable | None = None

    def submit(self, function: Callable) -> None:
        if self._task is not None:
            self._next = function
            return
        task = BackgroundTask(function, self)
        self._task = task
        task.succeeded.connect(self.succeeded)
        task.failed.connect(self.failed)
        task.finished.connect(self._on_finished)
        task.start()

    def is_busy(self) -> bool:
        return self._task is not None or self._next is not None

    def cancel(self) -> None:
        self._next = None
        if self._task is not None:
            self._task.cancel()

    def wait(self, milliseconds: int = 30_000) -> None:
        """Block until the running job (and none after it) is done: before a window closes."""
        self._next = None
        if self._task is not None:
            self._task.wait(milliseconds)

    def _on_finished(self) -> None:
        if self._task is not None:
            self._task.deleteLater()
        self._task = None
        if self._next is not None:
            function, self._next = self._next, None
            self.submit(function)
        else:
            self.idle.emit()


class RefreshWhenShown:
    """Mixin for a tab that computes only while someone looks at it: a data change while it is
    hidden marks it stale, and it recomputes when shown (opening the window on a million records
    then loads only the visible tab). The class defines ``reload()``."""

    _stale = True

    def data_changed(self) -> None:
        if self.isVisible():  # type: ignore[attr-defined]
            self._stale = False
            self.reload()  # type: ignore[attr-defined]
        else:
            self._stale = True

    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)  # type: ignore[misc]
        if self._stale:
            self._stale = False
            self.reload()  # type: ignore[attr-defined]
