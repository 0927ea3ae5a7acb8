"""The compliance overview, the verdicts in the detail pane and the needs-review list, on real data."""

from __future__ import annotations

from PySide6.QtCore import Qt

from stopsearch_app.store.checks import run_check
from stopsearch_app.ui.compliance_view import RuleIdRole, VerdictKeyRole
from stopsearch_app.ui.main_window import MainWindow


def settle(qtbot, window):
    qtbot.waitUntil(lambda: not (window.records_page.is_loading() or window.review_page.is_loading()
                                 or window.compliance_view.is_loading() or window.coverage_loading()),
                    timeout=20_000)


def open_tab(qtbot, window, tab):
    """Tabs compute when shown (RefreshWhenShown): show the window and bring the tab forward."""
    window.show()
    qtbot.waitExposed(window)
    window.tabs.setCurrentWidget(tab)
    settle(qtbot, window)


def cell(view, rule_id: str, verdict_key: str):
    model = view.model
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data(RuleIdRole) == rule_id)
    column = next(c for c in range(model.columnCount()) if model.index(row, c).data(VerdictKeyRole) == verdict_key)
    return model.index(row, column)


def test_met_police_uk_file_is_honest_about_what_it_cannot_assess(qtbot, loaded_context):
    run_check(loaded_context.engine, run_by="Sgt Tester")
    loaded_context.data_changed()
    window = MainWindow(loaded_context)
    qtbot.addWidget(window)
    open_tab(qtbot, window, window.compliance_view)
    view = window.compliance_view
    counts = view.model.counts()
    assert int(counts.loc["S1"].sum()) == 1_856  # children only by default
    for rule_id in ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "G1", "G2", "G3", "G4", "C1", "C2", "C3", "C4",
                    "C5", "C6"):
        assert counts.at[rule_id, "not_assessable"] == 1_856, rule_id
    assert counts.at["S9", "not_recorded"] == 1_856  # the Met file leaves "Removal..." blank
    assert counts.loc[:, "pass"].sum() > 0
    text = view.coverage_label.text()
    assert "<b>K3, K4, K5, L1, L2, Q1, Q2, S9</b>" in text and "not passes" in text
    assert "S9" in text
    assert cell(view, "S9", "not_recorded").data(Qt.ItemDataRole.DisplayRole).startswith("∅ 1,856")

    # a click on a count lists those records
    view.table.clicked.emit(cell(view, "K3", "review"))
    settle(qtbot, window)
    assert window.tabs.currentWidget() is window.records_page
    assert window.records_page.model.rowCount() == 2  # the two under-10s
    assert "K3 = ? Review" in window.records_page.verdict_chip.text()
    window.records_page.table.selectRow(0)
    verdicts = {v.rule_id: v for v in window.detail.verdict_model.rows()}
    assert verdicts["K3"].verdict.key == "review" and "age of criminal responsibility" in verdicts["K3"].reason
    assert verdicts["S1"].verdict.key == "not_assessable"
    window.records_page.verdict_chip.click()  # clears the verdict; the children box stays ticked
    settle(qtbot, window)
    assert window.records_page.model.rowCount() == 1_856
    window.records_page.filter_bar.reset()
    settle(qtbot, window)
    assert window.records_page.model.rowCount() == 12_447


def test_review_tab_lists_children_most_urgent_first_and_fills_the_detail(qtbot, loaded_context):
    run_check(loaded_context.engine, run_by="Sgt Tester")
    loaded_context.data_changed()
    window = MainWindow(loaded_context)
    qtbot.addWidget(window)
    open_tab(qtbot, window, window.review_page)
    queue = window.review_page.queue
    rows = queue.model.rowCount()
    assert 0 < rows < 1_856
    priorities = [queue.model.queue_row(r).priority for r in range(rows)]
    assert priorities == sorted(priorities, reverse=True) and min(priorities) > 0
    queue.select_row(0)
    assert window.detail.record_id == queue.model.search_id(0)
    assert window.detail.verdict_title.text().startswith("Charter checks: ")


def test_recheck_from_the_overview(qtbot, loaded_context):
    window = MainWindow(loaded_context)
    qtbot.addWidget(window)
    open_tab(qtbot, window, window.compliance_view)
    assert "No charter check" in window.compliance_view.run_label.text()
    window.compliance_view.recheck()
    settle(qtbot, window)
    qtbot.waitUntil(lambda: "met-charter-2025" in window.compliance_view.run_label.text(), timeout=20_000)
    assert "by Sgt Tester" in window.compliance_view.run_label.text()
