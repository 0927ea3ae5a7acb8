"""Importing from the app: off the UI thread with a progress bar and a cancel button that rolls the
current file back; then a report (imported / duplicates / quarantined) with the quarantine a click away."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QFileDialog, QHeaderView, QLabel, QPlainTextEdit,
                               QProgressDialog, QPushButton, QTableView, QVBoxLayout, QWidget)

from stopsearch_app.i18n import _
from stopsearch_app.services.import_process import can_run_in_child, import_in_child
from stopsearch_app.io.readers import make_reader
from stopsearch_app.io.safe_csv import write_csv
from stopsearch_app.io.sources import expand
from stopsearch_app.store.importer import ImportReport, import_sources
from stopsearch_app.store.queries import quarantined_rows
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.simple_models import ListTableModel
from stopsearch_app.ui.tasks import BackgroundTask


class ImportController(QObject):
    """Runs one import at a time and reports back; the window keeps one of these."""

    finished = Signal(object)  # ImportReport

    def __init__(self, context: AppContext, parent_widget: QWidget) -> None:
        super().__init__(parent_widget)
        self._context = context
        self._parent = parent_widget
        self.task: BackgroundTask | None = None
        self.progress_dialog: QProgressDialog | None = None
        self.show_report = True

    def is_running(self) -> bool:
        return self.task is not None

    def start(self, paths: list[Path], force: str | None = None, fmt: str = "auto", mapping=None) -> None:
        if self.task is not None:
            return
        engine, user = self._context.engine, self._context.user_name
        url = engine.url.render_as_string(hide_password=False)

        def run(progress, is_cancelled) -> ImportReport:
            if can_run_in_child(url):  # keeps the UI thread free of the import's work (see import_process)
                return import_in_child(url, paths, force=force, fmt=fmt,
                                       mapping_json=mapping.to_json() if mapping is not None else None,
                                       user=user, progress=progress, is_cancelled=is_cancelled)
            return import_sources(engine, list(expand(paths)), make_reader(force, fmt, mapping), imported_by=user,
                                  mapping_profile=getattr(mapping, "name", None), progress=progress,
                                  is_cancelled=is_cancelled)

        dialog = QProgressDialog(_("Importing…"), _("Cancel"), 0, 0, self._parent)
        dialog.setObjectName("import_progress")
        dialog.setWindowTitle(_("Import"))
        dialog.setWindowModality(Qt.WindowModality.WindowModal)
        dialog.setMinimumDuration(0)
        dialog.setAutoClose(False)
        dialog.setAutoReset(False)
        self.progress_dialog = dialog
        task = BackgroundTask(run, self)
        self.task = task
        task.progressed.connect(self._on_progress)
        task.succeeded.connect(self._on_done)
        task.failed.connect(self._on_failed)
        task.finished.connect(self._on_finished)
        dialog.canceled.connect(self.cancel)
        task.start()
        dialog.show()

    def cancel(self) -> None:
        if self.task is not None:
            self.task.cancel()
            if self.progress_dialog is not None:
                self.progress_dialog.setLabelText(_("Cancelling: rolling back the current file…"))

    def _on_progress(self, done: int, total: int, message: str) -> None:
        dialog = self.progress_dialog
        if dialog is None:
            return
        # setValue() of a modal progress dialog processes events, which may finish the import: last.
        dialog.setLabelText(message)
        dialog.setMaximum(max(total, 0))
        dialog.setValue(min(done, total) if total else 0)

    def _on_done(self, report: ImportReport) -> None:
        self._context.data_changed()
        self.finished.emit(report)
        if self.show_report:
            ImportReportDialog(self._context, report, self._parent).open()

    def _on_failed(self, message: str) -> None:
        self._context.notifier.status_message.emit(_("Import failed: ") + message)
        report = ImportReport()
        self.finished.emit(report)

    def _on_finished(self) -> None:
        if self.progress_dialog is not None:
            self.progress_dialog.reset()
            self.progress_dialog.deleteLater()
            self.progress_dialog = None
        if self.task is not None:
            self.task.deleteLater()
        self.task = None


class ImportReportDialog(QDialog):
    def __init__(self, context: AppContext, report: ImportReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("import_report")
        self.setWindowTitle(_("Import report"))
        self.resize(980, 420)
        self._context = context
        self._report = report
        layout = QVBoxLayout(self)
        summary = (f"{report.imported:,} " + _("records imported") + f", {report.duplicates:,} "
                   + _("duplicates skipped") + f", {report.quarantined:,} " + _("rows quarantined"))
        if report.cancelled:
            summary += " — " + _("cancelled: the file in progress was rolled back")
        if report.failed:
            summary += f" — {len(report.failed)} " + _("file(s) refused")
        self.summary = QLabel(summary, self)
        self.summary.setObjectName("import_summary")
        layout.addWidget(self.summary)
        self.files_model = ListTableModel([
            (_("File"), lambda f: Path(f.path).name), (_("Format"), lambda f: f.format),
            (_("Force"), lambda f: f.force), (_("Rows read"), lambda f: f"{f.rows_read:,}"),
            (_("Imported"), lambda f: f"{f.imported:,}"), (_("Duplicates"), lambda f: f"{f.duplicates:,}"),
            (_("Quarantined"), lambda f: f"{f.quarantined:,}"), (_("Problem"), lambda f: f.error or ""),
        ], report.files, self)
        table = QTableView(self)
        table.setModel(self.files_model)
        table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        table.horizontalHeader().setStretchLastSection(True)
        layout.addWidget(table)
        warnings = [w for f in report.files for w in f.warnings]
        if warnings:
            text = QPlainTextEdit("\n".join(warnings), self)
            text.setReadOnly(True)
            text.setMaximumHeight(110)
            layout.addWidget(QLabel(_("Warnings:"), self))
            layout.addWidget(text)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.quarantine_button = QPushButton(_("View quarantine…"), self)
        self.quarantine_button.setEnabled(report.quarantined > 0)
        buttons.addButton(self.quarantine_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.quarantine_button.clicked.connect(self.show_quarantine)
        layout.addWidget(buttons)

    def show_quarantine(self) -> None:
        batch_ids = [f.batch_id for f in self._report.files if f.batch_id and f.quarantined]
        QuarantineDialog(self._context, batch_ids, self).open()


class QuarantineDialog(QDialog):
    """Rows that could not be read, with their line, reason and raw text; exportable to CSV."""

    COLUMNS = ("file_name", "row_number", "reason", "raw_text")

    def __init__(self, context: AppContext, batch_ids: list[int] | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("quarantine")
        self.setWindowTitle(_("Quarantined rows"))
        self.resize(1000, 480)
        self.rows = quarantined_rows(context.engine, batch_ids)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"{len(self.rows):,} " + _("rows could not be read. Nothing was dropped: "
                                                             "fix them at source and import again."), self))
        self.model = ListTableModel([
            (_("File"), lambda r: r["file_name"]), (_("Row"), lambda r: r["row_number"]),
            (_("Reason"), lambda r: r["reason"]), (_("Raw text"), lambda r: r["raw_text"][:300]),
        ], self.rows, self)
        table = QTableView(self)
        table.setModel(self.model)
        table.horizontalHeader().setStretchLastSection(True)
        table.setColumnWidth(0, 240)
        table.setColumnWidth(2, 320)
        layout.addWidget(table)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        self.export_button = QPushButton(_("Export to CSV…"), self)
        self.export_button.setEnabled(bool(self.rows))
        buttons.addButton(self.export_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.export_button.clicked.connect(self._ask_export)
        layout.addWidget(buttons)

    def _ask_export(self) -> None:
        path, _filter = QFileDialog.getSaveFileName(self, _("Export quarantine"), "quarantine.csv", "CSV (*.csv)")
        if path:
            self.export(Path(path))

    def export(self, path: Path) -> int:
        return write_csv(path, self.COLUMNS, ([row[c] for c in self.COLUMNS] for row in self.rows))
