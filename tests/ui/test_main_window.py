"""The main window as a user drives it: filters, selection and detail, import with progress and cancel."""

from __future__ import annotations

from PySide6.QtCore import Qt

from stopsearch_app.ui.main_window import MainWindow
from tests.conftest import POLICEUK


def wait_loaded(qtbot, window):
    qtbot.waitUntil(lambda: not (window.records_page.is_loading() or window.review_page.is_loading()
                                 or window.compliance_view.is_loading() or window.coverage_loading()),
                    timeout=15_000)


def test_opens_on_the_records_and_filters_to_children(qtbot, loaded_context):
    window = MainWindow(loaded_context)
    qtbot.addWidget(window)
    wait_loaded(qtbot, window)
    page = window.records_page
    assert page.model.rowCount() == 12_447
    page.filter_bar.children_only.setChecked(True)
    wait_loaded(qtbot, window)
    assert page.model.rowCount() == 1_856
    assert "1,856 of 12,447 records shown" in page.count_label.text()
    page.filter_bar.age.setCurrentIndex(page.filter_bar.age.findText("under 10"))
    wait_loaded(qtbot, window)
    assert page.model.rowCount() == 2
    page.filter_bar.reset()
    wait_loaded(qtbot, window)
    assert page.model.rowCount() == 12_447


def test_selecting_a_record_fills_the_detail_pane(qtbot, loaded_context):
    window = MainWindow(loaded_context)
    qtbot.addWidget(window)
    wait_loaded(qtbot, window)
    window.records_page.table.selectRow(0)
    rows = dict(window.detail.model.rows())
    assert rows["Child status"] == "Child (under 18)" and rows["Age range"] == "10-17"
    assert rows["Outcome linked to object of search"] == "not recorded"
    assert rows["Grounds"] == "not in this source"  # police.uk carries no grounds text
    assert window.detail.title.text().startswith("<b>metropolitan-2022-09-")


def test_import_runs_off_the_ui_thread_and_reports(qtbot, context, met_file):
    window = MainWindow(context)
    qtbot.addWidget(window)
    wait_loaded(qtbot, window)
    window.importer.show_report = False
    with qtbot.waitSignal(window.importer.finished, timeout=60_000) as blocker:
        window.start_import([met_file])
    report = blocker.args[0]
    assert report.imported == 12_447 and not report.cancelled
    wait_loaded(qtbot, window)
    assert window.records_page.model.rowCount() == 12_447
    assert "1 force-months loaded" in window.coverage_label.text()
    assert window.records_page.filter_bar.force.findText("metropolitan") >= 0


def test_cancel_rolls_back_and_keeps_the_ui_alive(qtbot, context, met_file, monkeypatch):
    import stopsearch_app.io.policeuk as policeuk

    monkeypatch.setattr(policeuk, "CHUNK_BYTES", 100_000)
    window = MainWindow(context)
    qtbot.addWidget(window)
    wait_loaded(qtbot, window)
    window.importer.show_report = False
    with qtbot.waitSignal(window.importer.finished, timeout=60_000) as blocker:
        window.start_import([met_file])
        window.importer.cancel()
    assert blocker.args[0].cancelled and blocker.args[0].imported == 0
    wait_loaded(qtbot, window)
    assert window.records_page.model.rowCount() == 0


def test_report_dialog_shows_quarantine(qtbot, context, write_file):
    from stopsearch_app.ui.import_flow import ImportReportDialog, QuarantineDialog
    from tests.helpers import archive_csv, import_paths
    from tests.io.test_policeuk_quirks import MET_ROW

    path = write_file("2022-09-metropolitan-stop-and-search.csv",
                      archive_csv(MET_ROW, MET_ROW.replace("2022-08-31T23:00:00+00:00", "yesterday")))
    report = import_paths(context.engine, path)
    dialog = ImportReportDialog(context, report)
    qtbot.addWidget(dialog)
    assert "1 records imported" in dialog.summary.text() and "1 rows quarantined" in dialog.summary.text()
    assert dialog.quarantine_button.isEnabled()
    quarantine = QuarantineDialog(context, [report.files[0].batch_id])
    qtbot.addWidget(quarantine)
    assert quarantine.model.rowCount() == 1
    assert "yesterday" in quarantine.model.data(quarantine.model.index(0, 2), Qt.ItemDataRole.DisplayRole)
    exported = write_file("q.csv", b"")
    assert quarantine.export(exported) == 1
    assert exported.read_bytes().startswith(b"\xef\xbb\xbf")


def test_whole_folder_import_through_the_window(qtbot, context):
    window = MainWindow(context)
    qtbot.addWidget(window)
    window.importer.show_report = False
    with qtbot.waitSignal(window.importer.finished, timeout=120_000) as blocker:
        window.start_import([POLICEUK], force="")
    assert blocker.args[0].quarantined == 0 and not blocker.args[0].failed
