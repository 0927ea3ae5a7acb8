"""The compliance overview: per charter rule, how many searches got each verdict (children only by
default), with the rule's basis and citation, and which rules the loaded data can assess at all.
Clicking a count shows those records."""

from __future__ import annotations

import json

import pandas as pd
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHBoxLayout, QHeaderView, QLabel, QMessageBox,
                               QProgressDialog, QPushButton, QTableView, QVBoxLayout, QWidget)

from stopsearch_app.domain.charter.ruleset import RuleSetError, default_ruleset, describe_settings, run_departures
from stopsearch_app.domain.charter.verdicts import VERDICT_KEYS, Verdict
from stopsearch_app.i18n import _
from stopsearch_app.store.checks import latest_run, run_check, verdict_counts
from stopsearch_app.domain.selection import AgeBand, Selection
from stopsearch_app.store.queries import RecordQuery
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.roles import RuleIdRole, VerdictKeyRole
from stopsearch_app.ui.tasks import BackgroundTask, RefreshWhenShown, TaskSlot

BASIS_NOTE = {"law": _("law"), "policy": _("policy (not a legal breach)"), "guidance": _("guidance (not a legal breach)")}


class ComplianceModel(QAbstractTableModel):
    """Rows: rules. Columns: ID, title, basis, citation, then one per verdict (count and share)."""

    FIXED = (_("Rule"), _("What it checks"), _("Basis"), _("Source"))

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._counts = pd.DataFrame(columns=list(VERDICT_KEYS))
        self._rules: dict[str, dict] = {}
        self._assessable: set[str] = set()

    def set_data(self, counts: pd.DataFrame, rules: dict[str, dict], assessable: set[str]) -> None:
        self.beginResetModel()
        self._counts, self._rules, self._assessable = counts, rules, assessable
        self.endResetModel()

    def counts(self) -> pd.DataFrame:
        return self._counts

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._counts)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.FIXED) + len(VERDICT_KEYS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section < len(self.FIXED):
            return self.FIXED[section]
        verdict = Verdict.from_key(VERDICT_KEYS[section - len(self.FIXED)])
        return f"{verdict.glyph} {verdict.label}"

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole,
                                               Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ForegroundRole,
                                               Qt.ItemDataRole.TextAlignmentRole, VerdictKeyRole, RuleIdRole):
            return None
        rule_id = str(self._counts.index[index.row()])
        rule = self._rules.get(rule_id, {})
        column = index.column()
        if role == RuleIdRole:
            return rule_id
        if column < len(self.FIXED):
            if role == Qt.ItemDataRole.ForegroundRole and rule_id not in self._assessable:
                return QBrush(QColor("#6b6b6b"))
            if role == Qt.ItemDataRole.ToolTipRole:
                return rule.get("description") or rule.get("title")
            if role != Qt.ItemDataRole.DisplayRole:
                return None
            basis = "law" if rule.get("promote_to_law") else rule.get("basis", "")
            return (rule_id, rule.get("title", ""), BASIS_NOTE.get(basis, basis), rule.get("citation", ""))[column]
        key = VERDICT_KEYS[column - len(self.FIXED)]
        if not rule.get("enabled", True):  # zero counts would read as "nothing found"
            if role == Qt.ItemDataRole.DisplayRole:
                return _("off")
            if role == Qt.ItemDataRole.ForegroundRole:
                return QBrush(QColor("#6b6b6b"))
            if role == Qt.ItemDataRole.ToolTipRole:
                return f"{rule_id}: " + _("turned off in this check's rule settings: no verdicts")
            return None
        verdict = Verdict.from_key(key)
        count = int(self._counts.at[rule_id, key])
        total = int(self._counts.loc[rule_id].sum())
        if role == VerdictKeyRole:
            return key
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(QColor(verdict.colour)) if count else None
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(QColor(verdict.text_colour)) if count else QBrush(QColor("#9a9a9a"))
        # A share is over the records the rule applies to and could judge (a rule that applies to a
        # few searches must not read as 1% of every child); not assessable / not applicable: counts only.
        counts = self._counts.loc[rule_id]
        assessed = int(counts.get("pass", 0) + counts.get("fail", 0) + counts.get("review", 0))
        applies = assessed + int(counts.get("not_recorded", 0))
        base, what = {"pass": (assessed, _("assessed")), "fail": (assessed, _("assessed")),
                      "review": (assessed, _("assessed")),
                      "not_recorded": (applies, _("it applies to"))}.get(key, (0, ""))
        share = f"{100 * count / base:.0f}%" if base else ""
        if role == Qt.ItemDataRole.ToolTipRole:
            over = f" ({share} " + _("of the") + f" {base:,} " + _("records") + f" {what})" if share else ""
            return (f"{rule_id} {verdict.label}: {count:,} " + _("of") + f" {total:,}{over}. " + _("Click to list them."))
        if not count:
            return "0"
        return f"{verdict.glyph} {count:,}  ({share} " + _("of") + f" {base:,})" if share else f"{verdict.glyph} {count:,}"


class ComplianceView(RefreshWhenShown, QWidget):
    show_records = Signal(object)  # RecordQuery narrowed to a rule's verdict

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("compliance_view")
        self._context = context
        self._counts_slot = TaskSlot(self)
        self._counts_slot.succeeded.connect(self._show)
        self._check_task: BackgroundTask | None = None
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.children_only = QCheckBox(_("Children only"), self)
        self.children_only.setObjectName("compliance_children_only")
        self.children_only.setChecked(True)
        top.addWidget(self.children_only)
        self.run_label = QLabel(self)
        self.run_label.setObjectName("run_label")
        self.run_label.setWordWrap(True)  # it names the run's rule settings: may be long
        top.addWidget(self.run_label, 1)
        self.settings_button = QPushButton(_("Rule settings…"), self)
        self.settings_button.setObjectName("rule_settings_button")
        top.addWidget(self.settings_button)
        self.recheck_button = QPushButton(_("Re-check every record"), self)
        self.recheck_button.setObjectName("recheck")
        top.addWidget(self.recheck_button)
        layout.addLayout(top)
        self.coverage_label = QLabel(self)
        self.coverage_label.setObjectName("coverage_label")
        self.coverage_label.setWordWrap(True)
        self.coverage_label.setTextFormat(Qt.TextFormat.RichText)
        layout.addWidget(self.coverage_label)
        self.model = ComplianceModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("compliance_table")
        self.table.setModel(self.model)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setColumnWidth(0, 50)
        self.table.setColumnWidth(1, 330)
        self.table.setColumnWidth(2, 170)
        self.table.setColumnWidth(3, 190)
        for column in range(4, 10):
            self.table.setColumnWidth(column, 118)
        layout.addWidget(self.table)
        legend = QLabel(" · ".join(f"{v.glyph} {v.label}" for v in Verdict) + "  —  "
                        + _("a fail of a policy or guidance rule is never counted as a legal breach"), self)
        legend.setWordWrap(True)
        layout.addWidget(legend)
        self.children_only.toggled.connect(self.reload)
        self.table.clicked.connect(self._on_clicked)
        self.recheck_button.clicked.connect(self.recheck)
        self.settings_button.clicked.connect(self.edit_rule_settings)
        self.settings_dialog = None
        context.notifier.records_changed.connect(self.data_changed)

    def base_filter(self) -> RecordQuery:
        return RecordQuery(Selection.all_searches(age=AgeBand.CHILD if self.children_only.isChecked() else AgeBand.ALL))

    def reload(self) -> None:
        engine, labels, record_filter = self._context.engine, self._context.labels, self.base_filter()
        self._counts_slot.submit(lambda progress, cancelled: (verdict_counts(engine, record_filter, labels),
                                                              latest_run(engine)))

    def is_loading(self) -> bool:
        return self._counts_slot.is_busy() or self._check_task is not None

    def wait_idle(self) -> None:
        self._counts_slot.wait()
        if self._check_task is not None:
            self._check_task.wait(60_000)

    def _show(self, payload) -> None:
        counts, run = payload
        if run is None:
            self.run_label.setText(_("No charter check has run on these records yet."))
            self.coverage_label.setText(_("Press <b>Re-check every record</b> to check them."))
            self.model.set_data(counts, {}, set())
            return
        rules = {rule["id"]: rule for rule in json.loads(run["ruleset_json"]).get("rules", [])}
        assessable = set(json.loads(run["assessable_rules"]))
        turned_off = [rule_id for rule_id in counts.index if not rules.get(rule_id, {}).get("enabled", True)]
        ran = [rule_id for rule_id in counts.index if rule_id not in turned_off]
        total = int(counts.loc[ran[0]].sum()) if ran else 0  # a rule turned off counts nothing
        self.run_label.setText(f"{run['ruleset_id']} {run['ruleset_version']} · " + _("checked") + " "
                               f"{run['started_at']:%Y-%m-%d %H:%M} " + _("by") + f" {run['run_by']} · {total:,} "
                               + (_("searches of children") if self.children_only.isChecked() else _("searches"))
                               + " · " + self._run_settings_text(run, list(rules.values())))
        not_assessable = [rule_id for rule_id in counts.index if rule_id not in assessable and rule_id not in turned_off]
        text = _("Rules the loaded data can assess: ") + "<b>" + (", ".join(sorted(assessable)) or _("none")) + "</b>"
        if not_assessable:
            text += ("<br>" + _("Not assessable on these data (the source does not carry the fields, e.g. "
                                "police.uk has no grounds, body-worn video or strip-search detail): ")
                     + ", ".join(not_assessable) + ". " + _("These are not passes: a police.uk-only load is never "
                                                          "evidence of compliance."))
        if turned_off:
            text += "<br>" + _("Turned off in this check's rule settings (no verdicts): ") + ", ".join(turned_off) + "."
        self.coverage_label.setText(text)
        self.model.set_data(counts, rules, assessable)

    def _run_settings_text(self, run: dict, rules: list[dict]) -> str:
        """How the run's rule set departs from the shipped charter, and whether the user's settings
        have changed since (by content hash: exact, whatever changed)."""
        between = run_departures(run["ruleset_id"], run["ruleset_version"], rules)
        if between is None:
            text = _("a rule set other than the app's (from a file)")
        else:
            text = (_("rule settings: ") + describe_settings(between)) if between else _("the charter's rule settings")
            try:
                explained = default_ruleset().with_settings(**between).content_hash == run["ruleset_hash"]
            except RuleSetError:
                explained = False
            if not explained:
                text += " " + _("and changes made in a rule-set file")
        try:
            current = self._context.ruleset().content_hash
        except RuleSetError:
            current = None
        if current != run["ruleset_hash"]:
            text += " — " + _("your rule settings differ from this check's: re-check to apply them")
        return text

    def _on_clicked(self, index: QModelIndex) -> None:
        key = index.data(VerdictKeyRole)
        if not key:
            return
        from stopsearch_app.store.checks import with_verdict

        self.show_records.emit(with_verdict(self._context.engine, self.base_filter(), index.data(RuleIdRole), key))

    def edit_rule_settings(self) -> None:
        from stopsearch_app.ui.rule_settings import RuleSettingsDialog

        if self.settings_dialog is not None:
            self.settings_dialog.deleteLater()
        dialog = RuleSettingsDialog(default_ruleset(), self._context.settings.rule_settings, self)
        dialog.accepted.connect(lambda: self._apply_rule_settings(dialog.settings()))
        self.settings_dialog = dialog
        dialog.open()

    def _apply_rule_settings(self, settings: dict) -> None:
        self._context.settings.rule_settings = settings
        try:
            self._context.save_settings()
        except OSError as error:
            self._context.notifier.status_message.emit(_("Could not save the settings: ") + str(error))
        self.recheck()

    def recheck(self) -> None:
        if self._check_task is not None:
            return
        try:
            ruleset = self._context.ruleset()
        except RuleSetError as error:
            QMessageBox.warning(self, _("Charter check"), _("Your rule settings cannot be used: ") + str(error)
                                + "\n" + _("Open Rule settings… and restore the charter's settings."))
            return
        engine, user = self._context.engine, self._context.user_name
        dialog = QProgressDialog(_("Checking every record against the charter…"), _("Cancel"), 0, 3, self)
        dialog.setWindowTitle(_("Charter check"))
        dialog.setMinimumDuration(0)
        task = BackgroundTask(lambda progress, cancelled: run_check(engine, ruleset, run_by=user, progress=progress,
                                                                    is_cancelled=cancelled), self)
        self._check_task = task
        self._set_check_buttons_enabled(False)  # settings saved mid-check would not reach this run
        task.progressed.connect(lambda done, total, message: (dialog.setLabelText(message), dialog.setValue(done)))
        dialog.canceled.connect(task.cancel)
        task.succeeded.connect(lambda summary: self._context.data_changed())
        task.failed.connect(lambda message: QMessageBox.warning(self, _("Charter check"), message))
        task.finished.connect(lambda: self._check_done(dialog))
        task.start()
        dialog.show()

    def _set_check_buttons_enabled(self, enabled: bool) -> None:
        for button in (self.settings_button, self.recheck_button):
            button.setEnabled(enabled)
            button.setToolTip("" if enabled else _("A charter check is running"))

    def _check_done(self, dialog: QProgressDialog) -> None:
        self._set_check_buttons_enabled(True)
        dialog.reset()
        dialog.deleteLater()
        if self._check_task is not None:
            self._check_task.deleteLater()
        self._check_task = None
