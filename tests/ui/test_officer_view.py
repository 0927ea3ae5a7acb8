"""Issue 12 item 6: the supervisors' officer and team view: thresholds on screen, CSV export."""

from __future__ import annotations

import csv

from PySide6.QtCore import Qt

from stopsearch_app.domain import patterns
from stopsearch_app.store.checks import run_check
from tests.helpers import import_paths


def cell(model, row: int, heading: str) -> str:
    column = next(c for c in range(model.columnCount())
                  if model.headerData(c, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) == heading)
    return model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)


def test_officer_view_shows_rates_only_above_the_thresholds_and_exports(qtbot, context, tmp_path):
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv
    from stopsearch_app.ui.officer_view import OfficerPatternsDialog

    import_paths(context.engine, write_csv(tmp_path / "extract.csv", generate_extract(rows=900, months=2)))
    run_check(context.engine, run_by="tester")
    context.data_changed()
    dialog = OfficerPatternsDialog(context)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: not dialog.is_loading() and dialog.model.rowCount() > 0, timeout=30_000)
    table, model = dialog.table_frame, dialog.model
    minimum = patterns.thresholds().min_searches_for_rate
    assert (table["searches"] < minimum).any()  # the synthetic extract has officers under the threshold
    for row, record in enumerate(table.to_dict("records")):
        find = cell(model, row, "Find rate")
        if record["searches"] < minimum:
            assert find == "too few searches" and cell(model, row, "Black %") == "too few searches"
        else:
            assert find.endswith("%")
        assert cell(model, row, "Searches") == f"{record['searches']:,}"
        assert cell(model, row, "With a fail") != "not checked"
    path = dialog.export_csv(tmp_path / "officers.csv")
    with path.open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == len(table)
    small = [r for r in rows if int(r["searches"]) < minimum]
    assert small and all(r["find_rate"] == "" and r["rate_shown"] == "false" for r in small)
    dialog.by.setCurrentIndex(dialog.by.findData("team"))
    qtbot.waitUntil(lambda: not dialog.is_loading() and dialog.table_frame.columns[0] == "team", timeout=30_000)
    assert dialog.model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) == "Team / station"
