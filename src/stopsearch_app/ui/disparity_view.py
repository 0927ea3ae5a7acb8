"""The Disparity tab: disproportionality by age and ethnicity, charted for scrutiny panels.

Filters (ethnicity source, age band, area or borough, months, measure) feed
:func:`stopsearch_app.services.disparity.compute_dashboard`, run off the UI thread; the charts of the registry
(:mod:`stopsearch_app.ui.charts`, one module per chart) show the
:class:`~stopsearch_app.domain.dashboard.Dashboard`, each in its panel; a chart whose panel the dashboard
does not carry (the funnel without ``boroughs``, outside London) is hidden:

a. the chosen measure by ethnic group (rate per 1,000 with exact Poisson 95% whiskers, or a
   proportion with Wilson whiskers);
b. the ratio vs White as a forest plot on a log scale, with the unknown-ethnicity range drawn apart
   from the sampling interval;
c. rates per 1,000 by age band and ethnic group;
d. searches of children per month by group (a month with nothing loaded is a gap, not zero);
e. find rate and "more than outer clothing removed" for children, with the not-recorded rule;
f. the ratio vs White per covered month with its interval and the trend (``monthly_ratio``);
g. the boroughs' funnel plot around London's ratio (``boroughs``).

Every chart has a title (measure, period, area, ethnicity source, denominator), labelled axes, the
Okabe-Ito palette, hover tooltips with counts and populations, a note line (suppressed cells,
unknown ethnicity, "searches are events, not people"), PNG/SVG export of the chart with its titles,
and a table of the same numbers with a Copy button (tab-separated). Counts under 10 are shown as
``<10`` and not drawn: this is a panel view (statistics.md). A number that cannot be computed shows
its reason, never NaN.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (QApplication, QCheckBox, QComboBox, QHBoxLayout, QLabel, QLayout, QScrollArea,
                               QSizePolicy, QVBoxLayout, QWidget)
from PySide6.QtWidgets import QFileDialog  # noqa: F401 - older callers and tests reach the dialog through here

from stopsearch_app.services.disparity import compute_dashboard
from stopsearch_app.domain.dashboard import Dashboard
from stopsearch_app.domain.denominators import AGE_BAND_LABELS, LONDON, shipped_denominator_table
from stopsearch_app.domain.selection import AgeBand
from stopsearch_app.i18n import _
from stopsearch_app.ui.charts import chart, registry
from stopsearch_app.ui.charts.common import summary
from stopsearch_app.ui.charts.panel import Cell, ChartPanel, FigureTableModel
from stopsearch_app.ui.charts.style import GROUP_COLOURS, OKABE_ITO
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.roles import ExportRole  # noqa: F401 - re-exported for the tests and callers
from stopsearch_app.ui.tasks import TaskSlot

CHART_KEYS = tuple(registry())  # every chart of the registry, in order
# The charts every dashboard has; the others appear when the dashboard carries their figures.
BASE_CHART_KEYS = ("rates", "ratios", "age_bands", "monthly", "outcomes")


# --- the tab --------------------------------------------------------------------------------------
class DisparityView(QWidget):
    """The Disparity tab. Recomputes off the UI thread when a filter changes, when records change
    (if shown; otherwise on the next show), and on :meth:`refresh`."""

    computed = Signal(object)  # the Dashboard (perhaps unavailable, with the reason)

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, large_type: bool = False) -> None:
        super().__init__(parent)
        self.setObjectName("disparity_view")
        self._context = context
        self._slot = TaskSlot(self)
        self._slot.succeeded.connect(self._on_result)
        self._slot.failed.connect(self._on_failed)
        self._last_request: dict[str, object] = {}
        self._stale = True
        # Charts still to draw, one per turn of the event loop: drawing all seven at once held the UI
        # thread 200-450 ms (bench.bench_table's tab stage); one chart is 10-60 ms.
        self._to_draw: list[str] = []
        self._announce: Dashboard | None = None
        self._settle_timer = QTimer(self)
        self._settle_timer.setSingleShot(True)
        self._settle_timer.setInterval(0)
        self._settle_timer.timeout.connect(self._drawn)
        self._draw_timer = QTimer(self)
        self._draw_timer.setSingleShot(True)
        self._draw_timer.setInterval(0)
        self._draw_timer.timeout.connect(self._draw_next)
        self._large = large_type
        self._updating = False
        self.result: Dashboard | None = None

        self.ethnicity = self._combo("disparity_ethnicity", _("Ethnicity"),
                                     [(_("Self-defined"), "self"), (_("Officer-defined"), "officer")])
        self.age = self._combo("disparity_age", _("Age"), [(_(label), band) for band, label in AGE_BAND_LABELS.items()])
        self.age.setCurrentIndex(self.age.findData(AgeBand.AGE_10_17.value))
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
        # Capped: the longest area name would push the filter rows past a 1366-wide screen in large type
        # (the open list shows it in full).
        combo.setMinimumContentsLength(min(26, max([12, *(len(text) for text, _data in items)])))
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
        """Computing, or drawing the charts of a result."""
        return self._slot.is_busy() or bool(self._to_draw) or self._settle_timer.isActive()

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
        self._on_result(Dashboard(self._last_request, unavailable=_("Could not compute: ") + message))

    def shutdown(self) -> None:
        """Wait for a computation in flight (call before the window closes)."""
        self._slot.cancel()
        self._slot.wait(30_000)

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.shutdown()
        super().closeEvent(event)

    def _on_result(self, result: Dashboard) -> None:
        self.result = result
        if self.area.count() == 1:
            self._fill_areas()
        self._fill_months(result.available_months)
        self._announce = result  # `computed` once every chart of it is drawn
        self._redraw()

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
        self._to_draw = []
        if result is None:
            return
        if result.headline is None:
            reason = result.unavailable or ""
            self.status.setText(reason)
            for key, panel in self.panels.items():
                panel.clear()
                panel.show_message(chart(key).title, reason)
                panel.setVisible(key in BASE_CHART_KEYS)
            self._drawn()
            return
        self.status.setText(summary(result.headline))
        for key, panel in self.panels.items():
            shown = chart(key).available(result)
            panel.setVisible(shown)
            if shown:
                self._to_draw.append(key)
            else:
                panel.clear()
        self._draw_next()

    def _draw_next(self) -> None:
        """Draw the next chart of the current result; the rest follow on later turns of the event loop."""
        if not self._to_draw or self.result is None or self.result.headline is None:
            self._to_draw = []
            self._drawn()
            return
        key = self._to_draw.pop(0)
        panel = self.panels[key]
        panel.clear()
        chart(key).draw(panel, self.result, self.annualised.isChecked() and self.result.headline["measure"] == "rate")
        if self._to_draw:
            self._draw_timer.start()
        else:
            # Done once the last chart's layout and paint (posted events) have run: the next turn.
            self._settle_timer.start()

    def _drawn(self) -> None:
        if self._announce is not None:
            result, self._announce = self._announce, None
            self.computed.emit(result)


__all__ = ["BASE_CHART_KEYS", "CHART_KEYS", "GROUP_COLOURS", "OKABE_ITO", "Cell", "ChartPanel", "DisparityView",
           "ExportRole", "FigureTableModel"]
