"""One chart with its table: the pyqtgraph drawing surface every chart module draws on (title, legend,
plot, status and note lines, all exported together), the table of its numbers with Copy, and PNG/SVG
export. Chart modules (one per chart, see :mod:`stopsearch_app.ui.charts`) only call its methods."""

from __future__ import annotations

import textwrap
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QCursor, QFont, QGuiApplication, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (QAbstractItemView, QFileDialog, QHBoxLayout, QHeaderView, QPushButton, QTableView,
                               QToolTip, QVBoxLayout, QWidget)

from stopsearch_app.domain.statistics import SUPPRESSED_TEXT, format_cell
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts.style import OKABE_ITO, TEXT_COLOUR
from stopsearch_app.ui.roles import ExportRole

SIZE_COLUMNS_FROM_ROWS = 16  # rows a chart table samples to size its columns: as many as it shows


@dataclass(frozen=True)
class Cell:
    text: str
    value: float | None = None


def number_cell(value: float | int | None, *, suppressed: bool = False, reason: str | None = None,
                decimals: int = 2, percent: bool = False) -> Cell:
    text = format_cell(value, suppressed=suppressed, reason=reason, decimals=decimals, percent=percent)
    shown = None if suppressed or value is None else float(value)
    return Cell(text, shown)


def figure_cell(value: float | int | None, hidden: str | None, *, reason: str | None = None, decimals: int = 2,
                percent: bool = False, count: bool = False) -> Cell:
    """A group's number, or what stands in its place: ``<10``, or (counts: "-"; figures: the reason)."""
    if hidden == SUPPRESSED_TEXT:
        return Cell(SUPPRESSED_TEXT)
    if hidden:
        return Cell("-" if count else hidden)
    return number_cell(value, reason=reason, decimals=0 if count else decimals, percent=percent)


# --- the table under each chart -------------------------------------------------------------------
class FigureTableModel(QAbstractTableModel):
    """The numbers behind one chart: display text per cell, the number under :data:`ExportRole`."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._headers: list[str] = []
        self._rows: list[list[Cell]] = []

    def set_table(self, headers: Sequence[str], rows: Sequence[Sequence[Cell | str]]) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        self._rows = [[cell if isinstance(cell, Cell) else Cell(str(cell)) for cell in row] for row in rows]
        for row in self._rows:
            row.extend(Cell("") for _ in range(len(self._headers) - len(row)))
        self.endResetModel()

    def headers(self) -> list[str]:
        return list(self._headers)

    def text(self, row: int, column: int) -> str:
        return self._rows[row][column].text

    def value(self, row: int, column: int) -> float | None:
        return self._rows[row][column].value

    def column(self, heading: str) -> int:
        return self._headers.index(heading)

    def find_row(self, *first_cells: str) -> int:
        """The row whose leading cells are ``first_cells`` (e.g. ``("10-17", "Black")``)."""
        for index, row in enumerate(self._rows):
            if tuple(cell.text for cell in row[:len(first_cells)]) == first_cells:
                return index
        raise KeyError(first_cells)

    def to_tsv(self) -> str:
        def clean(text: str) -> str:
            return text.replace("\t", " ").replace("\n", " ")

        lines = ["\t".join(clean(h) for h in self._headers)]
        lines.extend("\t".join(clean(cell.text) for cell in row) for row in self._rows)
        return "\n".join(lines) + "\n"

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole):
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        return self._headers[section] if 0 <= section < len(self._headers) else None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = Qt.ItemDataRole.DisplayRole):
        if not index.isValid() or not (0 <= index.row() < len(self._rows)):
            return None
        cell = self._rows[index.row()][index.column()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return cell.text
        if role == ExportRole:
            return cell.value
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() > 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None


# --- one chart with its table ---------------------------------------------------------------------
@dataclass(frozen=True)
class _Tip:
    x0: float
    x1: float
    y0: float
    y1: float
    text: str


class ChartPanel(QWidget):
    """A pyqtgraph chart (title, legend, plot, status and note lines, all exported together), the
    table of its numbers, and Copy / Export buttons. Items drawn are kept by name for tooltips and
    tests: ``bars[name]``, ``whiskers[name]``, ``points[name]``, ``lines[name]``, ``labels``."""

    def __init__(self, key: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.key = key
        self.setObjectName(f"chart_{key}")
        self._large = False
        self.graphics = pg.GraphicsLayoutWidget(self)
        self.graphics.setObjectName(f"chart_{key}_graphics")
        self.graphics.setBackground("w")
        self.graphics.setMinimumHeight(440)
        self.graphics.setMouseTracking(True)
        layout = self.graphics.ci
        layout.setContentsMargins(8, 8, 16, 8)
        self.title_item = layout.addLabel("", row=0, col=0, justify="left", color=TEXT_COLOUR)
        self.legend_item = layout.addLabel("", row=1, col=0, justify="left", color=TEXT_COLOUR)
        self.plot: pg.PlotItem = layout.addPlot(row=2, col=0)
        self.status_item = layout.addLabel("", row=3, col=0, justify="left", color=OKABE_ITO["vermillion"])
        self.note_item = layout.addLabel("", row=4, col=0, justify="left", color="#444444")
        self.plot.setMenuEnabled(False)
        self.plot.hideButtons()
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.showGrid(x=False, y=True, alpha=0.25)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setPen(pg.mkPen(TEXT_COLOUR))
            axis.setTextPen(pg.mkPen(TEXT_COLOUR))
            axis.enableAutoSIPrefix(False)  # else small log ratios get an "(x0.001)" on the axis label

        self.model = FigureTableModel(self)
        self.table = QTableView(self)
        self.table.setObjectName(f"chart_{key}_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.verticalHeader().setVisible(False)
        # Sized to the contents once per new table (set_table), not kept so: in ResizeToContents mode
        # every layout pass re-measured every cell (69,000 data() calls, 0.3 s of the UI thread, measured).
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setStretchLastSection(True)
        # Columns are sized from the rows on show, not all: the monthly table's ~1,300 cells took
        # 76 ms of the UI thread per filter change (3,000,000 records, measured).
        self.table.horizontalHeader().setResizeContentsPrecision(SIZE_COLUMNS_FROM_ROWS)

        self.copy_button = QPushButton(_("Copy table"), self)
        self.copy_button.setObjectName(f"chart_{key}_copy")
        self.copy_button.setToolTip(_("Copy the table as tab-separated text (pastes into a spreadsheet)"))
        self.png_button = QPushButton(_("Export PNG…"), self)
        self.png_button.setObjectName(f"chart_{key}_export_png")
        self.svg_button = QPushButton(_("Export SVG…"), self)
        self.svg_button.setObjectName(f"chart_{key}_export_svg")
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.copy_button, self.png_button, self.svg_button):
            buttons.addWidget(button)
        box = QVBoxLayout(self)
        box.setContentsMargins(0, 0, 0, 12)
        box.addWidget(self.graphics)
        box.addLayout(buttons)
        box.addWidget(self.table)
        self.copy_button.clicked.connect(self.copy_table)
        self.png_button.clicked.connect(lambda: self._ask_and_export("png"))
        self.svg_button.clicked.connect(lambda: self._ask_and_export("svg"))
        self.graphics.scene().sigMouseMoved.connect(self._on_mouse_moved)
        self.clear()

    # --- drawing ------------------------------------------------------------------------------------
    def clear(self) -> None:
        self.plot.clear()
        self.bars: dict[str, pg.BarGraphItem] = {}
        self.whiskers: dict[str, pg.ErrorBarItem] = {}
        self.points: dict[str, pg.ScatterPlotItem] = {}
        self.lines: dict[str, pg.PlotDataItem] = {}
        self.labels: list[pg.TextItem] = []
        self.tips: list[_Tip] = []
        self.graphics.setToolTip("")
        self.plain_title = ""
        self.message = ""
        for item in (self.title_item, self.legend_item, self.status_item, self.note_item):
            item.setText("")
        for name in ("left", "bottom"):
            self.plot.getAxis(name).setTicks(None)
            self.plot.showAxis(name)
        self.plot.showGrid(x=False, y=True, alpha=0.25)

    def show_message(self, title: str, message: str) -> None:
        """No figures: the chart area says why, plainly, in place of empty axes."""
        self.clear()
        self.message = message
        for name in ("left", "bottom"):
            self.plot.hideAxis(name)
        self.plot.showGrid(x=False, y=False)
        self.set_ranges((0.0, 1.0), (0.0, 1.0))
        self.set_texts(title=title)
        self.add_label(0.5, 0.5, message, anchor=(0.5, 0.5), colour=OKABE_ITO["vermillion"], width=560, bold=True)
        self.set_table([_("Figures")], [[message]])

    def font_sizes(self) -> tuple[int, int, int]:
        """(body, title, note) point sizes."""
        return (15, 19, 13) if self._large else (10, 12, 9)

    def set_large_type(self, large: bool) -> None:
        self._large = large
        body, _title, _note = self.font_sizes()
        font = QFont(self.font())
        font.setPointSize(body)
        self.graphics.setMinimumHeight(700 if large else 440)  # room for the plot under bigger text
        for widget in (self.table, self.copy_button, self.png_button, self.svg_button):
            widget.setFont(font)
        for name in ("left", "bottom"):
            axis = self.plot.getAxis(name)
            axis.setStyle(tickFont=font)
            axis.label.setFont(font)

    def set_texts(self, *, title: str, subtitle: str = "", legend: Sequence[tuple[str, str]] = (),
                  status: str = "", notes: Sequence[str] = ()) -> None:
        body, title_size, note_size = self.font_sizes()
        self.plain_title = " — ".join(part for part in (title, subtitle) if part)
        width = 92 if not self._large else 62  # characters per line at these sizes in a ~950 px chart
        head = "<br>".join(f"<b>{escape_html(line)}</b>" for line in textwrap.wrap(title, width + 3))
        if subtitle:
            head += f"<br><span style='font-size:{body + 1}pt'>" + "<br>".join(
                escape_html(line) for line in textwrap.wrap(subtitle, width + 22)) + "</span>"
        self.title_item.setText(head, size=f"{title_size}pt")
        self.legend_item.setText("&nbsp;&nbsp;".join(
            f"<span style='color:{colour}'>&#9632;</span>&nbsp;{escape_html(text)}" for text, colour in legend),
            size=f"{body}pt")
        status_lines = [line for part in status.split("\n") for line in textwrap.wrap(part, width + 8)]
        self.status_item.setText("<br>".join(escape_html(line) for line in status_lines), size=f"{body}pt", bold=True)
        lines = [line for note in notes for line in textwrap.wrap(note, width + 30)]
        self.note_item.setText("<br>".join(escape_html(line) for line in lines), size=f"{note_size}pt")

    def set_table(self, headers: Sequence[str], rows: Sequence[Sequence[Cell | str]]) -> None:
        """Fill the table and size it to show every row (at most 16) without scrolling."""
        self.model.set_table(headers, rows)
        self.table.resizeColumnsToContents()
        header = self.table.horizontalHeader().sizeHint().height()
        row_height = self.table.verticalHeader().defaultSectionSize()
        scrollbar = self.table.horizontalScrollBar().sizeHint().height()
        self.table.setFixedHeight(header + row_height * min(max(len(rows), 1), 16) + scrollbar + 4)

    def set_axes(self, *, left: str, bottom: str) -> None:
        body = self.font_sizes()[0]
        style = {"color": TEXT_COLOUR, "font-size": f"{body}pt"}
        self.plot.setLabel("left", left, **style)
        self.plot.setLabel("bottom", bottom, **style)

    def add_bar(self, name: str, x: float, height: float, width: float, colour: str, tip: str) -> pg.BarGraphItem:
        bar = pg.BarGraphItem(x=[x], height=[height], width=width, brush=pg.mkBrush(colour),
                              pen=pg.mkPen(QColor(colour).darker(130), width=1))
        self.plot.addItem(bar)
        self.bars[name] = bar
        self.tips.append(_Tip(x - width / 2, x + width / 2, 0, height, tip))
        return bar

    def add_whisker(self, name: str, x: float, y: float, low: float, high: float, *, horizontal: bool = False,
                    colour: str = TEXT_COLOUR, width: float = 1.6, beam: float = 0.12) -> pg.ErrorBarItem:
        pen = pg.mkPen(colour, width=width)
        def one(value: float) -> np.ndarray:  # ErrorBarItem does arithmetic on its arrays
            return np.array([value], dtype=float)

        if horizontal:
            item = pg.ErrorBarItem(x=one(x), y=one(y), left=one(x - low), right=one(high - x), beam=beam, pen=pen)
        else:
            item = pg.ErrorBarItem(x=one(x), y=one(y), bottom=one(y - low), top=one(high - y), beam=beam, pen=pen)
        self.plot.addItem(item)
        self.whiskers[name] = item
        return item

    def add_point(self, name: str, x: float, y: float, colour: str, symbol: str = "s", size: float = 11) -> None:
        item = pg.ScatterPlotItem(x=[x], y=[y], symbol=symbol, size=size, brush=pg.mkBrush(colour),
                                  pen=pg.mkPen(TEXT_COLOUR, width=1))
        self.plot.addItem(item)
        self.points[name] = item

    def add_label(self, x: float, y: float, text: str, *, anchor=(0.5, 1.0), colour: str = TEXT_COLOUR,
                  width: float | None = None, bold: bool = False) -> pg.TextItem:
        item = pg.TextItem(anchor=anchor, color=colour)
        font = QFont(self.font())
        font.setPointSize(self.font_sizes()[2] + (1 if bold else 0))
        font.setBold(bold)
        item.setFont(font)
        item.setText(text)
        if width:
            item.setTextWidth(width)
        item.setPos(x, y)
        self.plot.addItem(item)
        self.labels.append(item)
        return item

    def add_tip(self, x0: float, x1: float, y0: float, y1: float, text: str) -> None:
        self.tips.append(_Tip(x0, x1, y0, y1, text))

    def set_category_ticks(self, axis: str, ticks: Sequence[tuple[float, str]]) -> None:
        self.plot.getAxis(axis).setTicks([list(ticks), []])

    def set_ranges(self, x: tuple[float, float], y: tuple[float, float]) -> None:
        self.plot.disableAutoRange()
        self.plot.setXRange(*x, padding=0)
        self.plot.setYRange(*y, padding=0)

    def label_texts(self) -> list[str]:
        return [item.toPlainText() for item in self.labels]

    # --- tooltips -----------------------------------------------------------------------------------
    def tooltip_at(self, x: float, y: float) -> str | None:
        """The tooltip for a point in data coordinates (bars first, then wider areas)."""
        for tip in self.tips:
            if tip.x0 <= x <= tip.x1 and min(tip.y0, tip.y1) <= y <= max(tip.y0, tip.y1):
                return tip.text
        return None

    def _on_mouse_moved(self, position: QPointF) -> None:
        if not self.plot.sceneBoundingRect().contains(position):
            return
        point = self.plot.vb.mapSceneToView(position)
        text = self.tooltip_at(point.x(), point.y())
        if text != self.graphics.toolTip():
            self.graphics.setToolTip(text or "")
            if text:
                QToolTip.showText(QCursor.pos(), text, self.graphics)
            else:
                QToolTip.hideText()

    # --- output -------------------------------------------------------------------------------------
    def copy_table(self) -> str:
        text = self.model.to_tsv()
        QGuiApplication.clipboard().setText(text)
        return text

    def export(self, path: str | Path) -> Path:
        """Write the chart with its title, legend and notes as PNG or SVG (by the file's suffix)."""
        path = Path(path)
        suffix = path.suffix.lower()
        if suffix not in (".png", ".svg"):
            raise ValueError(f"export as .png or .svg, not {path.suffix or 'no suffix'}")
        if suffix == ".png":
            exporter = ImageExporter(self.graphics.ci)
            exporter.parameters()["width"] = int(max(1600, self.graphics.width() * 2))
            exporter.parameters()["antialias"] = True
            exporter.export(str(path))
            return path
        try:
            SVGExporter(self.graphics.ci).export(str(path))
        except ValueError:
            # pyqtgraph 0.14.0's SVGExporter cannot parse the closed path ("... Z") Qt 6 writes for
            # every ViewBox's clip (pyqtgraph/pyqtgraph#3495, fixed after 0.14.0): draw the same
            # layout with Qt's own SVG generator instead.
            self._render_svg(path)
        return path

    def _render_svg(self, path: Path) -> None:
        layout = self.graphics.ci
        source = layout.sceneBoundingRect()
        generator = QSvgGenerator()
        generator.setFileName(str(path))
        generator.setSize(source.size().toSize())
        generator.setViewBox(QRectF(0, 0, source.width(), source.height()))
        generator.setTitle(self.plain_title)
        painter = QPainter(generator)
        try:
            painter.fillRect(QRectF(0, 0, source.width(), source.height()), QColor("white"))
            self.graphics.scene().render(painter, QRectF(0, 0, source.width(), source.height()), source)
        finally:
            painter.end()

    def _ask_and_export(self, kind: str) -> None:
        caption = _("Export chart as PNG") if kind == "png" else _("Export chart as SVG")
        path, _filter = QFileDialog.getSaveFileName(self, caption, f"disparity-{self.key}.{kind}",
                                                    f"{kind.upper()} (*.{kind})")
        if path:
            if not path.lower().endswith(f".{kind}"):
                path += f".{kind}"
            self.export(path)


def escape_html(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
