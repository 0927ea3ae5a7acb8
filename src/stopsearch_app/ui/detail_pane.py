"""The record detail pane: every field of the selected record, blank shown as 'not recorded',
and fields the source does not carry at all shown as 'not in this source'."""

from __future__ import annotations

from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QTableView, QVBoxLayout, QWidget

from stopsearch_app.domain.records import FIELDS
from stopsearch_app.i18n import _
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
        layout.addWidget(self.table)
        self.record_id: int | None = None

    def show_record(self, record_id: int | None) -> None:
        self.record_id = record_id
        if record_id is None:
            self.title.setText(_("Select a record to see every field."))
            self.model.set_rows([])
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

