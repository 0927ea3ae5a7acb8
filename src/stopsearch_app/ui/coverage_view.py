"""The Coverage tab: a force x month grid of what the loaded data cover (shared/spec/statistics.md,
"Coverage"), colour plus text, with the flags explained and the selected force-month in detail."""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QHeaderView, QLabel, QSplitter, QTableView,
                               QVBoxLayout, QWidget)

from stopsearch_app.domain.coverage import (COVERAGE_FIELDS, FIELD_LABELS, FLAG_EXPLANATIONS, CoverageEntry,
                                            CoverageTable, Flag, months_between)
from stopsearch_app.i18n import _
from stopsearch_app.store import coverage
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.tasks import TaskSlot

# Colour-blind-safe fills (Okabe-Ito, lightened); every cell also says its state in words.
OK_FILL = QColor("#cfe8d8")
FLAGGED_FILL = QColor("#f8dca6")
MISSING_FILL = QColor("#e4e4e4")
SHORT_FLAG = {Flag.PARTIAL_MONTH: _("partial"), Flag.LOW_VOLUME: _("low volume"),
              Flag.CATEGORY_ABSENT: _("category absent"), Flag.CONSTANT_FALSE: _("always false")}
NOT_LOADED = _("not loaded")
Index = QModelIndex | QPersistentModelIndex


class CoverageGridModel(QAbstractTableModel):
    """Rows are forces, columns the months from the first to the last loaded; a thin adapter over
    a :class:`CoverageTable`."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._table = CoverageTable(())
        self._months: list[str] = []

    def set_table(self, table: CoverageTable, *, every_month: bool | None = None) -> None:
        """``every_month``: a column for each month of the span, or only for months some force has
        loaded (the default for spans over two years, where empty columns would fill the screen)."""
        self.beginResetModel()
        self._table = table
        months = sorted({entry.month for entry in table.entries})
        span = months_between(months[0], months[-1]) if months else []
        if every_month is None:
            every_month = len(span) <= 24
        self._months = span if every_month else months
        self.endResetModel()

    def table(self) -> CoverageTable:
        return self._table

    def entry_at(self, index: Index) -> CoverageEntry | None:
        if not index.isValid():
            return None
        return self._table.entry(self._table.forces[index.row()], self._months[index.column()])

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt name
        return 0 if parent.isValid() else len(self._table.forces)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: N802 - Qt name
        return 0 if parent.isValid() else len(self._months)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._months[section] if 0 <= section < len(self._months) else None
        forces = self._table.forces
        return forces[section] if 0 <= section < len(forces) else None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or role not in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.BackgroundRole,
                                               Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.TextAlignmentRole):
            return None
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        entry = self.entry_at(index)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(MISSING_FILL if entry is None else FLAGGED_FILL if entry.flags else OK_FILL)
        if role == Qt.ItemDataRole.DisplayRole:
            if entry is None:
                return NOT_LOADED
            text = f"{entry.counts.records:,}"
            if entry.flags:
                text += "\n⚠ " + ", ".join(SHORT_FLAG[flag] for flag in entry.flags)
            return text
        return describe_entry(entry) if entry is not None else _("No records loaded for this force and month.")


def describe_entry(entry: CoverageEntry) -> str:
    lines = [f"{entry.force} · {entry.month}: {entry.counts.records:,} " + _("records")]
    for name in COVERAGE_FIELDS:
        lines.append(f"  {FIELD_LABELS[name]}: {entry.counts.share(name) * 100:.0f}% " + _("recorded"))
    lines.extend("⚠ " + detail for detail in entry.flag_details)
    return "\n".join(lines)


class CoverageView(QWidget):
    """What is loaded, force by force and month by month; read on a worker thread."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._slot = TaskSlot(self)
        layout = QVBoxLayout(self)
        self.summary = QLabel(self)
        self.summary.setObjectName("coverage_summary")
        self.summary.setWordWrap(True)
        layout.addWidget(self.summary)
        self.every_month = QCheckBox(_("Show every month of the span, also months no force has loaded"), self)
        self.every_month.setObjectName("coverage_every_month")
        self.every_month.toggled.connect(lambda _checked: self._show(self.model.table()))
        layout.addWidget(self.every_month)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.model = CoverageGridModel(self)
        self.grid = QTableView(splitter)
        self.grid.setObjectName("coverage_grid")
        self.grid.setModel(self.model)
        self.grid.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.grid.setWordWrap(True)
        self.grid.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.grid.verticalHeader().setDefaultSectionSize(46)
        self.grid.horizontalHeader().setDefaultSectionSize(104)
        # The newest months are what a user looks for first: the grid opens scrolled to its right end,
        # and stays there as the view gets its real size (a hidden tab is laid out small), until the
        # user scrolls. Per pixel: per item, Qt may leave the last column alone at the left edge.
        self.grid.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self._follow_latest = False
        bar = self.grid.horizontalScrollBar()
        bar.rangeChanged.connect(lambda _low, high: bar.setValue(high) if self._follow_latest else None)
        bar.actionTriggered.connect(lambda _action: setattr(self, "_follow_latest", False))
        side = QWidget(splitter)
        side_layout = QVBoxLayout(side)
        self.detail = QLabel(_("Select a force-month to see which fields it records."), side)
        self.detail.setObjectName("coverage_detail")
        self.detail.setWordWrap(True)
        self.detail.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        side_layout.addWidget(self.detail)
        legend = QLabel(self._legend_html(), side)
        legend.setObjectName("coverage_legend")
        legend.setWordWrap(True)
        legend.setTextFormat(Qt.TextFormat.RichText)
        side_layout.addWidget(legend)
        side_layout.addStretch(1)
        splitter.addWidget(self.grid)
        splitter.addWidget(side)
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        self.grid.selectionModel().currentChanged.connect(lambda current, _old: self._show_detail(current))
        self._slot.succeeded.connect(self._show)
        self._slot.failed.connect(lambda message: self.summary.setText(_("Could not read the coverage: ") + message))
        context.notifier.records_changed.connect(self.reload)
        self.reload()

    @staticmethod
    def _legend_html() -> str:
        swatch = '<span style="background:{};">&nbsp;&nbsp;&nbsp;&nbsp;</span> {}'
        rows = [swatch.format(OK_FILL.name(), _("loaded, nothing flagged")),
                swatch.format(FLAGGED_FILL.name(), _("loaded, flagged (⚠): read the figure with care")),
                swatch.format(MISSING_FILL.name(), _("not loaded: never counted as zero searches"))]
        rows += [f"<b>{SHORT_FLAG[flag]}</b>: {text}" for flag, text in FLAG_EXPLANATIONS.items()]
        return "<p>" + "</p><p>".join(rows) + "</p>"

    def reload(self) -> None:
        engine = self._context.engine
        self._slot.submit(lambda progress, cancelled: coverage.load(engine))

    def is_loading(self) -> bool:
        return self._slot.is_busy()

    def wait_idle(self) -> None:
        self._slot.wait()

    def _show(self, table: CoverageTable) -> None:
        self.model.set_table(table, every_month=True if self.every_month.isChecked() else None)
        flagged = sum(1 for entry in table.entries if entry.flags)
        missing = {force: months for force in table.forces if (months := table.missing_months(force))}
        text = (f"{len(table.entries):,} " + _("force-months loaded for") + f" {len(table.forces)} "
                + _("force(s)") + f" · {flagged} " + _("flagged"))
        if missing:
            text += " · " + _("months not loaded between a force's first and last month: ") + "; ".join(
                f"{force} {len(months)}" for force, months in sorted(missing.items()))
        self.summary.setText(text)
        if table.entries:
            self._follow_latest = True
            bar = self.grid.horizontalScrollBar()
            bar.setValue(bar.maximum())

    def _show_detail(self, index: QModelIndex) -> None:
        entry = self.model.entry_at(index)
        if entry is None:
            self.detail.setText(_("No records loaded for this force and month: figures leave it out."))
        else:
            self.detail.setText(describe_entry(entry))
