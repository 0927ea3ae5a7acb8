"""The Disparity tab: disproportionality by age and ethnicity, charted for scrutiny panels.

Filters (ethnicity source, age band, area or borough, months, measure) feed
:func:`stopsearch_app.disparity.compute_dashboard`, run off the UI thread; five charts show the result:

a. the chosen measure by ethnic group (rate per 1,000 with exact Poisson 95% whiskers, or a
   proportion with Wilson whiskers);
b. the ratio vs White as a forest plot on a log scale, with the unknown-ethnicity range drawn apart
   from the sampling interval;
c. rates per 1,000 by age band and ethnic group;
d. searches of children per month by group (a month with nothing loaded is a gap, not zero);
e. find rate and "more than outer clothing removed" for children, with the not-recorded rule.

Every chart has a title (measure, period, area, ethnicity source, denominator), labelled axes, the
Okabe-Ito palette, hover tooltips with counts and populations, a note line (suppressed cells,
unknown ethnicity, "searches are events, not people"), PNG/SVG export of the chart with its titles,
and a table of the same numbers with a Copy button (tab-separated). Counts under 10 are shown as
``<10`` and not drawn: this is a panel view (statistics.md). A number that cannot be computed shows
its reason, never NaN.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from pyqtgraph.exporters import ImageExporter, SVGExporter
from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, QPointF, QRectF, Qt, Signal
from PySide6.QtGui import QColor, QCursor, QFont, QGuiApplication, QPainter
from PySide6.QtSvg import QSvgGenerator
from PySide6.QtWidgets import (QAbstractItemView, QApplication, QCheckBox, QComboBox, QFileDialog, QHBoxLayout,
                               QHeaderView, QLabel, QLayout, QPushButton, QScrollArea, QSizePolicy, QTableView,
                               QToolTip, QVBoxLayout, QWidget)

from stopsearch_app.disparity import NOT_AN_OFFICER_CATEGORY, compute_dashboard, describe, measure_label
from stopsearch_app.domain.denominators import AGE_BAND_LABELS, LONDON, shipped_denominator_table
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.domain.statistics import (EVENTS_NOT_PEOPLE, REFERENCE_GROUP, SUPPRESSED_TEXT,
                                              SUPPRESSION_THRESHOLD, format_cell)
from stopsearch_app.i18n import _
from stopsearch_app.store.aggregates import BAND_CHART_ORDER, UNKNOWN
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.tasks import TaskSlot

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common colour-vision
# deficiency. Yellow is left out (unreadable on white); unknown ethnicity is a neutral grey.
OKABE_ITO = {"orange": "#E69F00", "sky_blue": "#56B4E9", "bluish_green": "#009E73", "yellow": "#F0E442",
             "blue": "#0072B2", "vermillion": "#D55E00", "reddish_purple": "#CC79A7", "black": "#000000"}
GROUP_COLOURS = {"White": OKABE_ITO["blue"], "Black": OKABE_ITO["vermillion"], "Asian": OKABE_ITO["bluish_green"],
                 "Mixed": OKABE_ITO["reddish_purple"], "Other": OKABE_ITO["orange"], UNKNOWN: "#8C8C8C"}
SENSITIVITY_COLOUR = "#8C8C8C"
TEXT_COLOUR = "#1A1A1A"
ExportRole = Qt.ItemDataRole.UserRole + 1  # a cell's number (None when there is none)
CHART_KEYS = ("rates", "ratios", "age_bands", "monthly", "outcomes")
BAR_WIDTH = 0.6


@dataclass(frozen=True)
class Cell:
    text: str
    value: float | None = None


def _cell(value: float | int | None, *, suppressed: bool = False, reason: str | None = None, decimals: int = 2,
          percent: bool = False) -> Cell:
    text = format_cell(value, suppressed=suppressed, reason=reason, decimals=decimals, percent=percent)
    shown = None if suppressed or value is None else float(value)
    return Cell(text, shown)


def _figure(value: float | int | None, hidden: str | None, *, reason: str | None = None, decimals: int = 2,
            percent: bool = False, count: bool = False) -> Cell:
    """A group's number, or what stands in its place: ``<10``, or (counts: "-"; figures: the reason)."""
    if hidden == SUPPRESSED_TEXT:
        return Cell(SUPPRESSED_TEXT)
    if hidden:
        return Cell("-" if count else hidden)
    return _cell(value, reason=reason, decimals=0 if count else decimals, percent=percent)


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
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)  # a few rows
        self.table.horizontalHeader().setStretchLastSection(True)

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
        head = "<br>".join(f"<b>{_escape(line)}</b>" for line in textwrap.wrap(title, width + 3))
        if subtitle:
            head += f"<br><span style='font-size:{body + 1}pt'>" + "<br>".join(
                _escape(line) for line in textwrap.wrap(subtitle, width + 22)) + "</span>"
        self.title_item.setText(head, size=f"{title_size}pt")
        self.legend_item.setText("&nbsp;&nbsp;".join(
            f"<span style='color:{colour}'>&#9632;</span>&nbsp;{_escape(text)}" for text, colour in legend),
            size=f"{body}pt")
        status_lines = [line for part in status.split("\n") for line in textwrap.wrap(part, width + 8)]
        self.status_item.setText("<br>".join(_escape(line) for line in status_lines), size=f"{body}pt", bold=True)
        lines = [line for note in notes for line in textwrap.wrap(note, width + 30)]
        self.note_item.setText("<br>".join(_escape(line) for line in lines), size=f"{note_size}pt")

    def set_table(self, headers: Sequence[str], rows: Sequence[Sequence[Cell | str]]) -> None:
        """Fill the table and size it to show every row (at most 16) without scrolling."""
        self.model.set_table(headers, rows)
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


# --- the tab --------------------------------------------------------------------------------------
class DisparityView(QWidget):
    """The Disparity tab. Recomputes off the UI thread when a filter changes, when records change
    (if shown; otherwise on the next show), and on :meth:`refresh`."""

    computed = Signal(object)  # the dashboard dict, or {"unavailable": reason}

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, large_type: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("disparity_view")
        self._context = context
        self._slot = TaskSlot(self)
        self._slot.succeeded.connect(self._on_result)
        self._slot.failed.connect(self._on_failed)
        self._last_request: dict[str, object] = {}
        self._stale = True
        self._large = large_type
        self._updating = False
        self.result: dict | None = None

        self.ethnicity = self._combo("disparity_ethnicity", _("Ethnicity"),
                                     [(_("Self-defined"), "self"), (_("Officer-defined"), "officer")])
        self.age = self._combo("disparity_age", _("Age"), [(_(label), band) for band, label in AGE_BAND_LABELS.items()])
        self.age.setCurrentIndex(self.age.findData("10-17"))
        # Boroughs join the list after the first computation has loaded the Census table (0.8 s)
        # on the worker thread: the window opens without waiting for it.
        self.area = self._combo("disparity_area", _("Area"), [(_("London (Met and City of London police)"), LONDON)])
        self.month_from = self._combo("disparity_from", _("From"), [(_("first loaded"), None)])
        self.month_to = self._combo("disparity_to", _("To"), [(_("last loaded"), None)])
        self.measure = self._combo("disparity_measure", _("Measure"), [
            (_("Searches per 1,000 residents"), "rate"), (_("Find rate"), "find-rate"),
            (_("More than outer clothing removed"), "removal-rate")])
        self.annualised = QCheckBox(_("Annualised"), self)
        self.annualised.setObjectName("disparity_annualised")
        self.annualised.setToolTip(_("Rate per 1,000 per year: x 12 / months of data, labelled as such"))
        self.status = QLabel(self)
        self.status.setObjectName("disparity_status")
        self.status.setWordWrap(True)
        self.status.setTextFormat(Qt.TextFormat.PlainText)
        self.status.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.status.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

        filters = QVBoxLayout()
        filters.setContentsMargins(6, 4, 6, 4)
        rows = (((_("Ethnicity"), self.ethnicity), (_("Age"), self.age), (_("Area"), self.area)),
                ((_("From"), self.month_from), (_("To"), self.month_to), (_("Measure"), self.measure)))
        for row_widgets in rows:
            row = QHBoxLayout()
            for caption, widget in row_widgets:
                label = QLabel(caption + ":", self)
                label.setBuddy(widget)
                row.addWidget(label)
                row.addWidget(widget)
            if row_widgets is rows[-1]:
                row.addWidget(self.annualised)
            row.addStretch(1)
            filters.addLayout(row)

        self.panels = {key: ChartPanel(key, self) for key in CHART_KEYS}
        charts = QWidget(self)
        charts.setObjectName("disparity_charts")
        column = QVBoxLayout(charts)
        for panel in self.panels.values():
            column.addWidget(panel)
        self.scroll = QScrollArea(self)
        self.scroll.setObjectName("disparity_scroll")
        self.scroll.setWidgetResizable(True)
        self.scroll.setWidget(charts)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        # No constraint: as a top-level window (tests, screenshots) a layout would push each change of
        # its minimum size to the window, which the offscreen platform answers with a Qt warning.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        layout.addLayout(filters)
        layout.addWidget(self.status)
        layout.addWidget(self.scroll, 1)

        for combo in (self.ethnicity, self.age, self.area, self.month_from, self.month_to, self.measure):
            combo.currentIndexChanged.connect(self._on_filter_changed)
        self.annualised.toggled.connect(self._redraw)
        context.notifier.records_changed.connect(self._on_records_changed)
        application = QApplication.instance()
        if application is not None:
            application.aboutToQuit.connect(self.shutdown)
        self.set_large_type(large_type)

    def _combo(self, name: str, tip: str, items: Sequence[tuple[str, object]]) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        combo.setToolTip(tip)
        # A width fixed by the longest first choice: refilling the month lists must not change the
        # window's minimum size (the offscreen platform warns on every such change).
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(max([12, *(len(text) for text, _data in items)]))
        for text, data in items:
            combo.addItem(text, data)
        return combo

    # --- state ----------------------------------------------------------------------------------------
    def request(self) -> dict[str, object]:
        return {"ethnicity": self.ethnicity.currentData(), "age": self.age.currentData(),
                "area": self.area.currentData(), "month_from": self.month_from.currentData(),
                "month_to": self.month_to.currentData(), "measure": self.measure.currentData()}

    def set_filters(self, **values: object) -> None:
        """Set several filters at once (one recomputation): ethnicity, age, area, month_from, month_to, measure."""
        combos = {"ethnicity": self.ethnicity, "age": self.age, "area": self.area, "month_from": self.month_from,
                  "month_to": self.month_to, "measure": self.measure}
        self._updating = True
        try:
            for name, value in values.items():
                combo = combos[name]
                index = combo.findData(value)
                if index < 0 and name in ("month_from", "month_to") and value is not None:
                    combo.addItem(str(value), value)
                    index = combo.count() - 1
                if index < 0:
                    raise ValueError(f"{name}: no choice {value!r}")
                combo.setCurrentIndex(index)
        finally:
            self._updating = False
        self._on_filter_changed()

    def is_busy(self) -> bool:
        return self._slot.is_busy()

    def set_large_type(self, large: bool) -> None:
        """Bigger type everywhere (for a panel meeting on a projector)."""
        self._large = large
        font = QFont(self.font())
        font.setPointSize(15 if large else 10)
        for widget in (self.ethnicity, self.age, self.area, self.month_from, self.month_to, self.measure,
                       self.annualised, self.status):
            widget.setFont(font)
        self.status.setFixedHeight(self.status.fontMetrics().lineSpacing() * 3 + 6)  # up to three lines
        for panel in self.panels.values():
            panel.set_large_type(large)
        self._redraw()

    # --- recomputing off the UI thread ----------------------------------------------------------------
    def showEvent(self, event) -> None:  # noqa: N802 - Qt name
        super().showEvent(event)
        if self._stale:
            self.refresh()

    def _on_records_changed(self) -> None:
        if self.isVisible():
            self.refresh()
        else:
            self._stale = True

    def _on_filter_changed(self, *_args) -> None:
        if not self._updating:
            self.refresh()

    def refresh(self) -> None:
        """Recompute every chart on a worker thread (coalescing requests made meanwhile)."""
        self._stale = False
        engine, labels, request = self._context.engine, self._context.labels, self.request()
        self.status.setText(_("Computing…"))
        self._slot.submit(lambda _progress, _cancelled: compute_dashboard(engine, labels, **request))
        self._last_request = request

    def _on_failed(self, message: str) -> None:
        self._on_result({"unavailable": _("Could not compute: ") + message, "request": self._last_request})

    def shutdown(self) -> None:
        """Wait for a computation in flight (call before the window closes)."""
        self._slot.cancel()
        self._slot.wait(30_000)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.shutdown()
        super().closeEvent(event)

    def _on_result(self, result: dict) -> None:
        self.result = result
        if self.area.count() == 1:
            self._fill_areas()
        self._fill_months(result.get("available_months") or [])
        self._redraw()
        self.computed.emit(result)

    def _fill_areas(self) -> None:
        self._updating = True
        try:
            for name in shipped_denominator_table().area_names()[1:]:  # cached by the computation
                self.area.addItem(name, name)
        finally:
            self._updating = False

    def _fill_months(self, months: Sequence[str]) -> None:
        if not months:
            return
        self._updating = True
        try:
            for combo, first in ((self.month_from, _("first loaded")), (self.month_to, _("last loaded"))):
                current = combo.currentData()
                combo.clear()
                combo.addItem(first, None)
                for month in months:
                    combo.addItem(month, month)
                index = combo.findData(current)
                if index < 0 and current is not None:
                    combo.addItem(str(current), current)
                    index = combo.count() - 1
                combo.setCurrentIndex(max(index, 0))
        finally:
            self._updating = False

    # --- drawing --------------------------------------------------------------------------------------
    def _redraw(self, *_args) -> None:
        result = self.result
        self.annualised.setEnabled(self.measure.currentData() == "rate")
        if result is None:
            return
        for panel in self.panels.values():
            panel.clear()
        if "unavailable" in result:
            self.status.setText(result["unavailable"])
            for key, panel in self.panels.items():
                panel.show_message(_CHART_TITLES[key], result["unavailable"])
            return
        headline = result["headline"]
        annualised = self.annualised.isChecked() and headline["measure"] == "rate"
        self.status.setText(_summary(headline))
        _draw_headline(self.panels["rates"], headline, annualised)
        _draw_forest(self.panels["ratios"], headline)
        _draw_by_age(self.panels["age_bands"], result["by_age"], headline)
        _draw_monthly(self.panels["monthly"], result["monthly_children"])
        _draw_outcomes(self.panels["outcomes"], result["children_outcomes"])


_CHART_TITLES = {
    "rates": _("(a) By ethnic group"),
    "ratios": _("(b) Ratio vs White"),
    "age_bands": _("(c) Rate per 1,000 by age band and ethnic group"),
    "monthly": _("(d) Searches of children per month"),
    "outcomes": _("(e) Outcomes of searches of children"),
}


# --- the five charts --------------------------------------------------------------------------------
def _draw_headline(panel: ChartPanel, result: Mapping, annualised: bool) -> None:
    if result["measure"] == "rate":
        _draw_rates(panel, result, annualised)
    else:
        _draw_proportions(panel, result, "(a)")


def _draw_rates(panel: ChartPanel, result: Mapping, annualised: bool) -> None:
    months = result["period"]["months"]
    scale = 12 / months if annualised else 1.0
    rate_key = "rate_per_1000_annualised" if annualised else "rate_per_1000"
    age, denominator = result["age_label"], result["denominator"]["label"]
    rows, tops, suppressed = [], [0.0], []
    for x, group in enumerate(result["groups"]):
        name = group["group"]
        value, low, high = group[rate_key], group.get("rate_ci_low"), group.get("rate_ci_high")
        hidden, reason = _hidden(group)
        population = group["population"]
        if hidden or value is None:
            text = SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else (hidden or group["reason"] or _("n/a"))
            panel.add_label(x, 0, text, width=130 if len(text) > 12 else None)
            panel.add_tip(x - 0.4, x + 0.4, 0, 1e9, f"{name}: {_tip_count(group)}; "
                          f"{_fmt_int(population)} residents aged {age} ({denominator}); {text}")
            if hidden == SUPPRESSED_TEXT:
                suppressed.append(name)
        else:
            tip = (f"{name}: {group['searches']:,} searches / {population:,} residents aged {age} "
                   f"({denominator})\n= {value:.2f} per 1,000" + (" per year (annualised)" if annualised else "")
                   + (f", 95% interval {low * scale:.2f}–{high * scale:.2f}" if low is not None else ""))
            panel.add_bar(name, x, value, BAR_WIDTH, GROUP_COLOURS[name], tip)
            if low is not None and high is not None:
                panel.add_whisker(name, x, value, low * scale, high * scale)
                tops.append(high * scale)
            tops.append(value)
        rows.append([name, _figure(group["searches"], hidden, count=True), _cell(population, decimals=0),
                     _figure(group["rate_per_1000"], hidden, reason=group["reason"]),
                     _interval_cell(group.get("rate_ci_low"), group.get("rate_ci_high"), hidden),
                     _figure(group["rate_per_1000_annualised"], hidden, reason=group["reason"]),
                     _figure(group["vehicle_only_excluded"], hidden, count=True),
                     _reason_text(group, hidden)])
    rows.append([UNKNOWN, _cell(result["unknown_ethnicity"], suppressed=result["unknown_ethnicity"]
                                < SUPPRESSION_THRESHOLD, decimals=0), "-", _("no population: not rated"), "-", "-",
                 "-", _share_text(result)])
    panel.set_category_ticks("bottom", [(x, g["group"]) for x, g in enumerate(result["groups"])])
    panel.set_ranges((-0.6, len(result["groups"]) - 0.4), (0, _nice_top(max(tops))))
    panel.set_axes(left=_("searches per 1,000 residents") + (_(" per year") if annualised else ""),
                   bottom=_("ethnic group") + f" ({result['ethnicity_label']})")
    panel.set_texts(title=_("(a) ") + measure_label(result, annualised=annualised).capitalize()
                    + _(", by ethnic group"), subtitle=_subtitle(result),
                    notes=_notes(result, suppressed, extra=[_("Whiskers: 95% interval of the rate (exact Poisson).")]))
    panel.set_table(
        [_("Group"), _("Searches"), _("Residents (Census)"), _("Rate per 1,000 (period)"), _("95% interval"),
         _("Annualised rate per 1,000 per year"), _("Vehicle-only left out"), _("Note")], rows)


def _draw_proportions(panel: ChartPanel, result: Mapping, prefix: str) -> None:
    """Chart (a) for an outcome measure: the proportion by group, or its fallback when not recorded."""
    shown, status = _outcome_shown(result)
    rows, tops, suppressed = [], [0.0], []
    for x, group in enumerate(shown["groups"]):
        name = group["group"]
        hidden, reason = _hidden(group)
        value = group["proportion"]
        if hidden or value is None:
            text = hidden or group["reason"] or _("n/a")
            panel.add_label(x, 0, text, width=130 if len(text) > 12 else None)
            panel.add_tip(x - 0.4, x + 0.4, 0, 1e9, f"{name}: {group['searches']:,} searches, "
                          f"{group['recorded']:,} recorded; {text}")
            if hidden == SUPPRESSED_TEXT:
                suppressed.append(name)
        else:
            low, high = group["proportion_ci_low"], group["proportion_ci_high"]
            panel.add_bar(name, x, value * 100, BAR_WIDTH, GROUP_COLOURS[name],
                          f"{name}: {group['positive']:,} of {group['recorded']:,} searches with the field recorded"
                          f" = {value * 100:.1f}% (95% interval {low * 100:.1f}–{high * 100:.1f}%)")
            panel.add_whisker(name, x, value * 100, low * 100, high * 100)
            tops.append(high * 100)
        rows.append(_proportion_row(shown["label"], group, hidden)[1:])
    panel.set_category_ticks("bottom", [(x, g["group"]) for x, g in enumerate(shown["groups"])])
    panel.set_ranges((-0.6, len(shown["groups"]) - 0.4), (0, min(100.0, _nice_top(max(tops)))))
    panel.set_axes(left="% " + _("of searches with it recorded"),
                   bottom=_("ethnic group") + f" ({result['ethnicity_label']})")
    panel.set_texts(title=f"{prefix} " + str(shown["label"]).capitalize() + _(", by ethnic group"),
                    subtitle=_subtitle(result), status=status,
                    notes=_notes(result, suppressed, extra=[_("Whiskers: 95% Wilson interval.")]))
    panel.set_table([_("Group"), _("Searches"), _("Recorded"), _("Positive"), "%", _("95% interval"),
                           _("Note")], rows)


def _draw_forest(panel: ChartPanel, result: Mapping) -> None:
    shown, status = (result, "") if result["measure"] == "rate" else _outcome_shown(result)
    groups = shown["groups"]
    n = len(groups)
    logs, rows, suppressed = [0.0], [], []
    for index, group in enumerate(groups):
        name, y = group["group"], n - 1 - index
        hidden, reason = _hidden(group)
        ratio, low, high = group["ratio_vs_white"], group["ci_low"], group["ci_high"]
        sens_low, sens_high = group.get("sensitivity_low"), group.get("sensitivity_high")
        if name == REFERENCE_GROUP and ratio == 1.0 and not hidden:
            panel.add_point(name, 0.0, y, GROUP_COLOURS[name], symbol="d", size=13)
            panel.add_label(0.0, y + 0.18, _("reference (1)"), anchor=(0.5, 1.0))
            panel.add_tip(-99, 99, y - 0.4, y + 0.4, f"{name}: the reference group (ratio 1)")
        elif hidden or ratio is None or ratio <= 0:
            text = hidden or (_("no finds (ratio 0)") if ratio == 0 else group["reason"]) or _("n/a")
            panel.add_label(0.0, y, text, anchor=(0.5, 0.5), width=260 if len(text) > 20 else None)
            panel.add_tip(-99, 99, y - 0.4, y + 0.4, f"{name}: {text}")
            if hidden == SUPPRESSED_TEXT:
                suppressed.append(name)
        else:
            point = math.log10(ratio)
            panel.add_point(name, point, y, GROUP_COLOURS[name])
            logs.append(point)
            tip = f"{name}: {ratio:.2f} times White's {_forest_measure(shown)}"
            if low is not None and high is not None:
                panel.add_whisker(name, point, y, math.log10(low), math.log10(high), horizontal=True,
                                  beam=0.15)
                logs += [math.log10(low), math.log10(high)]
                tip += f"\n95% interval {low:.2f}–{high:.2f} ({group['ci_method']})"
            if sens_low and sens_high:
                panel.add_whisker(f"{name} (unknown-ethnicity range)", point, y - 0.28, math.log10(sens_low),
                                  math.log10(sens_high), horizontal=True, colour=SENSITIVITY_COLOUR, width=3,
                                  beam=0.0)
                logs += [math.log10(sens_low), math.log10(sens_high)]
                tip += f"\nunknown-ethnicity range {sens_low:.2f}–{sens_high:.2f} (not a sampling interval)"
            tip += f"\n{_tip_count(group)}"
            panel.add_tip(-99, 99, y - 0.45, y + 0.45, tip)
        rows.append([name, _ratio_cell(group, hidden), _interval_cell(low, high, hidden),
                     (group["ci_method"] or "-") if not hidden else "-",
                     _interval_cell(sens_low, sens_high, hidden), _reason_text(group, hidden)])
    low_edge, high_edge = min(logs), max(logs)
    pad = max(0.08, (high_edge - low_edge) * 0.12)
    x_range = (low_edge - pad, high_edge + pad)
    line = pg.InfiniteLine(pos=0.0, angle=90, pen=pg.mkPen(TEXT_COLOUR, width=1.5, style=Qt.PenStyle.DashLine))
    panel.plot.addItem(line)
    panel.set_category_ticks("bottom", _log_ticks(*x_range))
    panel.set_category_ticks("left", [(n - 1 - i, g["group"]) for i, g in enumerate(groups)])
    panel.set_ranges(x_range, (-0.7, n - 0.3))
    panel.set_axes(left=_("ethnic group"), bottom=_("ratio vs White (log scale; the dashed line at 1 = same as White)"))
    legend = [(_("ratio, with 95% interval"), TEXT_COLOUR)]
    if shown["measure"] == "rate":
        legend.append((_("grey bar: range if every search of unknown ethnicity were White / in the group"),
                       SENSITIVITY_COLOUR))
    panel.set_texts(title=_("(b) Ratio vs White: ") + _forest_measure(shown), subtitle=_subtitle(result),
                    legend=legend, status=status, notes=_notes(result, suppressed))
    panel.set_table([_("Group"), _("Ratio vs White"), _("95% interval"), _("Interval method"),
                           _("Unknown-ethnicity range"), _("Note")], rows)


def _draw_by_age(panel: ChartPanel, by_age: Mapping[str, Mapping], headline: Mapping) -> None:
    groups = list(ETHNIC_GROUPS)
    step = BAR_WIDTH / len(groups)
    rows, tops, suppressed, problems, unknowns = [], [0.0], [], [], []
    for cluster, band in enumerate(BAND_CHART_ORDER):
        result = by_age.get(band, {})
        band_label = AGE_BAND_LABELS[band]
        band_suppressed: list[str] = []
        if "unavailable" in result:
            panel.add_label(cluster, 0, result["unavailable"], width=200)
            problems.append(f"{band_label}: {result['unavailable']}")
            rows.append([band_label, "-", "-", "-", "-", "-", result["unavailable"]])
            continue
        for index, group in enumerate(result["groups"]):
            name = group["group"]
            x = cluster - BAR_WIDTH / 2 + step * (index + 0.5)
            hidden, reason = _hidden(group)
            value, low, high = group["rate_per_1000"], group.get("rate_ci_low"), group.get("rate_ci_high")
            if hidden or value is None:
                text = SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else "–"
                panel.add_label(x, 0, text)
                panel.add_tip(x - step / 2, x + step / 2, 0, 1e9,
                              f"{band_label}, {name}: {hidden or group['reason']}; "
                              f"{_fmt_int(group['population'])} residents")
                if hidden == SUPPRESSED_TEXT:
                    band_suppressed.append(name)
            else:
                panel.add_bar(f"{band} {name}", x, value, step * 0.9, GROUP_COLOURS[name],
                              f"{band_label}, {name}: {group['searches']:,} searches / {group['population']:,} "
                              f"residents = {value:.2f} per 1,000"
                              + (f" (95% interval {low:.2f}–{high:.2f})" if low is not None else ""))
                if low is not None and high is not None:
                    panel.add_whisker(f"{band} {name}", x, value, low, high, beam=step * 0.3, width=1.2)
                    tops.append(high)
                tops.append(value)
            rows.append([band_label, name, _figure(group["searches"], hidden, count=True),
                         _cell(group["population"], decimals=0),
                         _figure(value, hidden, reason=group["reason"]),
                         _interval_cell(low, high, hidden), _reason_text(group, hidden)])
        if band_suppressed:
            suppressed.append(f"{band_label}: " + (_("every group") if len(band_suppressed) == len(groups)
                                                   else ", ".join(band_suppressed)))
        unknowns.append(f"{band_label} {_small(result['unknown_ethnicity'])}")
        rows.append([band_label, UNKNOWN, _cell(result["unknown_ethnicity"], decimals=0,
                                                suppressed=result["unknown_ethnicity"] < SUPPRESSION_THRESHOLD),
                     "-", _("no population: not rated"), "-", _("not stated or blank")])
    panel.set_category_ticks("bottom", [(i, AGE_BAND_LABELS[band]) for i, band in enumerate(BAND_CHART_ORDER)])
    panel.set_ranges((-0.5, len(BAND_CHART_ORDER) - 0.5), (0, _nice_top(max(tops))))
    panel.set_axes(left=_("searches per 1,000 residents"),
                   bottom=_("age band (each over its own Census population)"))
    panel.set_texts(title=_CHART_TITLES["age_bands"], subtitle=_subtitle(headline, with_age=False),
                    legend=[(g, GROUP_COLOURS[g]) for g in groups], status="\n".join(problems),
                    notes=_notes(headline, suppressed, unknown=False, separator="; ", extra=[
                        _("Unknown ethnicity (searches, in no bar): ") + "; ".join(unknowns) + ".",
                        _("Whiskers: 95% interval of the rate (exact Poisson).")]))
    panel.set_table([_("Age band"), _("Group"), _("Searches"), _("Residents (Census)"),
                           _("Rate per 1,000"), _("95% interval"), _("Note")], rows)


def _draw_monthly(panel: ChartPanel, monthly: Mapping) -> None:
    if "unavailable" in monthly:
        panel.show_message(_CHART_TITLES["monthly"], monthly["unavailable"])
        return
    months, loaded = monthly["months"], monthly["loaded"]
    series_names = (*ETHNIC_GROUPS, UNKNOWN)
    top, suppressed_cells = 1.0, 0
    for name in series_names:
        values = monthly["groups"][name]
        xs = [i for i, v in enumerate(values) if v is not None and v >= SUPPRESSION_THRESHOLD]
        ys = [values[i] for i in xs]
        suppressed_cells += sum(1 for v in values if v is not None and v < SUPPRESSION_THRESHOLD)
        if not xs:
            continue
        pen = pg.mkPen(GROUP_COLOURS[name], width=2.5,
                       style=Qt.PenStyle.DashLine if name == UNKNOWN else Qt.PenStyle.SolidLine)
        # Draw only runs of consecutive months: a suppressed or missing month breaks the line.
        item = pg.PlotDataItem(_with_gaps(xs, ys, len(months)), pen=pen, symbol="o", symbolSize=9,
                               symbolBrush=GROUP_COLOURS[name], symbolPen=pg.mkPen(GROUP_COLOURS[name]),
                               connect="finite", name=name)
        panel.plot.addItem(item)
        panel.lines[name] = item
        top = max(top, *ys)
    for i, month in enumerate(months):
        if not loaded[i]:
            panel.add_label(i, 0, _("none loaded"), colour=OKABE_ITO["vermillion"])
        parts = [f"{month}: " + (_("no searches loaded (a gap, not zero)") if not loaded[i] else "")]
        if loaded[i]:
            parts += [f"{name} {_small(monthly['groups'][name][i])}" for name in series_names]
        panel.add_tip(i - 0.5, i + 0.5, -1e9, 1e9, "\n".join(parts))
    step = max(1, math.ceil(len(months) / 12))
    panel.set_category_ticks("bottom", [(i, m) for i, m in enumerate(months) if i % step == 0])
    panel.set_ranges((-0.6, len(months) - 0.4), (0, _nice_top(top)))
    panel.set_axes(left=_("searches of children per month"), bottom=_("month (London time)"))
    notes = [_("Searches are events, not people: one child searched twice counts twice."),
             *[n for n in monthly["notes"] if n != EVENTS_NOT_PEOPLE]]
    if suppressed_cells:
        notes.insert(0, f"{suppressed_cells} month-group cells under {SUPPRESSION_THRESHOLD} are not drawn "
                        f"(shown as {SUPPRESSED_TEXT} in the table).")
    status = _("Only one month is loaded for this selection: no trend to show yet.") if sum(loaded) == 1 else ""
    panel.set_texts(title=_("(d) Searches of children (0-17) per month, by ethnic group"), status=status,
                    subtitle=f"{monthly['area_label']} · {monthly['period']['label']} · {monthly['ethnicity_label']}"
                             " · " + _("counts of searches (no denominator)"),
                    legend=[(n if n != UNKNOWN else _("unknown ethnicity (dashed)"), GROUP_COLOURS[n])
                            for n in series_names], notes=notes)
    rows = [[month, *([_small(monthly["groups"][n][i]) for n in series_names] if loaded[i]
                      else [_("none loaded")] * len(series_names))] for i, month in enumerate(months)]
    panel.set_table([_("Month"), *series_names], rows)


def _draw_outcomes(panel: ChartPanel, outcomes: Mapping[str, Mapping]) -> None:
    """Chart (e): find rate and more-than-outer-clothing rate for children, clustered by measure.

    A measure recorded for no search in the selection gets a "not recorded" cluster saying so; the
    first such measure is followed by the "any outcome other than no further action" rate, labelled
    as shown in its place.
    """
    clusters: list[tuple[str, Mapping | None, str]] = []  # (tick label, result to draw or None, placeholder)
    statuses: list[str] = []
    context = None
    fallback_shown = False
    for key in ("find-rate", "removal-rate"):
        result = outcomes.get(key, {})
        if "unavailable" in result:
            clusters.append((key, None, result["unavailable"]))
            statuses.append(result["unavailable"])
            continue
        context = context or result
        if not result["not_recorded"]:
            clusters.append((result["label"], result, ""))
            continue
        clusters.append((result["label"], None, _("not recorded")))
        line = f"{result['label']}: " + _("NOT RECORDED for any search of a child in this selection.")
        if "alternative" in result and not fallback_shown:
            fallback_shown = True
            alternative = result["alternative"]
            clusters.append((_("instead: ") + alternative["label"], alternative, ""))
            line += " " + _("Shown instead: ") + alternative["label"] + "."
        statuses.append(line)
    groups = list(ETHNIC_GROUPS)
    step = BAR_WIDTH / len(groups)
    rows, tops, suppressed, placeholders = [], [10.0], [], []
    for cluster, (label, result, placeholder) in enumerate(clusters):
        if result is None:
            placeholders.append((cluster, label, placeholder))
            rows.append([label, "-", "-", "-", "-", "-", "-", placeholder])
            continue
        for index, group in enumerate(result["groups"]):
            name = group["group"]
            x = cluster - BAR_WIDTH / 2 + step * (index + 0.5)
            hidden, reason = _hidden(group)
            value = group["proportion"]
            if hidden or value is None:
                panel.add_label(x, 0, SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else "–")
                panel.add_tip(x - step / 2, x + step / 2, 0, 1e9, f"{label}, {name}: {hidden or group['reason']}")
                if hidden == SUPPRESSED_TEXT:
                    suppressed.append(f"{result['label']}: {name}")
            else:
                low, high = group["proportion_ci_low"], group["proportion_ci_high"]
                panel.add_bar(f"{result['measure']} {name}", x, value * 100, step * 0.9, GROUP_COLOURS[name],
                              f"{result['label']}, {name}: {group['positive']:,} of {group['recorded']:,} searches "
                              f"of children = {value * 100:.1f}% (95% interval {low * 100:.1f}–{high * 100:.1f}%)")
                panel.add_whisker(f"{result['measure']} {name}", x, value * 100, low * 100, high * 100,
                                  beam=step * 0.3, width=1.2)
                tops.append(high * 100)
            rows.append(_proportion_row(result["label"], group, hidden))
    top = min(100.0, _nice_top(max(tops)))
    for cluster, label, placeholder in placeholders:
        panel.add_label(cluster, top / 2, f"{label}:\n{placeholder}", anchor=(0.5, 0.5),
                        colour=OKABE_ITO["vermillion"], width=260, bold=True)
        panel.add_tip(cluster - 0.5, cluster + 0.5, -1e9, 1e9, f"{label}: {placeholder}")
    panel.set_category_ticks("bottom", [(i, label if result is not None else "")
                                        for i, (label, result, _p) in enumerate(clusters)])
    panel.set_ranges((-0.5, max(1, len(clusters)) - 0.5), (0, top))
    panel.set_axes(left="% " + _("of searches of children"), bottom=_("measure"))
    title = _("(e) Outcomes of searches of children (0-17), by ethnic group")
    if context is None:
        panel.set_texts(title=title, status="\n".join(statuses))
    else:
        panel.set_texts(title=title, subtitle=_subtitle(context, with_age=False, with_denominator=False),
                        legend=[(g, GROUP_COLOURS[g]) for g in groups], status="\n".join(statuses),
                        notes=_notes(context, suppressed, separator="; ", extra=[
                            _("Proportions of searches where the field is recorded; whiskers: 95% Wilson interval. "
                              "'More than outer clothing removed' is not the same as a strip search.")]))
    panel.set_table([_("Measure"), _("Group"), _("Searches"), _("Recorded"), _("Positive"), "%",
                     _("95% interval"), _("Note")], rows)


# --- helpers ----------------------------------------------------------------------------------------
def _hidden(group: Mapping) -> tuple[str | None, str | None]:
    """(text shown instead of the group's numbers, reason), or (None, reason) when they are shown."""
    reason = group.get("reason")
    if reason == NOT_AN_OFFICER_CATEGORY:
        return NOT_AN_OFFICER_CATEGORY, reason
    if group.get("recorded") == 0:  # an outcome field not recorded: the reason says so, not "<10"
        return None, reason
    if group.get("suppressed"):
        return SUPPRESSED_TEXT, reason
    return None, reason


def _outcome_shown(result: Mapping) -> tuple[Mapping, str]:
    """What an outcome chart draws: the measure, or its labelled fallback when not recorded."""
    if result.get("not_recorded") and "alternative" in result:
        alternative = result["alternative"]
        return alternative, (f"{result['label']}: " + _("NOT RECORDED for any search in this selection. Shown "
                                                         "instead: ") + f"{alternative['label']}.")
    if result.get("not_recorded"):
        return result, f"{result['label']}: " + _("NOT RECORDED for any search in this selection.")
    return result, ""


def _forest_measure(result: Mapping) -> str:
    return _("rate per 1,000") if result["measure"] == "rate" else str(result["label"])


def _proportion_row(label: str, group: Mapping, hidden: str | None) -> list:
    return [label, group["group"], _cell(group["searches"], decimals=0), _cell(group["recorded"], decimals=0),
            _figure(group["positive"], hidden, count=True),
            _figure(group["proportion"], hidden, reason=group["reason"], percent=True),
            _interval_cell(group["proportion_ci_low"], group["proportion_ci_high"], hidden, percent=True),
            _reason_text(group, hidden)]


def _interval_cell(low: float | None, high: float | None, hidden: str | None, *, percent: bool = False) -> Cell:
    if hidden:
        return Cell(SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else "-")
    if low is None or high is None:
        return Cell("-")
    if percent:
        return Cell(f"{low * 100:.1f}–{high * 100:.1f}%")
    return Cell(f"{low:,.2f}–{high:,.2f}")


def _ratio_cell(group: Mapping, hidden: str | None) -> Cell:
    if hidden:
        return Cell(SUPPRESSED_TEXT if hidden == SUPPRESSED_TEXT else hidden)
    if group["group"] == REFERENCE_GROUP and group["ratio_vs_white"] == 1.0:
        return Cell(_("1 (reference)"), 1.0)
    return _cell(group["ratio_vs_white"], reason=group["reason"])


def _reason_text(group: Mapping, hidden: str | None) -> str:
    if hidden == SUPPRESSED_TEXT:
        return _("fewer than 10: suppressed")
    reason = group.get("reason") or ""
    return "" if reason.startswith("reference group") else reason


def _summary(result: Mapping) -> str:
    parts = [describe(result)]
    share = result.get("unknown_ethnicity_share")
    unknown = result["unknown_ethnicity"]
    parts.append(_("unknown ethnicity: ") + (SUPPRESSED_TEXT if unknown < SUPPRESSION_THRESHOLD else f"{unknown:,}")
                 + (f" ({share * 100:.1f}%)" if isinstance(share, float) and unknown >= SUPPRESSION_THRESHOLD else ""))
    left = result.get("left_out", {})
    for key, text in (("other_forces", _("searches of other forces left out")),
                      ("vehicle_only", _("vehicle-only searches left out")),
                      ("age_not_recorded", _("searches with no age left out")),
                      ("no_borough", _("searches with no borough left out"))):
        if left.get(key):
            parts.append(f"{left[key]:,} {text}")
    return " · ".join(parts)


def _subtitle(result: Mapping, *, with_age: bool = True, with_denominator: bool = True) -> str:
    denominator = result["denominator"]
    pieces = [result["area_label"] + f" ({', '.join(result.get('force_slugs', result['forces']))})", result["period"]["label"],
              result["ethnicity_label"]]
    if with_age:
        age = result["age_label"]
        pieces.insert(0, _("age ") + age if age[:1].isdigit() else age)
    if with_denominator:
        pieces.append(_("denominator: ") + f"{denominator['label']} " + _("usual residents")
                      + f", {denominator['area']}")
    return " · ".join(pieces)


def _notes(result: Mapping, suppressed: Sequence[str], *, extra: Sequence[str] = (), unknown: bool = True,
           separator: str = ", ") -> list[str]:
    notes = []
    if suppressed:
        notes.append(_("Suppressed (fewer than 10, not drawn): ") + separator.join(suppressed) + ".")
    if unknown:
        count = result["unknown_ethnicity"]
        share = result.get("unknown_ethnicity_share")
        notes.append(_("Unknown ethnicity: ") + (SUPPRESSED_TEXT if count < SUPPRESSION_THRESHOLD else f"{count:,}")
                     + _(" searches") + (f" ({share * 100:.1f}%)" if isinstance(share, float)
                                          and count >= SUPPRESSION_THRESHOLD else "")
                     + _(", not in any group."))
    cells = result["denominator"].get("suppressed_cells")
    if cells:
        notes.append(f"{cells:,} " + _("suppressed Census cells counted as 0 in the denominator."))
    notes.extend(extra)
    notes.extend(result.get("coverage_notes", ()))  # what the data cover and what was left out (statistics.md)
    notes.append(EVENTS_NOT_PEOPLE)
    return notes


def _share_text(result: Mapping) -> str:
    share = result.get("unknown_ethnicity_share")
    if result["unknown_ethnicity"] < SUPPRESSION_THRESHOLD or not isinstance(share, float):
        return _("not stated or blank")
    return f"{share * 100:.1f}% " + _("of searches: not stated or blank")


def _tip_count(group: Mapping) -> str:
    searches = group.get("searches")
    if group.get("suppressed"):
        return _("fewer than 10 searches")
    return f"{searches:,} " + _("searches") if searches is not None else _("searches not known")


def _small(value: int | None) -> str:
    if value is None:
        return _("none loaded")
    return SUPPRESSED_TEXT if value < SUPPRESSION_THRESHOLD else f"{value:,}"


def _fmt_int(value: int | None) -> str:
    return f"{value:,}" if value is not None else _("no")


def _with_gaps(xs: Sequence[int], ys: Sequence[float], length: int) -> dict:
    x_all = list(range(length))
    y_all = [math.nan] * length
    for x, y in zip(xs, ys, strict=True):
        y_all[x] = float(y)
    return {"x": x_all, "y": y_all}


def _nice_top(value: float) -> float:
    """A round upper limit above ``value`` with headroom for labels."""
    if value <= 0 or not math.isfinite(value):
        return 1.0
    raw = value * 1.18
    magnitude = 10 ** math.floor(math.log10(raw))
    for step in (1, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10):
        if raw <= step * magnitude:
            return step * magnitude
    return 10 * magnitude


def _log_ticks(low: float, high: float) -> list[tuple[float, str]]:
    candidates = [0.03125, 0.0625, 0.125, 0.25, 0.5, 1, 2, 4, 8, 16, 32, 64]
    ticks = [(math.log10(v), f"{v:g}") for v in candidates if low <= math.log10(v) <= high]
    if len(ticks) < 3:
        extra = [0.67, 0.75, 0.8, 1.25, 1.5, 3, 6]
        ticks += [(math.log10(v), f"{v:g}") for v in extra if low <= math.log10(v) <= high]
    return sorted(ticks)


def _escape(text: str) -> str:
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


__all__ = ["CHART_KEYS", "GROUP_COLOURS", "OKABE_ITO", "ChartPanel", "DisparityView", "ExportRole",
           "FigureTableModel"]
