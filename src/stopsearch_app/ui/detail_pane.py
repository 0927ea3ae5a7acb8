"""The record detail pane: every field of the selected record, blank shown as 'not recorded',
and fields the source does not carry at all shown as 'not in this source'."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from stopsearch_app.domain.records import FIELDS
from stopsearch_app.i18n import _
from stopsearch_app.domain.charter.verdicts import Verdict
from stopsearch_app.store.checks import record_verdicts
from stopsearch_app.store.queries import record_detail
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.simple_models import ListTableModel

NOT_CARRIED = _("not in this source")
NOT_RECORDED = _("not recorded")
DERIVED_LABELS = {"record_id": _("Record id"), "month": _("Month (London)"), "power": _("Power"),
                  "outcome_code": _("Outcome (canonical)"), "sde_group": _("Self-defined group"),
                  "child_status": _("Child status"), "child_band": _("Child age band"),
                  "source_file": _("Imported from"), "source_format": _("Source format")}
_GREY = QBrush(QColor("#6b6b6b"))


def _display(value: object) -> str:
    if value is None:
        return NOT_RECORDED
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)


class DetailPane(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detail_pane")
        self._context = context
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel(_("Select a record to see every field."), self)
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        self.model = ListTableModel(
            [(_("Field"), lambda r: r[0]), (_("Value"), lambda r: r[1])], [], self,
            foreground=lambda r, c: _GREY if r[1] in (NOT_RECORDED, NOT_CARRIED) else None,
            tooltip=lambda r, c: r[1])
        self.table = QTableView(self)
        self.table.setObjectName("detail_table")
        self.table.setModel(self.model)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setWordWrap(True)
        layout.addWidget(self.table, 3)
        self.verdict_title = QLabel(_("Charter checks"), self)
        layout.addWidget(self.verdict_title)
        self.verdict_model = ListTableModel(
            [(_("Rule"), lambda v: v.rule_id),
             (_("Verdict"), lambda v: f"{v.verdict.glyph} {v.verdict.label}" if v.verdict else _("not run")),
             (_("Reason"), lambda v: v.reason),
             (_("Basis"), lambda v: v.basis),
             (_("Source"), lambda v: v.citation)], [], self,
            foreground=lambda v, c: QBrush(QColor(v.verdict.text_colour)) if v.verdict and c == 1 else None,
            tooltip=lambda v, c: f"{v.rule_id} {v.title}\n{v.reason}\n{v.basis}: {v.citation}",
            background=lambda v, c: QBrush(QColor(v.verdict.colour)) if v.verdict and c == 1 else None)
        self.verdict_table = QTableView(self)
        self.verdict_table.setObjectName("verdict_table")
        self.verdict_table.setModel(self.verdict_model)
        self.verdict_table.verticalHeader().hide()
        self.verdict_table.setColumnWidth(0, 40)
        self.verdict_table.setColumnWidth(1, 120)
        self.verdict_table.setColumnWidth(2, 330)
        self.verdict_table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(self.verdict_table, 4)
        self.record_id: int | None = None

    def show_record(self, record_id: int | None) -> None:
        self.record_id = record_id
        if record_id is None:
            self.title.setText(_("Select a record to see every field."))
            self.model.set_rows([])
            self.verdict_model.set_rows([])
            return
        detail = record_detail(self._context.engine, record_id, self._context.labels)
        carried = set(detail.get("mapped_fields") or ())
        self.title.setText(f"<b>{detail['record_id']}</b><br>{detail['occurred_at']} · {detail.get('force') or ''}")
        rows: list[tuple[str, str]] = []
        for name in ("record_id", "child_status", "child_band", "month", "power", "outcome_code", "sde_group"):
            rows.append((DERIVED_LABELS[name], _display(detail.get(name))))
        for field in FIELDS:
            if field.name not in detail and field.name not in carried:
                rows.append((_(field.label), NOT_CARRIED))
                continue
            value = detail.get(field.name)
            if value is None and field.name not in carried:
                rows.append((_(field.label), NOT_CARRIED))
            else:
                rows.append((_(field.label), _display(value)))
        rows.append((DERIVED_LABELS["source_file"], _display(detail.get("source_file"))))
        rows.append((DERIVED_LABELS["source_format"], _display(detail.get("source_format"))))
        self.model.set_rows(rows)
        self.table.resizeRowsToContents()  # a few dozen rows: cheap here, unlike the record table
        verdicts = record_verdicts(self._context.engine, record_id)
        # findings first (fail, review), then the rest in rule order
        order = {Verdict.FAIL: 0, Verdict.REVIEW: 1, Verdict.NOT_RECORDED: 2}
        verdicts.sort(key=lambda v: order.get(v.verdict, 3))
        self.verdict_model.set_rows(verdicts)
        failing = sum(1 for v in verdicts if v.verdict in (Verdict.FAIL, Verdict.REVIEW))
        self.verdict_title.setText(_("Charter checks: not checked yet") if not verdicts else
                                   _("Charter checks") + f": {failing} " + _("to review or failed"))

