"""The record table's model: a thin adapter over an ordered array of record ids and pages of rows
fetched by id from the database (Spyder's paging, Orange's role filtering).

Opening a million records costs one id query (done off the UI thread by the caller); scrolling
costs one small query per page of rows actually shown.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor

from stopsearch_app.domain.labels import label
from stopsearch_app.i18n import _
from stopsearch_app.store.checks import findings_text
from stopsearch_app.store.queries import CODED_FIELD_OF_COLUMN, TABLE_COLUMNS, fetch_rows, format_timestamp
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.paged_model import PagedIdModel
from stopsearch_app.ui.roles import SearchIdRole

NOT_RECORDED = _("not recorded")
_SERVED_ROLES = (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.ForegroundRole,
                 SearchIdRole)
_GREY = QBrush(QColor("#6b6b6b"))


class RecordsTableModel(PagedIdModel):
    sort_requested = Signal(str, bool)  # column key, descending

    def __init__(self, context: AppContext, parent=None) -> None:
        super().__init__(parent)
        self._context = context

    def fetch_page(self, ids: np.ndarray) -> dict[int, tuple]:
        return fetch_rows(self._context.engine, ids)

    def record_id(self, row: int) -> int:
        return self.id_at(row)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(TABLE_COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return _(TABLE_COLUMNS[section].heading) if 0 <= section < len(TABLE_COLUMNS) else None
        return str(section + 1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if role not in _SERVED_ROLES or not index.isValid():
            return None  # Orange #5073: answering every role costs paint time on big tables
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._ids) and 0 <= column < len(TABLE_COLUMNS)):
            return None
        if role == SearchIdRole:
            return int(self._ids[row])
        values = self.row(row)
        if values is None:
            return None
        value = values[column]
        if role == Qt.ItemDataRole.ForegroundRole:
            return _GREY if value is None else None
        if role == Qt.ItemDataRole.ToolTipRole and TABLE_COLUMNS[column].column == "verdicts":
            return _("✗ fail, ? needs review; sort this column to put the most urgent first")
        text = self._format(TABLE_COLUMNS[column].column, value)
        if role == Qt.ItemDataRole.ToolTipRole:
            return NOT_RECORDED if value is None else text
        return text

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        if 0 <= column < len(TABLE_COLUMNS):
            self.sort_requested.emit(TABLE_COLUMNS[column].key, order == Qt.SortOrder.DescendingOrder)

    # --- helpers ---
    def _format(self, column: str, value: object) -> str:
        if column == "verdicts":
            if value is None:
                return _("not checked")
            run_id, packed = value
            order = self._context.rule_orders.get(run_id)
            return findings_text(order, packed) if order else _("not checked")
        if value is None:
            return NOT_RECORDED
        if column == "occurred_at":
            return format_timestamp(int(value))
        if column in CODED_FIELD_OF_COLUMN:
            return label(CODED_FIELD_OF_COLUMN[column], self._context.labels.by_id.get(int(value), "?"))
        if isinstance(value, bool) or column in ("outcome_linked", "removal_more_than_outer"):
            return _("Yes") if value else _("No")
        return str(value)
