"""The column-mapping dialog: guess, correct, preview, save and reuse a profile on a renamed copy."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox

from stopsearch_app.io.synthetic_extract import generate_extract, write_csv
from stopsearch_app.ui.main_window import MainWindow
from stopsearch_app.ui.mapping_dialog import MappingDialog, MappingModel

RENAMES = {"source_ref": "Search Ref", "occurred_at": "Date/Time", "age_years": "Age", "grounds_text": "Grounds",
           "aa_present": "AA present", "search_level": "Search level", "legislation": "Power",
           "bwv_activated": "BWV", "person_ref": "Subject ID", "borough": "Borough"}


def renamed_extract(tmp_path, rows=200):
    frame = generate_extract(rows=rows, seed=11)
    frame = frame.rename(columns=RENAMES)
    frame = frame[list(reversed(frame.columns))]  # reordered too
    return write_csv(tmp_path / "renamed.csv", frame), frame


def target_row(model: MappingModel, header: str) -> int:
    return next(row for row in range(model.rowCount()) if model.data(model.index(row, 0)) == header)


def test_guess_preview_correct_and_save(qtbot, context, tmp_path):
    path, frame = renamed_extract(tmp_path)
    dialog = MappingDialog(context, path, profiles_folder=tmp_path / "profiles")
    qtbot.addWidget(dialog)
    mapping = dialog.mapping()
    assert mapping.columns["Search Ref"] == "source_ref" and mapping.columns["Date/Time"] == "occurred_at"
    assert mapping.columns["Grounds"] == "grounds_text" and mapping.columns["AA present"] == "aa_present"
    ok = dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)
    assert ok.isEnabled() and "would be quarantined" in dialog.message.text()
    assert dialog.preview_model.rowCount() == 20
    # map two columns to one field: refused, with the reason, and Import disabled
    model = dialog.model
    model.setData(model.index(target_row(model, "Borough"), MappingModel.TARGET), "grounds_text", Qt.ItemDataRole.EditRole)
    assert not ok.isEnabled() and "all mapped to 'grounds_text'" in dialog.message.text()
    model.setData(model.index(target_row(model, "Borough"), MappingModel.TARGET), "borough", Qt.ItemDataRole.EditRole)
    assert ok.isEnabled()
    saved = dialog.save_profile("Synthetic renamed")
    assert saved.exists() and dialog.profile_combo.currentText() == "Synthetic renamed"


def test_saved_profile_imports_a_renamed_reordered_copy(qtbot, context, tmp_path, monkeypatch):
    import stopsearch_app.io.mapping as mapping_module

    monkeypatch.setattr(mapping_module, "profiles_dir", lambda: tmp_path / "profiles")
    path, frame = renamed_extract(tmp_path)
    first = MappingDialog(context, path)
    qtbot.addWidget(first)
    first.save_profile("Synthetic renamed")

    window = MainWindow(context)
    qtbot.addWidget(window)
    window.importer.show_report = False
    dialog = window.map_and_import(path)
    dialog.profile_combo.setCurrentIndex(dialog.profile_combo.findData("Synthetic renamed"))
    assert dialog.mapping().columns["Subject ID"] == "person_ref"
    with qtbot.waitSignal(window.importer.finished, timeout=60_000) as blocker:
        dialog.accept()
    report = blocker.args[0]
    assert not report.failed and report.imported + report.quarantined == len(frame)
    assert report.imported > 150
    qtbot.waitUntil(lambda: not window.records_page.is_loading(), timeout=10_000)
