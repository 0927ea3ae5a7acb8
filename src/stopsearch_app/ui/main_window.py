"""The main window: filter bar, the record table (lazy, paged from the database), the record detail
pane, and the import actions."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import QByteArray, QItemSelection, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QAbstractItemView, QDockWidget, QFileDialog, QHBoxLayout, QHeaderView, QInputDialog,
                               QLabel, QMainWindow, QMessageBox, QPushButton, QTableView, QTabWidget, QToolBar,
                               QVBoxLayout, QWidget)

from stopsearch_app.i18n import _
from stopsearch_app.store import coverage
from stopsearch_app.domain.selection import AgeBand
from stopsearch_app.store.queries import RecordQuery, matching_ids, stats
from stopsearch_app.ui.compliance_view import ComplianceView
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.coverage_view import CoverageView
from stopsearch_app.ui.detail_pane import DetailPane
from stopsearch_app.ui.disparity_view import DisparityView
from stopsearch_app.ui.filter_bar import FilterBar
from stopsearch_app.ui.import_flow import ImportController, QuarantineDialog
from stopsearch_app.ui.mapping_dialog import MappingDialog
from stopsearch_app.ui.records_model import RecordsTableModel
from stopsearch_app.ui.review_panel import SupervisorReviewPage
from stopsearch_app.ui.samples_dialog import SamplesDialog
from stopsearch_app.ui.tasks import TaskSlot


class Actions:
    IMPORT_FILES = "import_files"
    IMPORT_FOLDER = "import_folder"
    IMPORT_ZIP = "import_zip"
    IMPORT_LOCAL = "import_local"
    QUARANTINE = "quarantine"
    QUIT = "quit"
    SAMPLES = "samples"
    EXPORT_PACK = "export_pack"
    FETCH = "fetch_policeuk"
    ABOUT = "about"


class RecordsPage(QWidget):
    """Filter bar over the record table, with a count line; ids load off the UI thread."""

    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._context = context
        self._filter = RecordQuery()
        self._verdict_filter: RecordQuery | None = None  # set from the compliance overview
        self._sort: tuple[str | None, bool] = (None, False)
        self._ids_slot = TaskSlot(self)
        self._totals_slot = TaskSlot(self)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.filter_bar = FilterBar(context, self)
        layout.addWidget(self.filter_bar)
        count_row = QHBoxLayout()
        self.count_label = QLabel(self)
        self.count_label.setObjectName("record_count")
        count_row.addWidget(self.count_label, 1)
        self.verdict_chip = QPushButton(self)
        self.verdict_chip.setObjectName("verdict_chip")
        self.verdict_chip.setToolTip(_("Click to show every record again"))
        self.verdict_chip.hide()
        self.verdict_chip.clicked.connect(lambda: self.show_verdict(None))
        count_row.addWidget(self.verdict_chip)
        layout.addLayout(count_row)
        self.model = RecordsTableModel(context, self)
        self.table = QTableView(self)
        self.table.setObjectName("records_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setSortingEnabled(True)
        self.table.horizontalHeader().setSortIndicatorShown(True)
        self.table.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        # Fixed sizes: content-sized rows or columns would read every row of a million-row model.
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.horizontalHeader().setDefaultSectionSize(120)
        self.table.setColumnWidth(0, 170)
        self.table.setColumnWidth(1, 130)
        self.table.setColumnWidth(10, 200)
        layout.addWidget(self.table)
        self._ids_slot.succeeded.connect(self._show_ids)
        self._ids_slot.failed.connect(lambda message: self.count_label.setText(_("Could not load records: ")
                                                                               + message))
        self._totals_slot.succeeded.connect(self._show_totals)
        self.filter_bar.filter_changed.connect(self.set_filter)
        self.model.sort_requested.connect(self._on_sort)
        context.notifier.records_changed.connect(self.reload)

    def set_filter(self, record_filter: RecordQuery) -> None:
        self._filter = record_filter
        self.reload()

    def show_verdict(self, verdict_filter: RecordQuery | None) -> None:
        """Narrow the list to one rule's verdict (from the compliance overview), or clear that."""
        self._verdict_filter = verdict_filter
        if verdict_filter is None:
            self.verdict_chip.hide()
        else:
            from stopsearch_app.domain.charter.verdicts import Verdict

            verdict = Verdict.from_key(verdict_filter.verdict_key)
            children = verdict_filter.selection.age is AgeBand.CHILD
            self.verdict_chip.setText(f"{verdict_filter.verdict_rule} = {verdict.glyph} {verdict.label}"
                                      + (" · " + _("children") if children else "") + "  ✕")
            self.verdict_chip.show()
            if children:
                self.filter_bar.children_only.setChecked(True)
        self.reload()

    def effective_filter(self) -> RecordQuery:
        record_filter = self._filter
        if self._verdict_filter is not None:
            record_filter = record_filter.with_(verdict_rule=self._verdict_filter.verdict_rule,
                                                verdict_key=self._verdict_filter.verdict_key,
                                                verdict_positions=self._verdict_filter.verdict_positions)
        return record_filter

    def _on_sort(self, key: str, descending: bool) -> None:
        self._sort = (key, descending)
        self.reload()

    def reload(self) -> None:
        """Ask the database for the matching ids on a worker thread; the table stays usable meanwhile."""
        engine, labels, record_filter, (sort_key, descending) = (self._context.engine, self._context.labels,
                                                                  self.effective_filter(), self._sort)
        self.count_label.setText(_("Loading…"))
        self._ids_slot.submit(lambda progress, cancelled: matching_ids(engine, record_filter, labels, sort_key,
                                                                       descending))

    def _show_ids(self, ids: np.ndarray) -> None:
        """Rows first; the totals for the count line follow from a second background query."""
        self.model.set_ids(ids)
        self.count_label.setText(f"{len(ids):,} " + _("records shown"))
        engine = self._context.engine
        self._totals_slot.submit(lambda progress, cancelled: stats(engine))

    def _show_totals(self, total) -> None:
        ids = self.model.ids()
        self.count_label.setText(f"{len(ids):,} " + _("of") + f" {total.records:,} " + _("records shown")
                                 + f" · {total.children:,} " + _("children") + f" · {total.child_status_unknown:,} "
                                 + _("child status unknown"))

    def is_loading(self) -> bool:
        return self._ids_slot.is_busy() or self._totals_slot.is_busy()

    def wait_idle(self) -> None:
        self._ids_slot.wait()
        self._totals_slot.wait()


class MainWindow(QMainWindow):
    def __init__(self, context: AppContext) -> None:
        super().__init__()
        self.setObjectName("main_window")
        self._context = context
        self.setWindowTitle(_("Stop and Search Charter — children"))
        self.resize(1400, 860)
        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("main_tabs")
        self.records_page = RecordsPage(context, self)
        self.compliance_view = ComplianceView(context, self)
        self.review_page = SupervisorReviewPage(context, self)
        self.tabs.addTab(self.records_page, _("Records"))
        self.tabs.addTab(self.compliance_view, _("Charter compliance"))
        self.tabs.addTab(self.review_page, _("Review (children)"))
        self.disparity_view = DisparityView(context, self)
        self.tabs.addTab(self.disparity_view, _("Disparity"))
        self.coverage_view = CoverageView(context, self)
        self.tabs.addTab(self.coverage_view, _("Coverage"))
        self.setCentralWidget(self.tabs)
        self.compliance_view.show_records.connect(self._show_verdict_records)

        self.detail = DetailPane(context, self)
        dock = QDockWidget(_("Record detail"), self)
        dock.setObjectName("detail_dock")
        dock.setWidget(self.detail)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, dock)
        self.resizeDocks([dock], [560], Qt.Orientation.Horizontal)

        self.importer = ImportController(context, self)
        self.actions: dict[str, QAction] = {}
        self._build_actions()
        self.records_page.table.selectionModel().selectionChanged.connect(
            lambda selected, _old: self._on_selection(self.records_page, selected))
        self.review_page.queue.record_selected.connect(
            lambda search_id: self.detail.show_record(search_id if search_id >= 0 else None))
        context.notifier.status_message.connect(lambda text: self.statusBar().showMessage(text, 15_000))
        context.notifier.records_changed.connect(self._on_records_changed)
        self.coverage_label = QLabel(self)
        self.statusBar().addPermanentWidget(self.coverage_label)
        self._coverage_slot = TaskSlot(self)
        self._coverage_slot.succeeded.connect(self._show_coverage)
        self._pack_slot = TaskSlot(self)
        self._pack_slot.succeeded.connect(lambda result: self.statusBar().showMessage(
            _("Review pack written to ") + str(result.path), 20_000))
        self._pack_slot.failed.connect(lambda message: QMessageBox.warning(self, _("Review pack"), message))
        self._update_coverage()
        if context.settings.window_geometry:
            self.restoreGeometry(QByteArray.fromBase64(context.settings.window_geometry.encode()))
        self.records_page.reload()

    def _build_actions(self) -> None:
        toolbar = QToolBar(_("Main"), self)
        toolbar.setObjectName("main_toolbar")
        self.addToolBar(toolbar)
        file_menu = self.menuBar().addMenu(_("&File"))
        specs = [
            (Actions.IMPORT_FILES, _("Import files…"), QKeySequence.StandardKey.Open, self.import_files),
            (Actions.IMPORT_FOLDER, _("Import folder…"), None, self.import_folder),
            (Actions.IMPORT_ZIP, _("Import police.uk zip…"), None, self.import_zip),
            (Actions.IMPORT_LOCAL, _("Import local extract…"), None, self.import_local_extract),
            (Actions.FETCH, _("Download from police.uk…"), None, self.show_fetch),
            (Actions.QUARANTINE, _("Quarantined rows…"), None, self.show_quarantine),
            (Actions.QUIT, _("Quit"), QKeySequence.StandardKey.Quit, self.close),
        ]
        for key, text, shortcut, slot in specs:
            action = QAction(text, self)
            action.setObjectName(key)
            if shortcut is not None:
                action.setShortcut(shortcut)
            action.triggered.connect(slot)
            self.actions[key] = action
            file_menu.addAction(action)
            if key != Actions.QUIT:
                toolbar.addAction(action)
        review_menu = self.menuBar().addMenu(_("&Review"))
        samples = QAction(_("Dip samples and panel meetings…"), self)
        samples.setObjectName(Actions.SAMPLES)
        samples.triggered.connect(self.show_samples)
        review_menu.addAction(samples)
        toolbar.addSeparator()
        toolbar.addAction(samples)
        self.actions[Actions.SAMPLES] = samples
        export = QAction(_("Export review pack…"), self)
        export.setObjectName(Actions.EXPORT_PACK)
        export.triggered.connect(self.export_pack)
        review_menu.addAction(export)
        toolbar.addAction(export)
        self.actions[Actions.EXPORT_PACK] = export
        patterns = QAction(_("Officer and team patterns…"), self)
        patterns.setObjectName("officer_patterns")
        patterns.triggered.connect(self.show_officer_patterns)
        review_menu.addAction(patterns)
        self.actions["officer_patterns"] = patterns
        help_menu = self.menuBar().addMenu(_("&Help"))
        about = QAction(_("About…"), self)
        about.setObjectName(Actions.ABOUT)
        about.triggered.connect(self.show_about)
        help_menu.addAction(about)
        self.actions[Actions.ABOUT] = about

    def show_officer_patterns(self):
        from stopsearch_app.ui.officer_view import OfficerPatternsDialog

        dialog = OfficerPatternsDialog(self._context, self)
        dialog.show()
        return dialog

    # --- import ---
    def _start_dir(self) -> str:
        return self._context.settings.last_import_folder or str(Path.home())

    def import_files(self) -> None:
        paths, _filter = QFileDialog.getOpenFileNames(
            self, _("Import stop-and-search files"), self._start_dir(),
            _("Stop-and-search files (*.csv *.json *.zip *.xlsx);;All files (*)"))
        if paths:
            self.start_import([Path(p) for p in paths])

    def import_folder(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _("Import every file in a folder"), self._start_dir())
        if folder:
            self.start_import([Path(folder)])

    def import_zip(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Import a police.uk archive"), self._start_dir(),
                                                    _("Zip archives (*.zip)"))
        if path:
            self.start_import([Path(path)])

    def import_local_extract(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, _("Import a local extract"), self._start_dir(),
                                                    _("Local extracts (*.csv *.xlsx)"))
        if path:
            self.map_and_import(Path(path))

    def map_and_import(self, path: Path) -> MappingDialog | None:
        """Open the column-mapping step; the import starts when the user accepts it."""
        from stopsearch_app.io.errors import ImportRefused

        try:
            dialog = MappingDialog(self._context, path, self)
        except ImportRefused as refused:
            QMessageBox.warning(self, _("Import"), refused.reason)
            return None
        dialog.accepted.connect(lambda: self.importer.start([path], dialog.mapping().force, "local", dialog.mapping()))
        dialog.open()
        return dialog

    def start_import(self, paths: list[Path], force: str | None = None) -> None:
        if self.importer.is_running():
            QMessageBox.information(self, _("Import"), _("An import is already running."))
            return
        self._context.settings.last_import_folder = str(paths[0].parent if paths[0].is_file() else paths[0])
        from stopsearch_app.io.policeuk import force_from_name

        needs_force = [p for p in paths if p.is_file() and p.suffix.lower() in (".csv", ".json")
                       and force_from_name(p.name) is None]
        if force is None and needs_force and not self.importer.show_report is False:
            text, ok = QInputDialog.getText(
                self, _("Which force?"),
                _("These file names do not say the force (YYYY-MM-<force>-stop-and-search.csv).\n"
                  "Police.uk force slug, e.g. metropolitan (leave blank to use the data or 'unknown'):"))
            if not ok:
                return
            force = text.strip().lower() or None
        self.importer.start(paths, force)

    fetch_base_url: str | None = None  # None: police.uk's own API (tests point it at a local server)

    def show_fetch(self):
        from stopsearch_app.ui.fetch_dialog import FetchDialog

        self.fetch_dialog = FetchDialog(self._context, self, base_url=self.fetch_base_url)
        self.fetch_dialog.open()
        self.fetch_dialog.find_months()
        return self.fetch_dialog

    def show_about(self):
        from stopsearch_app.ui.about_dialog import AboutDialog

        self.about_dialog = AboutDialog(self)
        self.about_dialog.open()
        return self.about_dialog

    def show_samples(self) -> None:
        self.samples_dialog = SamplesDialog(self._context, self)
        self.samples_dialog.open()

    def export_pack(self) -> None:
        """A review pack of the records the Records tab shows (redacted; see the samples dialog for samples)."""
        folder = QFileDialog.getExistingDirectory(self, _("Folder for the review pack"), self._start_dir())
        if folder:
            self.export_pack_to(Path(folder))

    def export_pack_to(self, folder: Path) -> TaskSlot:
        from stopsearch_app.services.commands_export import PackRequest, export_pack

        record_filter = self.records_page.effective_filter()
        request = PackRequest(out=folder, selection=record_filter.selection)
        engine, user = self._context.engine, self._context.user_name
        self._pack_slot.submit(lambda progress, cancelled: export_pack(engine, request, user=user))
        return self._pack_slot

    def show_quarantine(self) -> None:
        QuarantineDialog(self._context, None, self).open()

    # --- selection and status ---
    def _on_selection(self, page: RecordsPage, selected: QItemSelection) -> None:
        indexes = selected.indexes()
        self.detail.show_record(page.model.record_id(indexes[0].row()) if indexes else None)

    def _show_verdict_records(self, verdict_filter: RecordQuery) -> None:
        self.tabs.setCurrentWidget(self.records_page)
        self.records_page.show_verdict(verdict_filter)

    def _on_records_changed(self) -> None:
        self._update_coverage()

    def _update_coverage(self) -> None:
        """What is loaded (months, partial and missing months) is read on a worker thread."""
        engine = self._context.engine
        self._coverage_slot.submit(lambda progress, cancelled: coverage.load(engine))

    def coverage_loading(self) -> bool:
        return self._coverage_slot.is_busy()

    def _show_coverage(self, table) -> None:
        """The status bar's loaded, flagged and missing months, from the coverage table."""
        entries = table.entries
        self.records_page.filter_bar.reload_choices(sorted({entry.month for entry in entries}))
        flagged = [f"{entry.force} {entry.month}" for entry in entries if entry.flags]
        gaps = {force: months for force in table.forces if (months := table.missing_months(force))}
        text = f"{len(entries)} " + _("force-months loaded")
        if flagged:
            text += " · " + _("flagged: ") + ", ".join(flagged[:3]) + ("…" if len(flagged) > 3 else "")
        if gaps:
            text += " · " + _("missing months for ") + ", ".join(sorted(gaps))
        self.coverage_label.setText(text)
        self.coverage_label.setToolTip("\n".join(
            [f"{entry.force} {entry.month}: {entry.counts.records:,} " + _("records")
             + (" (" + "; ".join(entry.flag_details) + ")" if entry.flags else "") for entry in entries]
            + [f"{force}: " + _("missing") + f" {', '.join(months)}" for force, months in gaps.items()]
            + [_("See the Coverage tab for every field and flag.")]))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        self.disparity_view.shutdown()
        self.compliance_view.wait_idle()
        if self.importer.is_running():
            self.importer.cancel()
            if self.importer.task is not None:
                self.importer.task.wait(30_000)
        for page in (self.records_page, self.review_page, self.coverage_view):
            page.wait_idle()
        for slot in (self._coverage_slot, self._pack_slot):
            slot.wait(60_000)
        self._context.settings.window_geometry = bytes(self.saveGeometry().toBase64()).decode()
        try:
            self._context.save_settings()
        except OSError:
            pass
        super().closeEvent(event)
