"""Small read-only table models over lists (import reports, quarantine, record detail)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt


class ListTableModel(QAbstractTableModel):
    """Rows are any objects; each column is (heading, function row -> display value)."""

    def __init__(self, columns: Sequence[tuple[str, Callable[[object], object]]], rows: Sequence[object] = (),
                 parent=None, foreground: Callable[[object, int], object] | None = None,
                 tooltip: Callable[[object, int], object] | None = None,
                 background: Callable[[object, int], object] | None = None) -> None:
        super().__init__(parent)
        self._columns = list(columns)
        self._rows = list(rows)
        self._foreground = foreground
        self._tooltip = tooltip
        self._background = background

    def set_rows(self, rows: Sequence[object]) -> None:
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row_object(self, row: int) -> object:
        return self._rows[row]

    def rows(self) -> list[object]:
        return list(self._rows)

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._columns)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._columns[section][0] if 0 <= section < len(self._columns) else None
        return str(section + 1)

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            value = self._columns[index.column()][1](row)
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.ForegroundRole and self._foreground:
            return self._foreground(row, index.column())
        if role == Qt.ItemDataRole.ToolTipRole and self._tooltip:
            return self._tooltip(row, index.column())
        if role == Qt.ItemDataRole.BackgroundRole and self._background:
            return self._background(row, index.column())
        return None
