"""Rule settings: which charter rules run, which guidance rules count as law, and the rules' numeric
and rank parameters. The shipped rule set stays as it is; the user's departures from it are kept in
their settings, applied to every check run from the app and recorded with each run."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtWidgets import (QAbstractItemView, QComboBox, QDialog, QDialogButtonBox, QDoubleSpinBox, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QTableView, QVBoxLayout, QWidget)

from stopsearch_app.domain.charter.ruleset import (RuleSet, RuleSetError, describe_settings, normalise_settings,
                                                   scalar_params)
from stopsearch_app.i18n import _
from stopsearch_app.ui.compliance_view import BASIS_NOTE

_CHECKABLE_COLUMNS = (0, 4)


class RuleSettingsModel(QAbstractTableModel):
    """Rows: the rules of the shipped set. Columns: runs (checkable), ID, title, basis, counts as law
    (checkable for guidance rules only: PACE Code A law and Met policy keep their basis)."""

    HEADERS = (_("Runs"), _("Rule"), _("What it checks"), _("Basis"), _("Counts as law"))

    def __init__(self, base: RuleSet, settings: dict, parent=None) -> None:
        super().__init__(parent)
        self._base = base
        self._enabled: dict[str, bool] = {}
        self._promoted: dict[str, bool] = {}
        self.params: dict[str, dict[str, Any]] = {}
        self.reset_to(settings)

    def reset_to(self, settings: object) -> None:
        settings = normalise_settings(settings)
        self.beginResetModel()
        self._enabled = {rule.id: settings.get("enabled", {}).get(rule.id, rule.enabled) for rule in self._base.rules}
        self._promoted = {rule.id: settings.get("promote_to_law", {}).get(rule.id, rule.promote_to_law)
                          for rule in self._base.rules}
        self.params = {}
        for rule in self._base.rules:
            editable = scalar_params(rule)
            stored = settings.get("params", {}).get(rule.id, {})
            # Only the parameters the dialog edits, and only values of the default's kind.
            self.params[rule.id] = {name: stored[name] if type(stored.get(name)) is type(value) else value
                                    for name, value in editable.items()}
        self.endResetModel()

    def settings(self) -> dict[str, dict]:
        """The departures from the shipped rule set (what ``RuleSet.with_settings`` takes)."""
        settings: dict[str, dict] = {
            "enabled": {rule.id: self._enabled[rule.id] for rule in self._base.rules
                        if self._enabled[rule.id] != rule.enabled},
            "promote_to_law": {rule.id: self._promoted[rule.id] for rule in self._base.rules
                               if self._promoted[rule.id] != rule.promote_to_law},
            "params": {},
        }
        for rule in self._base.rules:
            changed = {name: value for name, value in self.params[rule.id].items()
                       if scalar_params(rule).get(name) != value}
            if changed:
                settings["params"][rule.id] = changed
        return {name: values for name, values in settings.items() if values}

    def rule_at(self, row: int):
        return self._base.rules[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._base.rules)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        return self.HEADERS[section] if 0 <= section < len(self.HEADERS) else None

    def flags(self, index: QModelIndex | QPersistentModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        rule = self.rule_at(index.row())
        if index.column() == 0 or (index.column() == 4 and rule.basis == "guidance"):
            flags |= Qt.ItemFlag.ItemIsUserCheckable
        return flags

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.CheckStateRole,
                                               Qt.ItemDataRole.ToolTipRole):
            return None
        rule, column = self.rule_at(index.row()), index.column()
        if role == Qt.ItemDataRole.CheckStateRole:
            if column == 0:
                return Qt.CheckState.Checked if self._enabled[rule.id] else Qt.CheckState.Unchecked
            if column == 4 and rule.basis == "guidance":
                return Qt.CheckState.Checked if self._promoted[rule.id] else Qt.CheckState.Unchecked
            return None
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 4:
                return (_("A fail of this guidance rule counts as a breach of law when ticked")
                        if rule.basis == "guidance" else _("Only guidance rules can be promoted"))
            return f"{rule.citation}" if column == 3 else rule.title
        if column == 0:
            return ""
        if column == 4:
            return "" if rule.basis == "guidance" else _("always") if rule.basis == "law" else _("no (policy)")
        return (None, rule.id, rule.title, BASIS_NOTE.get(rule.basis, rule.basis))[column]

    def setData(self, index: QModelIndex | QPersistentModelIndex, value, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if (role != Qt.ItemDataRole.CheckStateRole or index.column() not in _CHECKABLE_COLUMNS
                or not self.flags(index) & Qt.ItemFlag.ItemIsUserCheckable):
            return False
        checked = Qt.CheckState(value) == Qt.CheckState.Checked
        rule = self.rule_at(index.row())
        (self._enabled if index.column() == 0 else self._promoted)[rule.id] = checked
        self.dataChanged.emit(index, index, [Qt.ItemDataRole.CheckStateRole])
        return True


class RuleSettingsDialog(QDialog):
    """The rules table, the selected rule's parameters, and "Save and re-check"."""

    def __init__(self, base: RuleSet, settings: dict, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rule_settings")
        self.setWindowTitle(_("Charter rule settings"))
        self.resize(1000, 640)
        self._base = base
        layout = QVBoxLayout(self)
        intro = QLabel(_("Rule set: ") + f"<b>{base.id} {base.version}</b> — " + base.title + "<br>"
                       + _("Your changes apply to the next check and are recorded with it; the shipped "
                           "rule set is not changed. A rule that is off gets no verdict at all."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        self.model = RuleSettingsModel(base, settings, self)
        self.table = QTableView(self)
        self.table.setObjectName("rule_settings_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        middle = QHBoxLayout()
        middle.addWidget(self.table, 3)
        self.params_box = QGroupBox(_("Parameters"), self)
        self.params_form = QFormLayout(self.params_box)
        middle.addWidget(self.params_box, 1)
        layout.addLayout(middle, 1)
        self.summary = QLabel(self)
        self.summary.setObjectName("rule_settings_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.problem = QLabel(self)
        self.problem.setObjectName("rule_settings_problem")
        self.problem.setStyleSheet("color: #a4262c")
        self.problem.setWordWrap(True)
        layout.addWidget(self.problem)
        buttons = QDialogButtonBox(self)
        self.restore_button = QPushButton(_("Restore the charter's settings"), self)
        self.save_button = QPushButton(_("Save and re-check"), self)
        self.save_button.setDefault(True)
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.ResetRole)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(QDialogButtonBox.StandardButton.Cancel)
        buttons.rejected.connect(self.reject)
        self.save_button.clicked.connect(self.save)
        self.restore_button.clicked.connect(self.restore_charter_settings)
        layout.addWidget(buttons)
        self.table.selectionModel().currentRowChanged.connect(lambda current, _previous: self._show_params())
        self.model.dataChanged.connect(self._changed)
        self.table.selectRow(0)
        self._changed()

    def settings(self) -> dict[str, dict]:
        return self.model.settings()

    def restore_charter_settings(self) -> None:
        row = max(self.table.currentIndex().row(), 0)
        self.model.reset_to({})
        self.table.selectRow(row)  # a model reset clears the selection
        self._show_params()
        self._changed()

    def save(self) -> None:
        """Accept only settings the rule set takes (the same validation as a rule-set file)."""
        try:
            self._base.with_settings(**self.settings())
        except RuleSetError as error:
            self.problem.setText(str(error))
            return
        self.accept()

    def _current_rule(self):
        row = self.table.currentIndex().row()
        return self.model.rule_at(row) if row >= 0 else None

    def _show_params(self) -> None:
        while self.params_form.rowCount():
            self.params_form.removeRow(0)
        rule = self._current_rule()
        if rule is None:
            return
        self.params_box.setTitle(_("Parameters of ") + rule.id)
        editable = scalar_params(rule)
        for name, value in self.model.params[rule.id].items():
            self.params_form.addRow(name.replace("_", " "), self._editor(rule.id, name, value))
        fixed = [name for name in rule.params if name not in editable]
        if fixed:
            note = QLabel(_("Set in the rule-set file: ") + ", ".join(fixed), self.params_box)
            note.setWordWrap(True)
            self.params_form.addRow(note)
        if not rule.params:
            self.params_form.addRow(QLabel(_("This rule has no parameters."), self.params_box))

    def _editor(self, rule_id: str, name: str, value: Any) -> QWidget:
        def store(new_value: Any) -> None:
            self.model.params[rule_id][name] = new_value
            self._changed()

        if isinstance(value, str) and name.endswith("rank"):
            box = QComboBox(self.params_box)
            box.addItems(list(self._base.ranks.order))
            position = self._base.ranks.index(value)  # "supt" and "superintendent" alike
            if position < 0:
                box.addItem(value)  # not a rank the scale knows: shown as it is, the rule set will say
                position = box.count() - 1
            box.setCurrentIndex(position)
            box.currentTextChanged.connect(store)
            box.setObjectName(f"param_{rule_id}_{name}")
            return box
        if isinstance(value, str):
            line = QLineEdit(value, self.params_box)
            line.textChanged.connect(store)
            line.setObjectName(f"param_{rule_id}_{name}")
            return line
        spin = QDoubleSpinBox(self.params_box) if isinstance(value, float) else QSpinBox(self.params_box)
        if isinstance(spin, QDoubleSpinBox):
            spin.setDecimals(3)
        spin.setRange(0, 1_000_000)
        spin.setValue(value)
        spin.valueChanged.connect(store)
        spin.setObjectName(f"param_{rule_id}_{name}")
        return spin

    def _changed(self) -> None:
        self.problem.clear()
        described = describe_settings(self.settings())
        self.summary.setText(_("Changes from the charter: ") + (described or _("none")))
