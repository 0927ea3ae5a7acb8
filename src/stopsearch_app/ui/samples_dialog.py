"""Dip samples for scrutiny panels: draw a named, reproducible sample (size, seed, filters), preview it,
save it; list saved samples, open one in panel meeting mode or export it as a review pack (issue 5).

The draw itself is :func:`stopsearch_app.domain.review.draw` (stratified by age band x ethnic group, and
every child strip or suspicionless search in the selection as a separate must-see list, not in N); loading the
records runs off the UI thread.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (QAbstractItemView, QCheckBox, QComboBox, QDialog, QFileDialog, QFormLayout,
                               QGroupBox, QHBoxLayout, QHeaderView, QLabel, QLineEdit, QPushButton, QSpinBox,
                               QTableView, QVBoxLayout, QWidget)

from stopsearch_app.domain import review
from stopsearch_app.domain.selection import AgeBand, Selection
from stopsearch_app.i18n import _
from stopsearch_app.store import reviews
from stopsearch_app.store.queries import stats
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.simple_models import ListTableModel
from stopsearch_app.ui.tasks import BackgroundTask

ALL = ""
ERROR_STYLE = "color: #a12a00; font-weight: bold;"
OK_STYLE = "color: #1b5e20;"


class SamplesDialog(QDialog):
    """Draw, save, list and open dip samples."""

    panel_opened = Signal(object)  # the PanelModeWindow
    pack_exported = Signal(object)  # the PackResult

    def __init__(self, context: AppContext, parent: QWidget | None = None, *, panel_full_screen: bool = True) -> None:
        super().__init__(parent)
        self.setObjectName("samples_dialog")
        self.setWindowTitle(_("Dip samples for scrutiny panels"))
        self._context = context
        self._panel_full_screen = panel_full_screen
        self._task: BackgroundTask | None = None
        self._export_task: BackgroundTask | None = None
        self.preview: review.SampleDraw | None = None
        self._preview_key: tuple | None = None
        self.panels: list[QWidget] = []
        self.resize(1180, 640)

        layout = QHBoxLayout(self)
        saved_box = QGroupBox(_("Saved samples"), self)
        saved_layout = QVBoxLayout(saved_box)
        self.saved_model = ListTableModel(
            [(_("Name"), lambda s: s.name), (_("Random (N)"), lambda s: s.size - s.always_included),
             (_("Must-see"), lambda s: s.always_included),
             (_("Seed"), lambda s: s.seed), (_("Selection"), lambda s: s.filters.describe()),
             (_("Drawn by"), lambda s: s.created_by), (_("When"), lambda s: reviews.local_time_text(s.created_at))],
            [], self, tooltip=lambda s, c: s.strata)
        self.saved_table = QTableView(saved_box)
        self.saved_table.setObjectName("saved_samples")
        self.saved_table.setModel(self.saved_model)
        self.saved_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.saved_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.saved_table.verticalHeader().hide()
        self.saved_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        for column, width in enumerate((150, 80, 70, 90, 170, 90)):
            self.saved_table.setColumnWidth(column, width)
        self.saved_table.horizontalHeader().setStretchLastSection(True)
        saved_layout.addWidget(self.saved_table, 1)
        saved_buttons = QHBoxLayout()
        self.open_button = QPushButton(_("Open in panel meeting mode"), saved_box)
        self.open_button.setObjectName("open_panel")
        self.export_button = QPushButton(_("Export review pack…"), saved_box)
        self.export_button.setObjectName("export_pack")
        self.redact_box = QCheckBox(_("Redacted (for the panel)"), saved_box)
        self.redact_box.setObjectName("export_redacted")
        self.redact_box.setChecked(True)
        self.redact_box.setToolTip(_("Untick only for a pack for your own use: it then holds personal data"))
        self.print_button = QPushButton(_("Print report…"), saved_box)
        self.print_button.setObjectName("print_report")
        self.print_button.setToolTip(_("The panel's report as a PDF: period, the cases with their ratings, learning "
                                       "points, police responses awaited, charts"))
        for widget in (self.open_button, self.export_button, self.print_button, self.redact_box):
            saved_buttons.addWidget(widget)
        saved_buttons.addStretch(1)
        saved_layout.addLayout(saved_buttons)
        layout.addWidget(saved_box, 3)

        draw_box = QGroupBox(_("Draw a new sample"), self)
        form = QFormLayout(draw_box)
        self.name = QLineEdit(draw_box)
        self.name.setObjectName("sample_name")
        self.name.setText(_("Panel sample") + f" {date.today().isoformat()}")
        form.addRow(_("Name"), self.name)
        self.size = QSpinBox(draw_box)
        self.size.setObjectName("sample_size")
        self.size.setRange(0, 1000)
        self.size.setValue(10)
        self.size.setToolTip(_("Exactly this many records drawn at random. Every child strip search (MTS, EIP) and "
                               "every child s60 search is a separate must-see list, not counted in N."))
        form.addRow(_("Random cases (N)"), self.size)
        seed_row = QHBoxLayout()
        self.seed = QSpinBox(draw_box)
        self.seed.setObjectName("sample_seed")
        self.seed.setRange(0, review.MAX_SEED)
        self.seed.setValue(review.new_seed())
        self.new_seed_button = QPushButton(_("New seed"), draw_box)
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.new_seed_button)
        form.addRow(_("Seed"), seed_row)
        months = stats(context.engine).months
        self.month_from = self._combo(draw_box, "sample_from", _("first loaded"), months)
        self.month_to = self._combo(draw_box, "sample_to", _("last loaded"), months)
        form.addRow(_("From month"), self.month_from)
        form.addRow(_("To month"), self.month_to)
        self.force = self._combo(draw_box, "sample_force", _("every force"), context.labels.values("force"))
        form.addRow(_("Force"), self.force)
        self.borough = self._combo(draw_box, "sample_borough", _("every borough"), context.labels.values("borough"))
        form.addRow(_("Borough"), self.borough)
        self.children_only = QCheckBox(_("Children only"), draw_box)
        self.children_only.setObjectName("sample_children_only")
        self.children_only.setChecked(True)
        form.addRow("", self.children_only)
        self.ethnicity = QComboBox(draw_box)
        self.ethnicity.setObjectName("sample_ethnicity")
        self.ethnicity.addItem(_("Self-defined ethnic group"), "self")
        self.ethnicity.addItem(_("Officer-defined ethnicity"), "officer")
        form.addRow(_("Strata: age band x"), self.ethnicity)
        draw_buttons = QHBoxLayout()
        self.preview_button = QPushButton(_("Preview"), draw_box)
        self.preview_button.setObjectName("sample_preview")
        self.save_button = QPushButton(_("Save sample"), draw_box)
        self.save_button.setObjectName("sample_save")
        self.save_button.setEnabled(False)
        draw_buttons.addWidget(self.preview_button)
        draw_buttons.addWidget(self.save_button)
        draw_buttons.addStretch(1)
        form.addRow(draw_buttons)
        self.summary = QLabel(draw_box)
        self.summary.setObjectName("sample_summary")
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow(self.summary)
        self.strata_model = ListTableModel([(_("Stratum"), lambda r: r[0]), (_("Records"), lambda r: r[1]),
                                            (_("Drawn"), lambda r: r[2])], [], self)
        self.strata_table = QTableView(draw_box)
        self.strata_table.setObjectName("sample_strata")
        self.strata_table.setModel(self.strata_model)
        self.strata_table.verticalHeader().hide()
        self.strata_table.setColumnWidth(0, 200)
        self.strata_table.horizontalHeader().setStretchLastSection(True)
        form.addRow(self.strata_table)
        self.must_see_model = ListTableModel([(_("Must-see case"), lambda r: r[0]), (_("Why"), lambda r: r[1])],
                                             [], self)
        self.must_see_table = QTableView(draw_box)
        self.must_see_table.setObjectName("sample_must_see")
        self.must_see_table.setModel(self.must_see_model)
        self.must_see_table.verticalHeader().hide()
        self.must_see_table.setColumnWidth(0, 230)
        self.must_see_table.horizontalHeader().setStretchLastSection(True)
        form.addRow(self.must_see_table)
        self.message = QLabel(draw_box)
        self.message.setObjectName("samples_message")
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)
        form.addRow(self.message)
        layout.addWidget(draw_box, 2)

        self.new_seed_button.clicked.connect(lambda: self.seed.setValue(review.new_seed()))
        self.preview_button.clicked.connect(self.draw_preview)
        self.save_button.clicked.connect(self.save_sample)
        self.open_button.clicked.connect(lambda: self.open_panel())
        self.export_button.clicked.connect(lambda: self.export_selected())
        self.print_button.clicked.connect(lambda: self.print_report())
        self.saved_table.doubleClicked.connect(lambda _index: self.open_panel())
        for widget in (self.size, self.seed):
            widget.valueChanged.connect(self._params_changed)
        for combo in (self.month_from, self.month_to, self.force, self.borough, self.ethnicity):
            combo.currentIndexChanged.connect(self._params_changed)
        self.children_only.toggled.connect(self._params_changed)
        self.reload_saved()

    @staticmethod
    def _combo(parent: QWidget, name: str, first: str, values) -> QComboBox:
        combo = QComboBox(parent)
        combo.setObjectName(name)
        combo.addItem(first, ALL)
        for value in values:
            combo.addItem(str(value), value)
        return combo

    # --- drawing ------------------------------------------------------------------------------------
    def filters(self) -> Selection:
        month_from, month_to = self.month_from.currentData() or None, self.month_to.currentData() or None
        if month_from and month_to and month_from > month_to:  # picked back to front: the months between
            month_from, month_to = month_to, month_from
        return Selection.all_searches(
            month_from=month_from, month_to=month_to,
            forces=(self.force.currentData(),) if self.force.currentData() else (),
            boroughs=(self.borough.currentData(),) if self.borough.currentData() else (),
            age=AgeBand.CHILD if self.children_only.isChecked() else AgeBand.ALL, ethnicity=self.ethnicity.currentData())

    def _key(self) -> tuple:
        return (self.size.value(), self.seed.value(), self.filters())

    def _params_changed(self, *_args) -> None:
        if self._preview_key is not None and self._preview_key != self._key():
            self.save_button.setEnabled(False)
            self.summary.setText(_("The settings changed: preview again before saving."))

    def _set_message(self, text: str, *, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet(ERROR_STYLE if error else OK_STYLE)

    def draw_preview(self) -> None:
        if self._task is not None:
            return
        try:
            n, seed, filters = self._key()
        except ValueError as error:
            self._set_message(str(error), error=True)
            return
        engine, labels = self._context.engine, self._context.labels
        self.preview_button.setEnabled(False)
        self.summary.setText(_("Drawing…"))
        task = BackgroundTask(lambda progress, cancelled: reviews.preview_sample(engine, labels, n, seed, filters), self)
        self._task = task
        task.succeeded.connect(lambda drawn: self._show_preview(drawn, (n, seed, filters)))
        task.failed.connect(lambda message: self._set_message(_("Could not draw: ") + message, error=True))
        task.finished.connect(self._task_done)
        task.start()

    def _task_done(self) -> None:
        if self._task is not None:
            self._task.wait(10_000)
            self._task.deleteLater()
        self._task = None
        self.preview_button.setEnabled(True)

    def _show_preview(self, drawn: review.SampleDraw, key: tuple) -> None:
        self.preview, self._preview_key = drawn, key
        text = drawn.summary()
        if drawn.always_included:
            text += ". " + _("They are listed below and never counted in N.")
        if not drawn.record_ids:
            text = _("No records match these filters.")
        self.summary.setText(text)
        self.strata_model.set_rows([(stratum, size, taken) for stratum, (size, taken) in drawn.allocation.items()])
        self.must_see_model.set_rows([(rid, _(review.REASON_LABELS.get(reason, reason)))
                                      for rid, reason in drawn.reasons.items() if reason != review.RANDOM])
        self.save_button.setEnabled(bool(drawn.record_ids) and key == self._key())
        self._set_message("")

    def is_busy(self) -> bool:
        return self._task is not None or self._export_task is not None

    def save_sample(self) -> reviews.SavedSample | None:
        if self.preview is None or self._preview_key != self._key():
            self._set_message(_("Preview the sample before saving it."), error=True)
            return None
        try:
            saved = reviews.save_sample(self._context.engine, self.preview, self.name.text(),
                                        created_by=self._context.user_name)
        except ValueError as error:  # a taken or blank name
            self._set_message(str(error), error=True)
            return None
        self._set_message(_("Saved") + f" “{saved.name}”: {saved.size} " + _("cases"))
        self.save_button.setEnabled(False)
        self.reload_saved(select=saved.id)
        return saved

    # --- saved samples ------------------------------------------------------------------------------
    def reload_saved(self, select: int | None = None) -> None:
        rows = reviews.list_samples(self._context.engine)
        self.saved_model.set_rows(rows)
        if select is not None:
            for row, item in enumerate(rows):
                if item.id == select:
                    self.saved_table.selectRow(row)
        has_rows = bool(rows)
        self.open_button.setEnabled(has_rows)
        self.export_button.setEnabled(has_rows)
        self.print_button.setEnabled(has_rows)

    def selected_sample(self) -> reviews.SavedSample | None:
        rows = self.saved_table.selectionModel().selectedRows()
        if rows:
            return self.saved_model.row_object(rows[0].row())  # type: ignore[return-value]
        return self.saved_model.row_object(0) if self.saved_model.rowCount() else None  # type: ignore[return-value]

    def open_panel(self, sample_id: int | None = None):
        """Open a saved sample (the selected one by default) in panel meeting mode."""
        from stopsearch_app.ui.panel_mode import PanelModeWindow

        if sample_id is None:
            chosen = self.selected_sample()
            if chosen is None:
                return None
            sample_id = chosen.id
        window = PanelModeWindow(self._context, sample_id, None, full_screen=self._panel_full_screen)
        self.panels.append(window)
        window.open()
        self.panel_opened.emit(window)
        return window

    def export_selected(self, folder: str | Path | None = None) -> None:
        """Export the selected saved sample as a review pack (off the UI thread)."""
        from stopsearch_app.services.commands_export import PackRequest, export_pack

        chosen = self.selected_sample()
        if chosen is None or self._export_task is not None:
            return
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, _("Folder for the review pack"), str(Path.home()))
            if not folder:
                return
            folder = Path(folder) / f"review-pack-{chosen.name.replace(' ', '-')}"
        request = PackRequest(out=Path(folder), sample_name=chosen.name, redact=self.redact_box.isChecked(),
                              selection=_figures_of(chosen.filters))
        engine, labels, user = self._context.engine, self._context.labels, self._context.user_name
        self._set_message(_("Writing the review pack…"))
        task = BackgroundTask(lambda progress, cancelled: export_pack(engine, request, user=user, labels=labels,
                                                                      progress=progress), self)
        self._export_task = task
        task.succeeded.connect(self._exported)
        task.failed.connect(lambda message: self._set_message(_("Could not export: ") + message, error=True))
        task.finished.connect(self._export_done)
        task.start()

    def print_report(self, path: str | Path | None = None) -> None:
        """The selected sample's panel report (report.pdf) on its own: the same report a pack holds,
        written through a pack in a scratch folder so there is one way to make it."""
        import shutil
        import tempfile

        from stopsearch_app.services.commands_export import PackRequest, export_pack

        chosen = self.selected_sample()
        if chosen is None or self._export_task is not None:
            return
        if path is None:
            path, _filter = QFileDialog.getSaveFileName(self, _("Save the panel's report"),
                                                        str(Path.home() / f"report-{chosen.name.replace(' ', '-')}.pdf"),
                                                        _("PDF (*.pdf)"))
            if not path:
                return
        target = Path(path)
        request_for = lambda folder: PackRequest(out=folder, sample_name=chosen.name,  # noqa: E731
                                                 redact=self.redact_box.isChecked(),
                                                 selection=_figures_of(chosen.filters))
        engine, labels, user = self._context.engine, self._context.labels, self._context.user_name

        def run(progress, cancelled):
            with tempfile.TemporaryDirectory(prefix="stopsearch-report-") as scratch:
                result = export_pack(engine, request_for(Path(scratch) / "pack"), user=user, labels=labels,
                                     progress=progress)
                source = result.path / "report.pdf"
                if not source.is_file():
                    raise RuntimeError(str(result.manifest.get("report", {}).get("note", "no report written")))
                shutil.copyfile(source, target)
            return target

        self._set_message(_("Writing the report…"))
        task = BackgroundTask(run, self)
        self._export_task = task
        task.succeeded.connect(lambda written: self._set_message(_("Report written: ") + str(written)))
        task.failed.connect(lambda message: self._set_message(_("Could not write the report: ") + message, error=True))
        task.finished.connect(self._export_done)
        task.start()

    def _exported(self, result) -> None:
        self._set_message(_("Review pack written: ") + f"{result.path} ({result.records} " + _("records") + ", "
                          + (_("redacted") if result.redacted else _("NOT redacted: for your own use only")) + ")")
        self.pack_exported.emit(result)

    def _export_done(self) -> None:
        if self._export_task is not None:
            self._export_task.wait(10_000)
            self._export_task.deleteLater()
        self._export_task = None


def _figures_of(sample: Selection) -> Selection:
    """A saved sample's pack: the figures are London's, for the sample's age band and ethnicity source
    (the months come from the sample itself, in export_pack)."""
    return Selection.all_searches(age=sample.age, ethnicity=sample.ethnicity)
