"""The lazy record model: Qt's model tester, paging, role filtering, sorting in the database."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import Qt

from stopsearch_app.domain.selection import Selection
from stopsearch_app.store.queries import RecordQuery, matching_ids
from stopsearch_app.ui.records_model import RecordsTableModel
from stopsearch_app.ui.roles import SearchIdRole


def column(model: RecordsTableModel, heading: str) -> int:
    return next(i for i in range(model.columnCount()) if model.headerData(i, Qt.Orientation.Horizontal) == heading)


def test_model_passes_qt_model_tester(qtmodeltester, loaded_context):
    model = RecordsTableModel(loaded_context)
    model.set_ids(matching_ids(loaded_context.engine, RecordQuery(), loaded_context.labels))
    qtmodeltester.check(model, force_py=True)
    assert model.rowCount() == 12_447


def test_rows_are_fetched_a_page_at_a_time(loaded_context, monkeypatch):
    import stopsearch_app.ui.records_model as records_model

    fetched: list[int] = []
    original = records_model.fetch_rows
    monkeypatch.setattr(records_model, "fetch_rows", lambda engine, ids: fetched.append(len(ids)) or original(engine, ids))
    model = RecordsTableModel(loaded_context)
    model.set_ids(matching_ids(loaded_context.engine, RecordQuery(), loaded_context.labels))
    last = model.rowCount() - 1
    assert model.data(model.index(last, column(model, "Force"))) == "Metropolitan Police"  # labels, never codes (issue 12)
    # 23:00 UTC on 31 August is midnight in London
    assert model.data(model.index(0, column(model, "Date (London)"))) == "2022-09-01 00:00"
    model.data(model.index(1, 0))
    assert fetched == [last % RecordsTableModel.PAGE_ROWS + 1, RecordsTableModel.PAGE_ROWS]


def test_data_ignores_roles_it_does_not_serve(loaded_context):
    model = RecordsTableModel(loaded_context)
    model.set_ids(matching_ids(loaded_context.engine, RecordQuery(), loaded_context.labels))
    assert model.data(model.index(0, 0), Qt.ItemDataRole.DecorationRole) is None
    assert model.data(model.index(0, column(model, "Charter findings"))) == "not checked"
    assert model.data(model.index(0, 0), SearchIdRole) == int(model.ids()[0])


def test_blank_values_say_not_recorded(loaded_context):
    model = RecordsTableModel(loaded_context)
    model.set_ids(matching_ids(loaded_context.engine, RecordQuery(), loaded_context.labels))
    assert model.data(model.index(0, column(model, "Outcome linked"))) == "not recorded"


def test_children_filter_and_sort_run_in_the_database(loaded_context):
    labels = loaded_context.labels
    children = matching_ids(loaded_context.engine, RecordQuery(Selection.all_searches(age="child")), labels)
    assert len(children) == 1_856
    under_ten = matching_ids(loaded_context.engine, RecordQuery(age_ranges=("under 10",)), labels)
    assert len(under_ten) == 2
    by_age = matching_ids(loaded_context.engine, RecordQuery(Selection.all_searches(age="child")), labels, "age_range", True)
    model = RecordsTableModel(loaded_context)
    model.set_ids(by_age)
    age = column(model, "Age range")
    assert model.data(model.index(0, age)) == "under 10" and model.data(model.index(2, age)) == "10-17"
    assert set(by_age.tolist()) == set(children.tolist()) and not np.array_equal(by_age, children)
