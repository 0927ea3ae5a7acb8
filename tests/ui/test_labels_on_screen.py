"""Issue 12 item 1: a person reads labels, never internal codes, in the record table, the record view,
the review queue and panel mode (every displayed cell walked on demo-like data: the real Met month and
the synthetic local extract, checked)."""

from __future__ import annotations

import re

import pytest
from PySide6.QtCore import Qt

from stopsearch_app.domain import labels, records
from stopsearch_app.domain.review import DEFAULT_SAMPLE_SELECTION
from stopsearch_app.store import reviews
from stopsearch_app.store.checks import run_check
from tests.helpers import import_paths

# Every code of the internal vocabularies (records.py and the labels resource). Case matters: "Other" is
# a label and a police.uk value, "other" is a code.
CODES = (labels.all_codes() | set(records.POWERS) | set(records.SEARCH_TYPES) | set(records.OUTCOME_CODES)
         | {"SA_S342E", "person_and_vehicle", "under_10", "10_14", "15_17", "10_17", "mts", "eip", "child", "adult"})
_SPLIT = re.compile(r"\s*(?:·|,|;|\n)\s*")


def codes_in(text: object) -> set[str]:
    if not isinstance(text, str):
        return set()
    parts = {text.strip(), *_SPLIT.split(text)}
    return {part for part in parts if part in CODES}


def displayed_codes(model, rows: int | None = None) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for row in range(model.rowCount() if rows is None else min(rows, model.rowCount())):
        for column in range(model.columnCount()):
            value = model.data(model.index(row, column), Qt.ItemDataRole.DisplayRole)
            hits = codes_in(value)
            if hits:
                heading = str(model.headerData(column, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole))
                found.setdefault(heading, set()).update(hits)
    return found


@pytest.fixture
def demo_like(context, met_file, tmp_path):
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    extract = write_csv(tmp_path / "synthetic-extract.csv", generate_extract(rows=600, months=2))
    import_paths(context.engine, met_file, extract)
    run_check(context.engine, run_by="tester")
    context.data_changed()
    return context


def test_the_code_detector_finds_codes():
    assert codes_in("person_and_vehicle") == {"person_and_vehicle"}
    assert codes_in("✗ S1 · MDA_S23") == {"MDA_S23"}
    assert not codes_in("Person and vehicle search") and not codes_in("Misuse of Drugs Act s23")


def test_every_code_of_the_vocabularies_has_a_label():
    for field, codes in (("power", records.POWERS + ("SA_S342E",)), ("search_type", records.SEARCH_TYPES),
                         ("gender", records.GENDERS), ("outcome_code", records.OUTCOME_CODES),
                         ("search_level", records.SEARCH_LEVELS), ("location_type", records.LOCATION_TYPES)):
        for code in codes:
            assert labels.label(field, code) != code, (field, code)
    assert labels.label("power", "MDA_S23") == "Misuse of Drugs Act s23"
    assert labels.label("power", "PACE_S1") == "PACE s1"
    assert labels.label("search_type", "person_and_vehicle") == "Person and vehicle search"
    assert labels.label("power", None) == "not recorded"


def test_no_code_in_the_record_table_or_the_record_view(qtbot, demo_like):
    from stopsearch_app.ui.main_window import MainWindow

    window = MainWindow(demo_like)
    qtbot.addWidget(window)
    page = window.records_page
    qtbot.waitUntil(lambda: page.model.rowCount() > 12_000, timeout=30_000)
    model = page.model
    # every row of the table, page by page (the model fetches pages as they are asked for)
    assert displayed_codes(model) == {}
    for row in (0, model.rowCount() - 1, model.rowCount() // 2):
        page.table.selectRow(row)
        shown = window.detail.model.rows()
        assert not [(label, text) for label, text in shown if codes_in(text)], row
        assert not codes_in(window.detail.record_view.toPlainText())


def test_no_code_in_the_review_queue(qtbot, demo_like):
    from stopsearch_app.ui.review_panel import SupervisorReviewPage

    page = SupervisorReviewPage(demo_like)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=15_000)
    assert page.queue.model.rowCount() > 50
    assert displayed_codes(page.queue.model) == {}
    # the priority is words saying why the case is first, never a bare score
    model = page.queue.model
    first = model.data(model.index(0, 0), Qt.ItemDataRole.DisplayRole)
    assert model.headerData(0, Qt.Orientation.Horizontal, Qt.ItemDataRole.DisplayRole) == "Why first"
    assert re.match(r"^[SL]\d+ failed · (strip-search safeguard|legal basis), (critical|high)", first), first
    why = model.data(model.index(0, 0), Qt.ItemDataRole.ToolTipRole)
    assert re.match(r"^Why this case is here: (Strip-search safeguard|Legal basis) failed: [SL]\d+ \w+", why), why
    assert not any(re.fullmatch(r"\d+", str(model.data(model.index(r, 0), Qt.ItemDataRole.DisplayRole)))
                   for r in range(model.rowCount()))


def test_no_code_in_panel_mode(qtbot, demo_like):
    from stopsearch_app.ui.panel_mode import PanelModeWindow

    drawn = reviews.preview_sample(demo_like.engine, demo_like.labels, 8, 5, DEFAULT_SAMPLE_SELECTION)
    saved = reviews.save_sample(demo_like.engine, drawn, "Labels panel", created_by="Sgt Tester")
    window = PanelModeWindow(demo_like, saved.id, full_screen=False)
    qtbot.addWidget(window)
    window.open()
    assert window.case_count() > 8
    for index in range(window.case_count()):
        window.show_case(index)
        record = window.record
        assert not [(label, value) for label, value in record.facts if codes_in(value)], index
        assert not [(label, value) for label, value in record.texts if codes_in(value)], index
        assert not codes_in(window.title.text()) and not codes_in(window.reason_label.text())
    window.close()
