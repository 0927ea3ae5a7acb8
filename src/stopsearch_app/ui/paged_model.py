"""The base of our big tables: a QAbstractTableModel over an ordered array of record ids whose rows
are fetched from the database a page at a time and kept in a small LRU cache (Spyder's paging).
Opening a million records costs the id query only; scrolling costs one query per page shown."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex


class PagedIdModel(QAbstractTableModel):
    PAGE_ROWS = 256
    MAX_CACHED_PAGES = 64

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._ids = np.empty(0, dtype=np.int64)
        self._pages: OrderedDict[int, dict[int, object]] = OrderedDict()

    def fetch_page(self, ids: np.ndarray) -> dict[int, object]:
        """Rows for these ids, keyed by id (subclasses query the database)."""
        raise NotImplementedError

    def set_ids(self, ids: np.ndarray) -> None:
        self.beginResetModel()
        self._ids = np.asarray(ids, dtype=np.int64)
        self._pages.clear()
        self.endResetModel()

    def refresh_rows(self) -> None:
        """Forget cached rows (after an edit) without changing which records are listed, or their order."""
        self._pages.clear()
        if len(self._ids):
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._ids) - 1, self.columnCount() - 1))

    def ids(self) -> np.ndarray:
        return self._ids

    def id_at(self, row: int) -> int:
        return int(self._ids[row])

    def row_of(self, record: int) -> int:
        hits = np.flatnonzero(self._ids == record)
        return int(hits[0]) if len(hits) else -1

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._ids)

    def row(self, row: int) -> object | None:
        """The fetched row at a position (fetching its page when it is not cached)."""
        page = row // self.PAGE_ROWS
        rows = self._pages.get(page)
        if rows is None:
            rows = self.fetch_page(self._ids[page * self.PAGE_ROWS:(page + 1) * self.PAGE_ROWS])
            self._pages[page] = rows
            while len(self._pages) > self.MAX_CACHED_PAGES:
                self._pages.popitem(last=False)
        else:
            self._pages.move_to_end(page)
        return rows.get(int(self._ids[row]))
