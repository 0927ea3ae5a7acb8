"""Supervisor review: the review queue (children's searches with a fail or review verdict, most urgent
first, filterable by rule, team/station and month) and the finding form for the selected record, with
its audit trail (issue 5).

Saving goes through the command objects of :mod:`stopsearch_app.store.findings`, run off the UI thread
by :class:`~stopsearch_app.ui.finding_form.FindingActivity` (the status line and audit trail the panel's
form shares). A stale-version conflict or a refusal is shown in the form and the user's edits stay in it.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QFileDialog, QFormLayout, QGridLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPlainTextEdit, QPushButton,
                               QScrollArea, QSplitter, QTableView, QVBoxLayout, QWidget)

from stopsearch_app.domain import review
from stopsearch_app.i18n import _
from stopsearch_app.store import reviews
from stopsearch_app.store.reviews import ChangeFinding, FindingState, QueueFilter, RecordFinding, UndoFinding
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.finding_form import FindingActivity, SaveOutcome
from stopsearch_app.ui.roles import RecordIdRole, SearchIdRole
from stopsearch_app.ui.optional_date import OptionalDate
from stopsearch_app.ui.paged_model import PagedIdModel
from stopsearch_app.ui.tasks import RefreshWhenShown, TaskSlot

ALL = ""
_GREY = QBrush(QColor("#6b6b6b"))
_SERVED_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole,
                 Qt.ItemDataRole.FontRole, SearchIdRole, RecordIdRole)


class QueueColumns:
    """The queue's columns: (key, heading); keys name QueueRow attributes."""

    ALL = (("priority", _("Why first")), ("findings", _("Charter findings")), ("date", _("Date (London)")),
           ("record_id", _("Record")), ("age", _("Age")), ("ethnicity", _("Ethnic group")), ("power", _("Power")),
           ("station", _("Team / station")), ("supervisor_outcome", _("Supervisor finding")),
           ("panel_rag", _("Panel rating")))


class ReviewQueueModel(PagedIdModel):
    """A thin adapter over the ordered search ids of the queue; rows are fetched a page at a time."""

    PAGE_ROWS = 200
    MAX_CACHED_PAGES = 32

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self._context = context
        self._bold = QFont()
        self._bold.setBold(True)

    def fetch_page(self, ids: np.ndarray) -> dict[int, reviews.QueueRow]:
        return reviews.queue_rows(self._context.engine, self._context.labels, ids, self._context.rule_orders)

    def search_id(self, row: int) -> int:
        return self.id_at(row)

    def queue_row(self, row: int) -> reviews.QueueRow | None:
        return self.row(row)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(QueueColumns.ALL)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return QueueColumns.ALL[section][1] if 0 <= section < len(QueueColumns.ALL) else None
        return str(section + 1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in _SERVED_ROLES or not index.isValid():
            return None
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._ids) and 0 <= column < len(QueueColumns.ALL)):
            return None
        if role == SearchIdRole:
            return int(self._ids[row])
        item = self.queue_row(row)
        if item is None:
            return None
        if role == RecordIdRole:
            return item.record_id
        key = QueueColumns.ALL[column][0]
        if role == Qt.ItemDataRole.FontRole:
            return self._bold if key == "supervisor_outcome" and item.supervisor_outcome else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return _GREY if item.supervisor_outcome and key != "supervisor_outcome" else None
        value = item.priority_text if key == "priority" else getattr(item, key)
        if role == Qt.ItemDataRole.ToolTipRole:
            if key == "priority":
                return _("Why this case is here: ") + item.priority_why
            if key == "findings":
                return _("✗ failed, ? needs review (most urgent first)")
            if key == "supervisor_outcome":
                return value or _("Not reviewed yet")
        if key == "supervisor_outcome" and not value:
            return _("not reviewed")
        return "" if value is None else str(value)


def _combo(parent: QWidget, name: str, first: str) -> QComboBox:
    combo = QComboBox(parent)
    combo.setObjectName(name)
    combo.addItem(first, ALL)
    combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
    return combo


class ReviewQueueView(RefreshWhenShown, QWidget):
    """The queue with its filters; emits the selected record's search id (-1: none)."""

    record_selected = Signal(int)

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_queue")
        self._context = context
        self._ids_slot = TaskSlot(self)
        self._ids_slot.succeeded.connect(self._show_ids)
        self._ids_slot.failed.connect(lambda message: self.count_label.setText(_("Could not load the queue: ")
                                                                               + message))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        filters = QHBoxLayout()
        self.rule = _combo(self, "queue_rule", _("Every rule"))
        self.station = _combo(self, "queue_station", _("Every team / station"))
        self.month = _combo(self, "queue_month", _("Every month"))
        for caption, combo in ((_("Rule"), self.rule), (_("Team"), self.station), (_("Month"), self.month)):
            label = QLabel(caption + ":", self)
            label.setBuddy(combo)
            filters.addWidget(label)
            filters.addWidget(combo)
        filters.addStretch(1)
        layout.addLayout(filters)
        self.count_label = QLabel(self)
        self.count_label.setObjectName("queue_count")
        layout.addWidget(self.count_label)
        self.model = ReviewQueueModel(context, self)
        self.table = QTableView(self)
        self.table.setObjectName("queue_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.verticalHeader().hide()  # the priority column leads; row numbers add nothing
        for column, width in enumerate((250, 150, 124, 112, 62, 94, 92, 104, 140, 90)):
            self.table.setColumnWidth(column, width)
        layout.addWidget(self.table, 1)
        for combo in (self.rule, self.station, self.month):
            combo.currentIndexChanged.connect(self.reload)
        self.table.selectionModel().selectionChanged.connect(self._on_selection)
        context.notifier.records_changed.connect(self.data_changed)

    def queue_filter(self) -> QueueFilter:
        return QueueFilter.of_month(self.month.currentData(), rule=self.rule.currentData() or "",
                                    station=self.station.currentData() or "")

    def _fill_choices(self, choices: dict[str, list[str]]) -> None:
        for combo, values in ((self.rule, choices["rules"]), (self.station, choices["stations"]),
                              (self.month, choices["months"])):
            current = combo.currentData()
            combo.blockSignals(True)
            while combo.count() > 1:
                combo.removeItem(1)
            for value in values:
                combo.addItem(value, value)
            combo.setCurrentIndex(max(0, combo.findData(current)))
            combo.blockSignals(False)

    def reload(self) -> None:
        """Ask the database for the queue's ids on a worker thread."""
        engine, labels, queue_filter = self._context.engine, self._context.labels, self.queue_filter()
        orders = dict(self._context.rule_orders)
        self.count_label.setText(_("Loading…"))
        self._ids_slot.submit(lambda progress, cancelled: (reviews.queue_ids(engine, labels, queue_filter, orders),
                                                           reviews.queue_choices(engine, labels)))

    def _show_ids(self, payload: tuple[np.ndarray, dict[str, list[str]]]) -> None:
        ids, choices = payload
        self._fill_choices(choices)
        self.model.set_ids(ids)
        self.count_label.setText(f"{len(ids):,} " + _("searches of children to review (a fail or a review "
                                                       "verdict), most urgent first"))
        self.record_selected.emit(-1)

    def is_loading(self) -> bool:
        return self._ids_slot.is_busy()

    def wait_idle(self) -> None:
        self._ids_slot.wait()

    def _on_selection(self, *_args) -> None:
        rows = self.table.selectionModel().selectedRows()
        self.record_selected.emit(self.model.search_id(rows[0].row()) if rows else -1)

    def select_row(self, row: int) -> None:
        self.table.selectRow(row)


class ReviewPanel(QWidget):
    """The supervisor's finding form for one record, with Save / Change / Undo and the audit trail."""

    finding_saved = Signal(str)  # record id

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("review_panel")
        self._context = context
        self.record: reviews.RecordForReview | None = None
        self.state: FindingState | None = None  # the supervisor finding as last read (the base version)
        self._rule_boxes: dict[str, QCheckBox] = {}

        layout = QVBoxLayout(self)
        self.heading = QLabel(_("Select a record in the queue to review it."), self)
        self.heading.setObjectName("review_heading")
        self.heading.setWordWrap(True)
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        layout.addWidget(self.heading)
        self.version_label = QLabel(self)
        self.version_label.setObjectName("finding_version")
        self.version_label.setTextFormat(Qt.TextFormat.PlainText)
        self.version_label.setWordWrap(True)
        layout.addWidget(self.version_label)

        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # labels above their fields when narrow
        self.outcome = QComboBox(self)
        self.outcome.setObjectName("finding_outcome")
        self.outcome.addItem(_("— choose an outcome —"), None)
        self.outcome.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.outcome.setMinimumContentsLength(18)  # the form narrows with the splitter; the list shows all
        for term in review.vocabularies().supervisor_outcomes:
            self.outcome.addItem(_(term.label), term.key)
            self.outcome.setItemData(self.outcome.count() - 1, _(term.description), Qt.ItemDataRole.ToolTipRole)
        form.addRow(_("Outcome"), self.outcome)
        self.outcome_help = QLabel(self)
        self.outcome_help.setWordWrap(True)
        self.outcome_help.setStyleSheet("color: #4a4a4a;")
        form.addRow("", self.outcome_help)
        self.rules_box = QGroupBox(_("Rules addressed (this record's fails and reviews)"), self)
        self.rules_box.setObjectName("rules_addressed")
        self.rules_layout = QGridLayout(self.rules_box)
        self.rules_layout.setContentsMargins(6, 4, 6, 4)
        self.rules_layout.setVerticalSpacing(2)
        self.rules_layout.setColumnStretch(1, 1)
        self._rule_titles: list[QLabel] = []
        form.addRow(self.rules_box)
        self.note = QPlainTextEdit(self)
        self.note.setObjectName("finding_note")
        self.note.setTabChangesFocus(True)
        self.note.setPlaceholderText(_("What you found and what you did (needed for every outcome but "
                                       "“Compliant after review”)"))
        self.note.setFixedHeight(80)
        form.addRow(_("Note"), self.note)
        self.bwv_viewed = QCheckBox(_("I viewed the body-worn video"), self)
        self.bwv_viewed.setObjectName("finding_bwv")
        form.addRow(_("Video"), self.bwv_viewed)
        self.follow_up_field = OptionalDate(_("Follow up by"), "finding_follow_up", QDate.currentDate().addDays(28), self)
        self.follow_up_set, self.follow_up = self.follow_up_field.checkbox, self.follow_up_field.date_edit
        form.addRow(_("Follow-up"), self.follow_up_field)
        self.reason = QLineEdit(self)
        self.reason.setObjectName("finding_reason")
        self.reason.setPlaceholderText(_("Why you change or undo a finding (kept in the audit trail)"))
        form.addRow(_("Reason"), self.reason)
        layout.addLayout(form)

        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("Save finding"), self)
        self.save_button.setObjectName("finding_save")
        self.change_button = QPushButton(_("Change finding"), self)
        self.change_button.setObjectName("finding_change")
        self.undo_button = QPushButton(_("Undo last change"), self)
        self.undo_button.setObjectName("finding_undo")
        for button in (self.save_button, self.change_button, self.undo_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.activity = FindingActivity(lambda: self._context.engine, self, prefix="finding",
                                        trail_heading=_("Audit trail of this record (every finding, change and "
                                                        "undo; never edited)"))
        self.message, self.audit_table = self.activity.message, self.activity.audit_table
        self.audit_model = self.activity.audit_model
        self.audit_table.setObjectName("audit_table")
        layout.addWidget(self.activity, 1)
        self.export_button = QPushButton(_("Export audit trail…"), self)
        self.export_button.setObjectName("finding_export_audit")
        export_row = QHBoxLayout()
        export_row.addStretch(1)
        export_row.addWidget(self.export_button)
        layout.addLayout(export_row)

        self.outcome.currentIndexChanged.connect(self._on_outcome)
        self.save_button.clicked.connect(self.save)
        self.change_button.clicked.connect(self.change)
        self.undo_button.clicked.connect(self.undo)
        self.export_button.clicked.connect(self.export_audit)
        self.activity.busy_changed.connect(lambda _busy: self._update_buttons())
        self.activity.save_finished.connect(self._saved)
        self.setTabOrder(self.outcome, self.note)
        self.setTabOrder(self.note, self.bwv_viewed)
        self.setTabOrder(self.bwv_viewed, self.follow_up_set)
        self.setTabOrder(self.follow_up_set, self.follow_up)
        self.setTabOrder(self.follow_up, self.reason)
        self.setTabOrder(self.reason, self.save_button)
        self.setTabOrder(self.save_button, self.change_button)
        self.setTabOrder(self.change_button, self.undo_button)
        self.show_record(None)

    # --- showing a record ---------------------------------------------------------------------------
    def show_record(self, search_id: int | None) -> None:
        if not self.is_saving():  # "Saving…" stays until the answer comes
            self._set_message("")
        if search_id is None or search_id < 0:
            self.record, self.state = None, None
            self.heading.setText(_("Select a record in the queue to review it."))
            self._set_rules(())
            self._fill(None)
            self.activity.show_trail([])
            self._update_buttons()
            return
        self.record = reviews.record_for_review(self._context.engine, self._context.labels, int(search_id))
        self.heading.setText(self.record.heading)
        self._set_rules(self.record.flagged_rules)
        self._reload_state(fill=True)

    def _reload_state(self, *, fill: bool) -> None:
        assert self.record is not None
        self.state = reviews.current_finding(self._context.engine, self.record.record_id, review.SUPERVISOR)
        if fill:
            self._fill(self.state if self.state is not None and self.state.active else None)
        self.activity.show_trail(reviews.audit_trail(self._context.engine, self.record.record_id))
        self._update_buttons()

    def _set_rules(self, flagged: tuple[tuple[str, str, str], ...]) -> None:
        for widget in (*self._rule_boxes.values(), *self._rule_titles):
            self.rules_layout.removeWidget(widget)
            widget.deleteLater()
        self._rule_boxes, self._rule_titles = {}, []
        for row, (rule_id, key, title) in enumerate(flagged):
            glyph = "✗" if key == "fail" else "?"
            box = QCheckBox(f"{rule_id}  {glyph} {key}", self.rules_box)
            box.setObjectName(f"rule_{rule_id}")
            box.setToolTip(title)
            label = QLabel(title, self.rules_box)
            label.setWordWrap(True)
            label.setBuddy(box)
            label.setStyleSheet("color: #3a3a3a;")
            self.rules_layout.addWidget(box, row, 0, Qt.AlignmentFlag.AlignTop)
            self.rules_layout.addWidget(label, row, 1)
            self._rule_boxes[rule_id] = box
            self._rule_titles.append(label)
        self.rules_box.setVisible(bool(flagged))

    def _fill(self, state: FindingState | None) -> None:
        fields = dict(state.fields) if state is not None else review.blank_finding()
        self.outcome.setCurrentIndex(max(0, self.outcome.findData(fields["outcome"])))
        for rule_id, box in self._rule_boxes.items():
            box.setChecked(rule_id in (fields["rules_addressed"] or ()))
        self.note.setPlainText(str(fields["note"] or ""))
        self.bwv_viewed.setChecked(bool(fields["bwv_viewed"]))
        self.follow_up_field.set_value(fields["follow_up"])
        self.reason.clear()

    def form_fields(self) -> dict[str, object]:
        return {"outcome": self.outcome.currentData(), "note": self.note.toPlainText(),
                "rules_addressed": [rule for rule, box in self._rule_boxes.items() if box.isChecked()],
                "bwv_viewed": self.bwv_viewed.isChecked(), "follow_up": self.follow_up_field.value()}

    def set_rule_checked(self, rule_id: str, checked: bool = True) -> None:
        self._rule_boxes[rule_id].setChecked(checked)

    def rule_ids(self) -> list[str]:
        return list(self._rule_boxes)

    def _on_outcome(self) -> None:
        term = review.vocabularies().term("outcome", self.outcome.currentData())
        self.outcome_help.setText(_(term.description) if term else "")

    def _update_buttons(self) -> None:
        has_record = self.record is not None
        editable = has_record and not self.is_saving()  # one save at a time: the form waits for its answer
        active = self.state is not None and self.state.active
        for widget in (self.outcome, self.note, self.bwv_viewed, self.reason, self.rules_box):
            widget.setEnabled(editable)
        self.follow_up_field.set_editable(editable)
        self.save_button.setEnabled(editable and not active)
        self.change_button.setEnabled(editable and active)
        self.undo_button.setEnabled(editable and self.state is not None)
        self.export_button.setEnabled(editable)
        if not has_record:
            self.version_label.setText("")
        elif self.state is None:
            self.version_label.setText(_("No supervisor finding yet."))
        else:
            status = _("withdrawn (undone)") if not self.state.active else _("current")
            self.version_label.setText(
                _("Supervisor finding") + f" v{self.state.version} ({status}) · {self.state.updated_by} · "
                + reviews.local_time_text(self.state.updated_at))

    def _set_message(self, text: str, *, error: bool = False) -> None:
        self.activity.set_message(text, error=error)

    # --- commands -----------------------------------------------------------------------------------
    def is_saving(self) -> bool:
        return self.activity.is_saving()

    def _run(self, make_command, done_text: str) -> bool:
        """Start the command on the worker (False: no record, or a save still running)."""
        if self.record is None:
            return False
        return self.activity.submit(make_command, record_id=self.record.record_id, kind=review.SUPERVISOR,
                                    trail_kind=None, done_text=done_text)

    def _saved(self, outcome: SaveOutcome) -> None:
        if self.record is None or outcome.record_id != self.record.record_id or not outcome.state_read:
            return
        # After a refusal or a stale version the form keeps the user's edits; the next change is based on
        # the version now stored (the other person's finding shows in the trail).
        self.state = outcome.state
        self.activity.show_trail(outcome.trail or [])
        if outcome.saved:
            self._fill(self.state if self.state is not None and self.state.active else None)
            self.finding_saved.emit(self.record.record_id)

    def _allowed_rules(self) -> list[str]:
        return list(self._rule_boxes)

    def save(self) -> bool:
        """Record a first finding (or a new one after an undo withdrew it)."""
        record = self.record
        if record is None:
            return False
        base = self.state
        return self._run(lambda: RecordFinding(
            self._context.engine, record.record_id, review.SUPERVISOR, self.form_fields(),
            who=self._context.user_name, why=self.reason.text(),
            expected_version=None if base is None else base.version, allowed_rules=self._allowed_rules()),
            _("Finding saved"))

    def change(self) -> bool:
        record, base = self.record, self.state
        if record is None or base is None:
            return False
        if not self.reason.text().strip():
            self._set_message(_("Not saved: give a reason for the change (it goes in the audit trail)."), error=True)
            self.reason.setFocus()
            return False
        return self._run(lambda: ChangeFinding(
            self._context.engine, record.record_id, review.SUPERVISOR, self.form_fields(),
            who=self._context.user_name, why=self.reason.text(), expected_version=base.version,
            allowed_rules=self._allowed_rules()), _("Finding changed"))

    def undo(self) -> bool:
        record, base = self.record, self.state
        if record is None or base is None:
            return False
        if not self.reason.text().strip():
            self._set_message(_("Not undone: give a reason for the undo (it goes in the audit trail)."), error=True)
            self.reason.setFocus()
            return False
        return self._run(lambda: UndoFinding(self._context.engine, record.record_id, review.SUPERVISOR,
                                             who=self._context.user_name, why=self.reason.text(),
                                             expected_version=base.version), _("Last change undone"))

    def export_audit(self, path: str | Path | None = None) -> Path | None:
        if self.record is None:
            return None
        if path is None:
            chosen, _filter = QFileDialog.getSaveFileName(
                self, _("Export the audit trail"), f"audit-{self.record.record_id}.csv", _("CSV files (*.csv)"))
            if not chosen:
                return None
            path = chosen
        rows = reviews.export_audit_csv(self._context.engine, path, self.record.record_id)
        self._set_message(_("Audit trail exported: ") + f"{rows} " + _("events to") + f" {path}")
        return Path(path)


class SupervisorReviewPage(QWidget):
    """The queue beside the finding form: the "Supervisor review" tab."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("supervisor_review_page")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.queue = ReviewQueueView(context, splitter)
        scroll = QScrollArea(splitter)
        scroll.setWidgetResizable(True)
        self.panel = ReviewPanel(context, scroll)
        scroll.setWidget(self.panel)
        splitter.addWidget(self.queue)
        splitter.addWidget(scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([1050, 800])  # scaled to the page: the queue a little wider than the form
        layout.addWidget(splitter)
        self.queue.record_selected.connect(self.panel.show_record)
        self.panel.finding_saved.connect(lambda _record_id: self.queue.model.refresh_rows())

    def is_loading(self) -> bool:
        return self.queue.is_loading()

    def wait_idle(self) -> None:
        self.queue.wait_idle()
        self.panel.activity.wait()
