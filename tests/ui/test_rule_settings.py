"""Rule settings from the app: turn rules off, let a guidance rule count as law, change a
parameter, save and re-check in one action; the run records what was changed."""

from __future__ import annotations

import json

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QSpinBox

from stopsearch_app.domain.charter.ruleset import default_ruleset
from stopsearch_app.settings import Settings
from stopsearch_app.store.checks import latest_run, run_check
from stopsearch_app.ui.main_window import MainWindow
from stopsearch_app.ui.rule_settings import RuleSettingsDialog, RuleSettingsModel
from tests.ui.test_compliance_view import open_tab, settle


def row_of(model, rule_id: str, column: int = 1) -> int:
    return next(row for row in range(model.rowCount()) if model.index(row, column).data() == rule_id)


def tick(model, rule_id: str, column: int, checked: bool) -> bool:
    state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
    return model.setData(model.index(row_of(model, rule_id), column), state.value, Qt.ItemDataRole.CheckStateRole)


def test_rule_settings_model_passes_qt_model_tester(qtmodeltester):
    qtmodeltester.check(RuleSettingsModel(default_ruleset(), {"enabled": {"K4": False}}))


def test_only_guidance_rules_can_count_as_law(qtbot):
    model = RuleSettingsModel(default_ruleset(), {})
    assert tick(model, "S5", 4, True)  # guidance
    assert not tick(model, "L1", 4, True)  # law already
    assert not tick(model, "K4", 4, True)  # policy stays policy
    assert model.settings() == {"promote_to_law": {"S5": True}}


def test_settings_saved_and_rechecked_in_one_action(qtbot, loaded_context, tmp_path):
    run_check(loaded_context.engine, run_by="Sgt Tester")
    loaded_context.data_changed()
    window = MainWindow(loaded_context)
    qtbot.addWidget(window)
    view = window.compliance_view
    open_tab(qtbot, window, view)
    assert "the charter's rule settings" in view.run_label.text()

    view.settings_button.click()
    dialog: RuleSettingsDialog = view.settings_dialog
    assert tick(dialog.model, "K4", 0, False) and tick(dialog.model, "S5", 4, True)
    dialog.table.selectRow(row_of(dialog.model, "G1"))
    spin = dialog.findChild(QSpinBox, "param_G1_min_words")
    assert spin.value() == 12
    spin.setValue(20)
    assert dialog.summary.text().endswith("K4 off; S5 counts as law; G1 min_words 20")
    dialog.save_button.click()
    settle(qtbot, window)

    saved = Settings.load(tmp_path / "settings.json")
    assert saved.rule_settings == {"enabled": {"K4": False}, "promote_to_law": {"S5": True},
                                   "params": {"G1": {"min_words": 20}}}
    run = latest_run(loaded_context.engine)
    rules = {rule["id"]: rule for rule in json.loads(run["ruleset_json"])["rules"]}
    assert run["run_by"] == "Sgt Tester" and rules["K4"]["enabled"] is False
    assert rules["S5"]["promote_to_law"] and rules["G1"]["params"]["min_words"] == 20
    assert run["ruleset_hash"] != default_ruleset().content_hash
    assert "rule settings: K4 off; S5 counts as law; G1 min_words 20" in view.run_label.text()
    assert "have changed since" not in view.run_label.text()
    k4 = row_of(view.model, "K4", column=0)
    assert {view.model.index(k4, c).data() for c in range(4, view.model.columnCount())} == {"off"}
    assert "Turned off in this check's rule settings (no verdicts): K4." in view.coverage_label.text()
    assert "K4" not in view.coverage_label.text().split("Not assessable")[-1].split("Turned off")[0]
    s5 = row_of(view.model, "S5", column=0)
    assert view.model.index(s5, 2).data() == "law"  # a promoted guidance rule counts as law

    view.settings_button.click()  # back to the charter's settings: the label says a re-check is due
    view.settings_dialog.restore_button.click()
    assert view.settings_dialog.settings() == {}
    view.settings_dialog.reject()
    assert loaded_context.settings.rule_settings  # cancelled: nothing changed


def test_unusable_settings_are_reported_not_run(qtbot, loaded_context, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    loaded_context.settings.rule_settings = {"promote_to_law": {"L1": True}}  # e.g. a hand-edited file
    warnings = []
    monkeypatch.setattr(QMessageBox, "warning", lambda *args: warnings.append(args[2]))
    window = MainWindow(loaded_context)
    qtbot.addWidget(window)
    open_tab(qtbot, window, window.compliance_view)
    window.compliance_view.recheck()
    assert warnings and "only a guidance rule can be promoted" in warnings[0]
    assert latest_run(loaded_context.engine) is None


def test_settings_files_from_before_rule_settings_still_load(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"schema_version": 1, "user_name": "Sgt Old", "user_confirmed": True}))
    settings = Settings.load(path)
    assert settings.user_name == "Sgt Old" and settings.rule_settings == {} and settings.schema_version == 2


def test_the_label_counts_searches_from_a_rule_that_ran_and_says_when_settings_moved_on(qtbot, loaded_context):
    from stopsearch_app.domain.charter.ruleset import ruleset_from_settings

    run_check(loaded_context.engine, ruleset_from_settings({"enabled": {"L1": False}}), run_by="Sgt Tester")
    loaded_context.data_changed()
    loaded_context.settings.rule_settings = {"enabled": {"L1": False, "K4": True}}  # K4 is on anyway: no change
    window = MainWindow(loaded_context)
    qtbot.addWidget(window)
    view = window.compliance_view
    open_tab(qtbot, window, view)
    label = view.run_label.text()
    assert "1,856 searches of children" in label and "rule settings: L1 off" in label
    assert "differ from this check's" not in label

    loaded_context.settings.rule_settings = {}
    view.reload()
    settle(qtbot, window)
    assert "differ from this check's: re-check to apply them" in view.run_label.text()


def test_settings_cannot_change_while_a_check_runs(qtbot, loaded_context):
    window = MainWindow(loaded_context)
    qtbot.addWidget(window)
    view = window.compliance_view
    open_tab(qtbot, window, view)
    view.recheck()
    assert not view.settings_button.isEnabled() and not view.recheck_button.isEnabled()
    settle(qtbot, window)
    assert view.settings_button.isEnabled() and view.recheck_button.isEnabled()


def test_a_hand_edited_settings_file_loses_the_bad_entries_not_the_app(qtbot, loaded_context):
    from PySide6.QtWidgets import QComboBox

    loaded_context.settings.rule_settings = {"comment": "x", "enabled": ["K4"], "promote_to_law": {"S6": True},
                                             "params": {"G1": 20, "C6": {"detention_minutes": {"a": 1}},
                                                        "S5": {"min_rank": "supt"}}}
    assert loaded_context.ruleset().rule("S6").promote_to_law
    dialog = RuleSettingsDialog(default_ruleset(), loaded_context.settings.rule_settings)
    qtbot.addWidget(dialog)
    assert dialog.settings() == {"promote_to_law": {"S6": True}, "params": {"S5": {"min_rank": "supt"}}}
    dialog.table.selectRow(row_of(dialog.model, "S5"))
    assert dialog.findChild(QComboBox, "param_S5_min_rank").currentText() == "superintendent"
    dialog.table.selectRow(row_of(dialog.model, "C6"))
    assert dialog.findChild(QSpinBox, "param_C6_detention_minutes").value() == 20  # the charter's value
