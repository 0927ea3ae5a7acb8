"""The column-mapping step for a local extract: guessed from the headers, corrected by the user,
previewed with the parsed values, saved as a named profile for next month's extract
(Orange's CSV import widget is the pattern)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QHeaderView,
                               QInputDialog, QLabel, QLineEdit, QMessageBox, QPushButton, QRadioButton,
                               QSplitter, QStyledItemDelegate, QTableView, QVBoxLayout, QWidget)

from stopsearch_app.domain.records import FIELD_BY_NAME, FIELDS
from stopsearch_app.i18n import _
from stopsearch_app.io.errors import ImportRefused
from stopsearch_app.io.local_extract import LocalTable, parse_table, read_table
from stopsearch_app.io.mapping import (ColumnMapping, MappingError, guess_mapping, list_profiles, load_profile,
                                       save_profile)
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.simple_models import ListTableModel

IGNORE = ""
PREVIEW_ROWS = 20
_PROBLEM = QBrush(QColor("#fde0dd"))


class MappingModel(QAbstractTableModel):
    """One row per column of the file: header, the canonical field it feeds (editable), sample values."""

    mapping_changed = Signal()
    HEADER, TARGET, SAMPLE = range(3)

    def __init__(self, table: LocalTable, mapping: ColumnMapping, parent=None) -> None:
        super().__init__(parent)
        self._table = table
        self.mapping = mapping

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._table.headers)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return (_("Column in the file"), _("Maps to"), _("First values"))[section]

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        return base | Qt.ItemFlag.ItemIsEditable if index.column() == self.TARGET else base

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole,
                                               Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole):
            return None
        header = self._table.headers[index.row()]
        target = self.mapping.columns.get(header, IGNORE)
        if role == Qt.ItemDataRole.BackgroundRole:
            return _PROBLEM if index.column() == self.TARGET and target and self._clashes(target) else None
        if index.column() == self.HEADER:
            return header
        if index.column() == self.TARGET:
            if role == Qt.ItemDataRole.EditRole:
                return target
            if role == Qt.ItemDataRole.ToolTipRole and target:
                return f"{FIELD_BY_NAME[target].label} ({target})"
            return f"{FIELD_BY_NAME[target].label} ({target})" if target else _("(ignore)")
        values = [v for v in self._table.rows[header].head(5).tolist() if v]
        return ", ".join(values)[:120]

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if role != Qt.ItemDataRole.EditRole or index.column() != self.TARGET:
            return False
        self.mapping.columns[self._table.headers[index.row()]] = value or IGNORE
        self.dataChanged.emit(self.index(0, self.TARGET), self.index(self.rowCount() - 1, self.TARGET))
        self.mapping_changed.emit()
        return True

    def set_mapping(self, mapping: ColumnMapping) -> None:
        self.beginResetModel()
        self.mapping = mapping
        for header in self._table.headers:
            mapping.columns.setdefault(header, IGNORE)
        self.endResetModel()
        self.mapping_changed.emit()

    def _clashes(self, target: str) -> bool:
        return sum(1 for value in self.mapping.columns.values() if value == target) > 1


class FieldDelegate(QStyledItemDelegate):
    """A combo box of canonical fields for the 'Maps to' column."""

    def createEditor(self, parent, option, index):  # noqa: N802 - Qt name
        combo = QComboBox(parent)
        combo.addItem(_("(ignore)"), IGNORE)
        for field in FIELDS:
            combo.addItem(f"{field.label} ({field.name})", field.name)
        return combo

    def setEditorData(self, editor: QComboBox, index) -> None:  # noqa: N802
        editor.setCurrentIndex(max(editor.findData(index.data(Qt.ItemDataRole.EditRole)), 0))

    def setModelData(self, editor: QComboBox, model, index) -> None:  # noqa: N802
        model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class MappingDialog(QDialog):
    """Returns the chosen ColumnMapping through ``mapping()`` when accepted."""

    def __init__(self, context: AppContext, path: Path, parent: QWidget | None = None,
                 profiles_folder: Path | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("mapping_dialog")
        self.setWindowTitle(_("Map the columns of ") + path.name)
        self.resize(1200, 760)
        self._context = context
        self._path = path
        self._profiles_folder = profiles_folder
        self.table = read_table(path.read_bytes(), path.name)
        layout = QVBoxLayout(self)
        intro = QLabel(_("Check which column feeds which field. Guessed from the headers; change any "
                         "line with a double-click. Fields left unmapped count as 'not in this source', "
                         "so their rules say 'not assessable', never 'pass'."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)

        top = QHBoxLayout()
        top.addWidget(QLabel(_("Profile:"), self))
        self.profile_combo = QComboBox(self)
        self.profile_combo.setObjectName("profile_combo")
        self.profile_combo.addItem(_("(guessed from the headers)"), "")
        for name in list_profiles(profiles_folder):
            self.profile_combo.addItem(name, name)
        top.addWidget(self.profile_combo, 1)
        self.save_button = QPushButton(_("Save profile as…"), self)
        self.save_button.setObjectName("save_profile")
        top.addWidget(self.save_button)
        layout.addLayout(top)

        options = QFormLayout()
        self.force_edit = QLineEdit(self)
        self.force_edit.setObjectName("force_edit")
        self.force_edit.setPlaceholderText("metropolitan")
        options.addRow(_("Force (when the file has no force column):"), self.force_edit)
        bad_row = QHBoxLayout()
        self.quarantine_radio = QRadioButton(_("quarantine the row"), self)
        self.blank_radio = QRadioButton(_("keep the row, leave that value blank (not recorded)"), self)
        self.quarantine_radio.setChecked(True)
        bad_row.addWidget(self.quarantine_radio)
        bad_row.addWidget(self.blank_radio)
        bad_row.addStretch(1)
        options.addRow(_("A value that cannot be read:"), bad_row)
        layout.addLayout(options)

        splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.model = MappingModel(self.table, guess_mapping(self.table.headers), self)
        self.mapping_view = QTableView(splitter)
        self.mapping_view.setObjectName("mapping_view")
        self.mapping_view.setModel(self.model)
        self.mapping_view.setItemDelegateForColumn(MappingModel.TARGET, FieldDelegate(self.mapping_view))
        self.mapping_view.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.mapping_view.setColumnWidth(1, 360)
        self.mapping_view.horizontalHeader().setStretchLastSection(True)
        self.preview_model = ListTableModel([], [], self)
        self.preview_view = QTableView(splitter)
        self.preview_view.setObjectName("preview_view")
        self.preview_view.setModel(self.preview_model)
        splitter.setSizes([420, 260])
        layout.addWidget(splitter, 1)
        self.message = QLabel(self)
        self.message.setObjectName("mapping_message")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel,
                                        self)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(_("Import"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)

        self.model.mapping_changed.connect(self.refresh_preview)
        self.profile_combo.currentIndexChanged.connect(self._load_chosen_profile)
        self.save_button.clicked.connect(self._ask_save)
        self.quarantine_radio.toggled.connect(self.refresh_preview)
        self.force_edit.textChanged.connect(self.refresh_preview)
        self.refresh_preview()

    def mapping(self) -> ColumnMapping:
        mapping = self.model.mapping
        mapping.on_bad_value = "quarantine" if self.quarantine_radio.isChecked() else "blank"
        mapping.force = self.force_edit.text().strip().lower() or None
        return mapping

    def refresh_preview(self) -> None:
        """Parse the first rows with the current mapping and show the values the import would store."""
        ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        mapping = self.mapping()
        try:
            mapping.validate()
        except MappingError as error:
            self.message.setText("⚠ " + str(error))
            ok_button.setEnabled(False)
            self.preview_model.set_rows([])
            return
        head = LocalTable(self.table.headers, self.table.rows.head(PREVIEW_ROWS), [])
        try:
            parsed = parse_table(head, mapping, self._path.name, force=mapping.force)
        except ImportRefused as error:
            self.message.setText("⚠ " + error.reason)
            ok_button.setEnabled(False)
            return
        fields = [target for target in mapping.columns.values() if target]
        self.preview_model = ListTableModel(
            [(f"{FIELD_BY_NAME[name].label}", lambda record, name=name: _show(record.get(name))) for name in fields],
            parsed.records.to_dict("records"), self)
        self.preview_view.setModel(self.preview_model)
        problems = [w for w in parsed.warnings if "row " in w]
        text = (f"{len(self.table.rows):,} " + _("rows in the file; preview of the first") + f" {len(head.rows)}: "
                f"{len(parsed.records)} " + _("readable") + f", {len(parsed.quarantined)} " + _("would be quarantined"))
        if problems:
            text += "\n" + "\n".join(problems[:4]) + ("\n…" if len(problems) > 4 else "")
        self.message.setText(text)
        ok_button.setEnabled(True)

    def _load_chosen_profile(self) -> None:
        name = self.profile_combo.currentData()
        try:
            mapping = load_profile(name, self._profiles_folder) if name else guess_mapping(self.table.headers)
        except MappingError as error:
            QMessageBox.warning(self, _("Profile"), str(error))
            return
        self.quarantine_radio.setChecked(mapping.on_bad_value == "quarantine")
        self.blank_radio.setChecked(mapping.on_bad_value == "blank")
        self.force_edit.setText(mapping.force or "")
        self.model.set_mapping(mapping)

    def _ask_save(self) -> None:
        name, ok = QInputDialog.getText(self, _("Save mapping profile"), _("Profile name:"),
                                        text=self.model.mapping.name or self._path.stem)
        if ok and name.strip():
            self.save_profile(name.strip())

    def save_profile(self, name: str) -> Path:
        mapping = self.mapping()
        mapping.name = name
        try:
            path = save_profile(mapping, self._profiles_folder)
        except MappingError as error:
            self.message.setText("⚠ " + str(error))
            raise
        if self.profile_combo.findData(name) < 0:
            self.profile_combo.blockSignals(True)
            self.profile_combo.addItem(name, name)
            self.profile_combo.setCurrentIndex(self.profile_combo.count() - 1)
            self.profile_combo.blockSignals(False)
        return path


def _show(value: object) -> str:
    if value is None or (not isinstance(value, str) and pd.api.types.is_scalar(value) and pd.isna(value)):
        return _("not recorded")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)
