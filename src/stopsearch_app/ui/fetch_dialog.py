"""File → Download from police.uk…: pick a force and months, download and import them off the UI
thread (fetch.fetch_force), with progress and cancel; the report names failed and skipped months."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QComboBox, QDialog, QDialogButtonBox, QFormLayout, QHBoxLayout, QLabel,
                               QProgressBar, QPushButton, QVBoxLayout, QWidget)

from stopsearch_app.i18n import _
from stopsearch_app.resources import load_toml
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.tasks import BackgroundTask


def months_text(months: list[str]) -> str:
    """Every month named, runs of consecutive months shortened to 'first – last' (a line, not twelve)."""
    from stopsearch_app.io.policeuk_api import months_between

    runs: list[list[str]] = []
    for month in sorted(months):
        if runs and months_between(runs[-1][-1], month)[1:] == [month]:
            runs[-1].append(month)
        else:
            runs.append([month])
    return ", ".join(run[0] if len(run) == 1 else f"{run[0]} – {run[-1]}" for run in runs)


def force_choices() -> list[tuple[str, str]]:
    """(slug, name) of the police.uk forces (resources/policeuk/forces.toml)."""
    return [(entry["slug"], entry["name"]) for entry in load_toml("policeuk", "forces.toml")["force"]]


class FetchDialog(QDialog):
    finished_fetch = Signal(object)  # the FetchReport, or None after an error

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, base_url: str | None = None,
                 cache_folder=None) -> None:
        super().__init__(parent)
        self.setObjectName("fetch_dialog")
        self.setWindowTitle(_("Download from police.uk"))
        self.setMinimumWidth(560)
        self._context = context
        self._base_url = base_url
        self._cache_folder = cache_folder
        self._months_task: BackgroundTask | None = None
        self.task: BackgroundTask | None = None
        self.report = None

        layout = QVBoxLayout(self)
        intro = QLabel(_("Downloads a force's stop-and-search months from the police.uk API and imports them "
                         "(re-downloading a month adds only what is new). The answers are kept in your data "
                         "folder, so they can be imported again without the network."), self)
        intro.setWordWrap(True)
        layout.addWidget(intro)
        form = QFormLayout()
        self.force_box = QComboBox(self)
        self.force_box.setObjectName("fetch_force")
        self.force_box.setEditable(True)
        self.force_box.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        for slug, name in force_choices():
            self.force_box.addItem(f"{name} ({slug})", slug)
        self.force_box.setCurrentIndex(max(0, self.force_box.findData("metropolitan")))
        self.force_box.activated.connect(lambda _index: self.find_months())
        form.addRow(_("Force:"), self.force_box)
        months_row = QHBoxLayout()
        self.from_box = QComboBox(self)
        self.from_box.setObjectName("fetch_from")
        self.to_box = QComboBox(self)
        self.to_box.setObjectName("fetch_to")
        months_row.addWidget(self.from_box)
        months_row.addWidget(QLabel(_("to"), self))
        months_row.addWidget(self.to_box)
        self.find_button = QPushButton(_("Find months"), self)
        self.find_button.setObjectName("fetch_find_months")
        self.find_button.clicked.connect(self.find_months)
        months_row.addWidget(self.find_button)
        months_row.addStretch(1)
        form.addRow(_("Months:"), months_row)
        layout.addLayout(form)
        self.progress = QProgressBar(self)
        self.progress.setObjectName("fetch_progress")
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        layout.addWidget(self.progress)
        self.status = QLabel(_("Choose a force; its months are asked of police.uk."), self)
        self.status.setObjectName("fetch_status")
        self.status.setWordWrap(True)
        self.status.setMinimumHeight(6 * self.status.fontMetrics().lineSpacing())
        self.status.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.status, 1)
        self.buttons = QDialogButtonBox(self)
        self.download_button = self.buttons.addButton(_("Download and import"),
                                                      QDialogButtonBox.ButtonRole.AcceptRole)
        self.download_button.setObjectName("fetch_start")
        self.download_button.setEnabled(False)
        self.cancel_button = self.buttons.addButton(_("Cancel"), QDialogButtonBox.ButtonRole.RejectRole)
        self.cancel_button.setObjectName("fetch_cancel")
        self.download_button.clicked.connect(self.start)
        self.cancel_button.clicked.connect(self.cancel_or_close)
        layout.addWidget(self.buttons)

    # --- the force's months ---
    def force(self) -> str:
        index = self.force_box.findText(self.force_box.currentText())
        data = self.force_box.itemData(index) if index >= 0 else None
        return (data or self.force_box.currentText()).strip().lower()

    def _api(self):
        from stopsearch_app.io.policeuk_api import DEFAULT_BASE_URL, PoliceUkApi

        return PoliceUkApi(base_url=self._base_url or DEFAULT_BASE_URL)

    def find_months(self) -> None:
        if self._months_task is not None or self.is_running():
            return
        force, api = self.force(), self._api()
        self.status.setText(_("Asking police.uk which months it has for ") + force + "…")
        self.find_button.setEnabled(False)
        self.download_button.setEnabled(False)

        def months(progress, cancelled):
            with api:
                return api.force_months(force)

        task = BackgroundTask(months, self)
        task.succeeded.connect(lambda listed: self._show_months(force, listed))
        task.failed.connect(lambda message: self.status.setText(_("Could not get the months: ") + message))
        task.finished.connect(self._months_done)
        self._months_task = task
        task.start()

    def _months_done(self) -> None:
        if self._months_task is not None:
            self._months_task.deleteLater()
        self._months_task = None
        self.find_button.setEnabled(True)

    def _show_months(self, force: str, listed) -> None:
        for box in (self.from_box, self.to_box):
            box.clear()
            for month in reversed(listed.available):  # newest first: the usual choice is the latest
                box.addItem(month, month)
        if not listed.available:
            self.status.setText(_("police.uk has no stop-and-search months for ") + f"'{force}'.")
            return
        self.download_button.setEnabled(True)
        text = (f"{force}: {len(listed.available)} " + _("months on police.uk, ") + listed.available[0]
                + " – " + listed.available[-1] + ".")
        if listed.unavailable:
            text += " " + _("Not published for this force: ") + months_text(listed.unavailable) + "."
        self.status.setText(text)

    # --- the download ---
    def is_running(self) -> bool:
        return self.task is not None

    def months(self) -> tuple[str, str]:
        first, last = self.from_box.currentData(), self.to_box.currentData()
        return (min(first, last), max(first, last)) if first and last else (first or last, last or first)

    def start(self) -> BackgroundTask | None:
        if self.is_running() or not self.from_box.count():
            return None
        from stopsearch_app.services.fetch import fetch_force

        force, (first, last) = self.force(), self.months()
        engine, user, api, cache = self._context.engine, self._context.user_name, self._api(), self._cache_folder
        self.report = None
        self.download_button.setEnabled(False)
        self.find_button.setEnabled(False)
        self.cancel_button.setText(_("Cancel"))
        self.progress.setRange(0, 0)
        self.status.setText(_("Starting…"))
        task = BackgroundTask(lambda progress, cancelled: fetch_force(
            engine, force, first, last, api=api, cache_folder=cache, imported_by=user,
            progress=progress, is_cancelled=cancelled), self)
        task.progressed.connect(self._on_progress)
        task.succeeded.connect(self._on_done)
        task.failed.connect(self._on_failed)
        task.finished.connect(self._on_finished)
        self.task = task
        task.start()
        return task

    def _on_progress(self, done: int, total: int, message: str) -> None:
        if total:
            self.progress.setRange(0, total)
            self.progress.setValue(done)
        else:
            self.progress.setRange(0, 0)
        self.status.setText(message)

    def _on_done(self, report) -> None:
        self.report = report
        lines = [f"{report.imports.imported:,} " + _("searches imported, ") + f"{report.imports.duplicates:,} "
                 + _("already loaded, ") + f"{report.imports.quarantined:,} " + _("quarantined.")]
        if report.months_fetched:
            lines.append(_("Imported: ") + ", ".join(report.months_fetched))
        if report.months_failed:
            lines.append(_("Failed (download again to complete): ") + "; ".join(
                f"{item['month']}: {item['error']}" for item in report.months_failed))
        if report.months_unavailable:
            lines.append(_("Not on police.uk for this force (skipped): ") + months_text(report.months_unavailable))
        if report.cancelled:
            lines.append(_("Cancelled: the month in progress was not kept."))
        self.status.setText("\n".join(lines))
        if report.imports.imported:
            self._context.data_changed()
        self.finished_fetch.emit(report)

    def _on_failed(self, message: str) -> None:
        self.status.setText(_("Download failed: ") + message)
        self.finished_fetch.emit(None)

    def _on_finished(self) -> None:
        if self.task is not None:
            self.task.deleteLater()
        self.task = None
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if self.report is not None else 0)
        self.download_button.setEnabled(self.from_box.count() > 0)
        self.find_button.setEnabled(True)
        self.cancel_button.setText(_("Close"))

    def cancel_or_close(self) -> None:
        if self.task is not None:
            self.task.cancel()
            self.status.setText(_("Cancelling after the current request…"))
            return
        self.reject()

    def done(self, result: int) -> None:  # noqa: D401 - Qt name; never close under a running task
        for task in (self.task, self._months_task):
            if task is not None:
                task.cancel()
                task.wait(60_000)
        super().done(result)
