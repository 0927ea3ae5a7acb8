"""What the supervisor's form and the panel's form share (issue 12 item 8, issue 10 item 6): the status
line, the audit-trail view, and the saving of a finding off the UI thread with one error handling.

A save runs the store's command (``store.findings``: it writes the audit event and refuses a stale
version) on a worker thread, because on SQLite it waits, for minutes if need be, while an import holds
the write lock (``findings._write_transaction``); the window keeps painting meanwhile. While it runs the
form is disabled (no second submit) and the status line says it is saving. Whatever happens the user's
text stays in the form; a refusal is one line saying why.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QAbstractItemView, QLabel, QTableView, QVBoxLayout, QWidget
from sqlalchemy import Engine

from stopsearch_app.i18n import _
from stopsearch_app.store.findings import (AuditEvent, FindingCommand, FindingState, StaleFindingError, audit_trail,
                                           current_finding, local_time_text)
from stopsearch_app.ui.finding_errors import REFUSALS, refusal_text
from stopsearch_app.ui.simple_models import ListTableModel
from stopsearch_app.ui.tasks import TaskSlot

# Colours, not style sheets: a style sheet on the label would drop the font it inherits (the panel's
# large type) for the application's.
ERROR_COLOUR, OK_COLOUR, BUSY_COLOUR = "#a12a00", "#1b5e20", "#4a4a4a"


@dataclass(frozen=True)
class SaveOutcome:
    """What a save came to, read on the worker: the finding and trail as stored afterwards (None when the
    database could not be read either: the form then keeps what it shows)."""

    record_id: str
    saved: bool
    message: str
    stale: bool
    state: FindingState | None
    trail: list[AuditEvent] | None
    state_read: bool


def perform_save(engine: Engine, make_command: Callable[[], FindingCommand], record_id: str, kind: str,
                 trail_kind: str | None, done_text: str) -> SaveOutcome:
    """Run the command and read back the finding and its trail (on a worker thread: touches no Qt)."""
    stale = False
    try:
        state = make_command().do()
    except StaleFindingError as conflict:
        saved, message, stale = False, str(conflict), True
    except REFUSALS as refused:
        saved, message = False, refusal_text(refused)
    else:
        saved, message = True, done_text + f" (v{state.version})"
    try:
        current, trail, read = current_finding(engine, record_id, kind), audit_trail(engine, record_id, trail_kind), True
    except REFUSALS:  # the database is gone too: the save's own message says so already
        current, trail, read = None, None, False
    return SaveOutcome(record_id, saved, message, stale, current, trail, read)


class AuditTrailView(QTableView):
    """A record's audit events, oldest first, the change written out in full."""

    def __init__(self, parent: QWidget | None = None, *, name: str = "audit_table") -> None:
        super().__init__(parent)
        self.setObjectName(name)
        self.audit_model = ListTableModel(
            [(_("When (London)"), lambda e: local_time_text(e.at)), (_("Who"), lambda e: e.who),
             (_("Finding"), lambda e: e.kind), (_("Action"), lambda e: e.action), (_("v"), lambda e: e.version),
             (_("Why"), lambda e: e.why), (_("What changed"), lambda e: e.summary)], [], self,
            tooltip=lambda e, c: e.summary if c == 6 else e.why if c == 5 else None)
        self.setModel(self.audit_model)
        self.verticalHeader().hide()
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setWordWrap(True)
        self.horizontalHeader().setStretchLastSection(True)
        self.set_column_widths(self.fontMetrics().horizontalAdvance("0"))

    COLUMN_DIGITS = (14, 9, 8, 6, 3, 12)  # the last column, what changed, takes the rest

    def set_column_widths(self, digit: int, digits: tuple[int, ...] = COLUMN_DIGITS) -> None:
        """Widths in digits of the view's font, so the large-type panel view scales with its text
        (0 hides a column)."""
        for column, count in enumerate(digits):
            self.setColumnHidden(column, count == 0)
            if count:
                self.setColumnWidth(column, count * digit)

    def show_events(self, events: list[AuditEvent]) -> None:
        self.audit_model.set_rows(events)
        self.resizeRowsToContents()  # a record's few events: cheap, and the changes read in full


class FindingActivity(QWidget):
    """The status line above the audit trail, and the save worker behind both.

    ``submit()`` starts a save; ``busy_changed(True)`` asks the form to disable itself and
    ``busy_changed(False)`` follows ``save_finished(outcome)``, in that order."""

    busy_changed = Signal(bool)
    save_finished = Signal(object)  # SaveOutcome

    def __init__(self, engine_of: Callable[[], Engine], parent: QWidget | None = None, *, prefix: str,
                 trail_heading: str) -> None:
        super().__init__(parent)
        self.setObjectName(f"{prefix}_activity")
        self._engine_of = engine_of
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.message = QLabel(self)
        self.message.setObjectName(f"{prefix}_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.message)
        self.trail_heading = QLabel(trail_heading, self)
        self.trail_heading.setWordWrap(True)
        layout.addWidget(self.trail_heading)
        self.audit_table = AuditTrailView(self, name=f"{prefix}_audit")
        self.audit_table.setMinimumHeight(6 * self.fontMetrics().lineSpacing())
        layout.addWidget(self.audit_table, 1)
        self._slot = TaskSlot(self)
        self._slot.succeeded.connect(self._finished)
        self._slot.failed.connect(self._crashed)
        self._busy = False
        self._pending: tuple[str, str] | None = None

    @property
    def audit_model(self) -> ListTableModel:
        return self.audit_table.audit_model

    def set_message(self, text: str, *, error: bool = False, busy: bool = False) -> None:
        self.message.setText(text)
        palette = self.message.palette()
        palette.setColor(QPalette.ColorRole.WindowText,
                         QColor(BUSY_COLOUR if busy else ERROR_COLOUR if error else OK_COLOUR))
        self.message.setPalette(palette)
        font = QFont(self.font())
        font.setBold(error)
        font.setItalic(busy)
        self.message.setFont(font)

    def show_trail(self, events: list[AuditEvent]) -> None:
        self.audit_table.show_events(events)

    def is_saving(self) -> bool:
        return self._busy

    def submit(self, make_command: Callable[[], FindingCommand], *, record_id: str, kind: str,
               trail_kind: str | None, done_text: str) -> bool:
        """Start a save on the worker; False (and nothing done) while one is still running."""
        if self._busy:
            return False
        self._busy = True
        self._pending = (record_id, kind)
        engine = self._engine_of()
        self.set_message(_("Saving…") + " " + _("(waits while an import is writing to the database)"), busy=True)
        self.busy_changed.emit(True)
        self._slot.submit(lambda progress, cancelled: perform_save(engine, make_command, record_id, kind,
                                                                   trail_kind, done_text))
        return True

    def wait(self, milliseconds: int = 60_000) -> None:
        """Block until a running save is done (before its window closes)."""
        self._slot.wait(milliseconds)

    def _finished(self, outcome: SaveOutcome) -> None:
        self._busy = False
        self._pending = None
        self.set_message(outcome.message, error=not outcome.saved)
        self.save_finished.emit(outcome)  # the form shows the trail if it still shows that record
        self.busy_changed.emit(False)

    def _crashed(self, message: str) -> None:
        """An error the store does not name (a bug): the form keeps its text and shows the first line."""
        record_id, _kind = self._pending or ("", "")
        self._finished(SaveOutcome(record_id, False, _("Not saved: ") + message.splitlines()[0], False, None, None,
                                   False))
