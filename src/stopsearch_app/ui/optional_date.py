"""A date a person may leave unset (a follow-up date, the date a response arrived): a checkbox that
turns a calendar date field on; unticked means no date, never today's."""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import QDate, Signal
from PySide6.QtWidgets import QCheckBox, QDateEdit, QHBoxLayout, QWidget


class OptionalDate(QWidget):
    changed = Signal()

    def __init__(self, label: str, object_name: str, default: QDate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.checkbox = QCheckBox(label, self)
        self.checkbox.setObjectName(f"{object_name}_set")
        self.date_edit = QDateEdit(self)
        self.date_edit.setObjectName(object_name)
        self.date_edit.setDisplayFormat("yyyy-MM-dd")
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDate(default)
        self.date_edit.setEnabled(False)
        row = QHBoxLayout(self)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.checkbox)
        row.addWidget(self.date_edit)
        row.addStretch(1)
        self.checkbox.toggled.connect(self.date_edit.setEnabled)
        self.checkbox.toggled.connect(self.changed)
        self.date_edit.dateChanged.connect(self.changed)

    def value(self) -> date | None:
        return self.date_edit.date().toPython() if self.checkbox.isChecked() else None

    def set_value(self, value: date | None) -> None:
        self.checkbox.setChecked(isinstance(value, date))
        if isinstance(value, date):
            self.date_edit.setDate(QDate(value.year, value.month, value.day))

    def set_editable(self, editable: bool) -> None:
        self.checkbox.setEnabled(editable)
        self.date_edit.setEnabled(editable and self.checkbox.isChecked())
