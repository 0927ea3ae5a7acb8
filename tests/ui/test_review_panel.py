"""Issue 5, UI: a supervisor reviews, changes and undoes a finding (with a stale-version conflict on the
way); a panel walks a sample in meeting mode with the keyboard and saves its form; samples are drawn,
saved, opened and exported."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QComboBox

import stopsearch_app.store.review_schema  # noqa: F401 - the review tables on the shared metadata
from stopsearch_app.domain import review
from stopsearch_app.store import reviews
from stopsearch_app.store.checks import run_check
from stopsearch_app.store.database import make_engine
from stopsearch_app.store.queries import record_detail
from tests.helpers import import_paths


@pytest.fixture
def review_context(context, tmp_path):
    """The synthetic local extract (grounds, EIP/MTS, s60, stations) imported and checked."""
    from stopsearch_app.io.synthetic_extract import generate_extract, write_csv

    path = write_csv(tmp_path / "synthetic-extract.csv", generate_extract(rows=500, months=2))
    import_paths(context.engine, path)
    run_check(context.engine, run_by="tester")
    context.data_changed()
    return context


def saved(qtbot, form) -> None:
    """Wait for the form's save, which runs on a worker thread, to come back."""
    qtbot.waitUntil(lambda: not form.is_saving(), timeout=15_000)


def choose(combo: QComboBox, data) -> None:
    index = combo.findData(data)
    assert index >= 0, data
    combo.setCurrentIndex(index)


# --- supervisor review ----------------------------------------------------------------------------
def test_a_supervisor_reviews_changes_and_undoes_a_finding(qtbot, review_context, db_url, tmp_path):
    from stopsearch_app.ui.review_panel import SupervisorReviewPage

    page = SupervisorReviewPage(review_context)
    qtbot.addWidget(page)
    page.resize(1500, 900)
    page.show()
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=15_000)
    queue, panel = page.queue, page.panel
    total = queue.model.rowCount()
    assert total > 10 and "to review" in queue.count_label.text()
    priorities = [queue.model.queue_row(r).priority for r in range(total)]  # the score orders; words show
    assert priorities == sorted(priorities, reverse=True)

    # filters: by rule, by team/station, by month
    choose(queue.rule, "G3")
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=15_000)
    by_rule = queue.model.rowCount()
    assert 0 < by_rule < total
    assert all("G3" in queue.model.index(r, 1).data() for r in range(by_rule))
    choose(queue.rule, "")
    station = queue.station.itemData(1)
    choose(queue.station, station)
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=15_000)
    assert {queue.model.index(r, 7).data() for r in range(queue.model.rowCount())} == {station}
    choose(queue.station, "")
    month = queue.month.itemData(1)
    choose(queue.month, month)
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=15_000)
    assert all(queue.model.index(r, 2).data().startswith(month) for r in range(queue.model.rowCount()))
    choose(queue.month, "")
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=15_000)
    assert queue.model.rowCount() == total

    # select the most urgent record: the form shows it and its fail/review rules as checkboxes
    queue.select_row(0)
    record_id = queue.model.index(0, 3).data()
    assert panel.record is not None and panel.record.record_id == record_id
    assert record_id in panel.heading.text()
    assert panel.rule_ids() == [rule for rule, _key, _title in panel.record.flagged_rules] and panel.rule_ids()
    assert panel.save_button.isEnabled() and not panel.change_button.isEnabled()
    assert panel.version_label.text() == "No supervisor finding yet."

    # saving without an outcome is refused, with the reason
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    saved(qtbot, panel)
    assert "Choose an outcome" in panel.message.text()
    assert panel.audit_model.rowCount() == 0

    # the supervisor records a finding
    choose(panel.outcome, "words_of_advice")
    first_rule = panel.rule_ids()[0]
    panel.set_rule_checked(first_rule)
    qtbot.keyClicks(panel.note, "Spoke to the officer about recording the grounds.")
    panel.bwv_viewed.setChecked(True)
    qtbot.mouseClick(panel.save_button, Qt.MouseButton.LeftButton)
    saved(qtbot, panel)
    assert panel.message.text() == "Finding saved (v1)"
    assert [(row.action, row.who) for row in panel.audit_model.rows()] == [("create", "Sgt Tester")]
    assert panel.audit_model.index(0, 6).data().startswith("Outcome: Words of advice; Rules addressed: " + first_rule)
    assert queue.model.index(0, 8).data() == "Words of advice"
    assert not panel.save_button.isEnabled() and panel.change_button.isEnabled()

    # a change needs a reason
    choose(panel.outcome, "training_need")
    qtbot.mouseClick(panel.change_button, Qt.MouseButton.LeftButton)
    saved(qtbot, panel)
    assert "give a reason" in panel.message.text()
    qtbot.keyClicks(panel.reason, "BWV shows the same gap on earlier searches")
    qtbot.mouseClick(panel.change_button, Qt.MouseButton.LeftButton)
    saved(qtbot, panel)
    assert panel.message.text() == "Finding changed (v2)"
    rows = panel.audit_model.rows()
    assert [row.action for row in rows] == ["create", "change"]
    assert rows[1].summary == "Outcome: Words of advice → Training need"
    assert rows[1].why == "BWV shows the same gap on earlier searches"
    assert queue.model.index(0, 8).data() == "Training need"

    # undo: a recorded reversal back to the previous state
    qtbot.keyClicks(panel.reason, "changed the wrong record")
    qtbot.mouseClick(panel.undo_button, Qt.MouseButton.LeftButton)
    saved(qtbot, panel)
    assert panel.message.text() == "Last change undone (v3)"
    assert panel.outcome.currentData() == "words_of_advice"
    rows = panel.audit_model.rows()
    assert [row.action for row in rows] == ["create", "change", "undo"]
    assert rows[2].reverts_event_id == rows[1].id and rows[2].summary == "Outcome: Training need → Words of advice"

    # someone else changes the finding meanwhile: our change is refused, clearly, and our edit stays
    other = make_engine(db_url)
    try:
        reviews.ChangeFinding(other, record_id, "supervisor",
                              dict(reviews.current_finding(other, record_id, "supervisor").fields,
                                   outcome="data_correction_needed"),
                              who="Insp Other", why="record is wrong", expected_version=3).do()
    finally:
        other.dispose()
    panel.note.setPlainText("My longer note that must not be lost.")
    qtbot.keyClicks(panel.reason, "more detail")
    qtbot.mouseClick(panel.change_button, Qt.MouseButton.LeftButton)
    saved(qtbot, panel)
    assert "Insp Other" in panel.message.text() and "NOT saved" in panel.message.text()
    assert panel.note.toPlainText() == "My longer note that must not be lost."
    assert [row.who for row in panel.audit_model.rows()][-1] == "Insp Other"
    # having seen their change, the supervisor saves again on top of it
    qtbot.mouseClick(panel.change_button, Qt.MouseButton.LeftButton)
    saved(qtbot, panel)
    assert panel.message.text() == "Finding changed (v5)"
    trail = reviews.audit_trail(review_context.engine, record_id)
    assert [(e.action, e.who) for e in trail] == [("create", "Sgt Tester"), ("change", "Sgt Tester"),
                                                  ("undo", "Sgt Tester"), ("change", "Insp Other"),
                                                  ("change", "Sgt Tester")]
    assert trail[-1].after["note"] == "My longer note that must not be lost."

    exported = panel.export_audit(tmp_path / "audit.csv")
    assert exported.read_bytes().count(b"\r\n") == 6  # header + 5 events


# --- panel meeting mode ---------------------------------------------------------------------------
@pytest.fixture
def saved_sample(review_context):
    drawn = reviews.preview_sample(review_context.engine, review_context.labels, 3, 42,
                                   review.DEFAULT_SAMPLE_SELECTION)
    return reviews.save_sample(review_context.engine, drawn, "October panel", created_by="Sgt Tester")


def press(qtbot, window, key, modifier=Qt.KeyboardModifier.NoModifier) -> None:
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, key, modifier)


def test_panel_mode_is_anonymised_and_keyboard_driven(qtbot, review_context, saved_sample):
    from stopsearch_app.ui.panel_mode import PanelModeWindow, PanelPages

    window = PanelModeWindow(review_context, saved_sample.id, full_screen=False)
    qtbot.addWidget(window)
    window.open()
    qtbot.waitExposed(window)
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window, timeout=5_000)
    count = window.case_count()
    assert count == saved_sample.size >= 4 and not window.missing
    # must-see cases first, marked, and numbered apart from the random sample of exactly N = 3
    assert window.title.text() == f"Must-see case 1 of {saved_sample.always_included}"
    assert window.reason_label.text().strip().startswith("must-see")
    assert QApplication.focusWidget() is window.first_field()

    # anonymised: nothing of the officer, the person, the vehicle, the time or the place in the card
    for index in range(count):
        window.show_case(index)
        card = window.card.text()
        detail = record_detail(review_context.engine, window.cases[index][1], review_context.labels)
        for name in ("officer_ref", "person_ref", "vehicle_reg", "source_ref", "safeguarding_referral_ref"):
            if detail.get(name):
                assert str(detail[name]) not in card, name
        # the location text is withheld as a field (its street may appear in redacted grounds, by the rule)
        assert "Location" not in [label for label, _value in window.record.facts]
        assert detail["occurred_at"] not in card  # the time is never shown, only the day
        assert str(detail["latitude"]) not in card
        if detail.get("grounds_text"):
            assert review.redact(detail["grounds_text"]).replace("'", "&#x27;")[:40] in card
    window.show_case(count - 1)
    assert window.title.text() == "Sample case 3 of 3" and "random draw" in window.reason_label.text()
    window.show_case(0)
    qtbot.waitUntil(lambda: QApplication.focusWidget() is not None)
    window.first_field().setFocus()

    # Left/Right and PageUp/PageDown move between cases
    press(qtbot, window, Qt.Key.Key_Right)
    assert window.index == 1 and window.title.text().endswith(" case 2 of " + str(saved_sample.always_included)) or \
        window.title.text() == "Sample case 1 of 3"
    press(qtbot, window, Qt.Key.Key_PageDown)
    assert window.index == 2
    press(qtbot, window, Qt.Key.Key_Left)
    assert window.index == 1
    press(qtbot, window, Qt.Key.Key_PageUp)
    assert window.index == 0
    press(qtbot, window, Qt.Key.Key_Left)
    assert window.index == 0  # no wrap-around

    # Tab walks the form in order, from the first question to Save
    window.first_field().setFocus()
    order = [*window.questions.values(), window.learning, window.good_practice, window.police_response,
             window.response_date_set, window.save_button]
    seen = [QApplication.focusWidget()]
    while seen[-1] is not window.save_button and len(seen) < 20:
        press(qtbot, window, Qt.Key.Key_Tab)
        seen.append(QApplication.focusWidget())
    assert [widget for widget in seen if widget in order] == order  # every stop, in order, none skipped
    assert [type(widget).__name__ for widget in seen if widget not in order] == ["QRadioButton"]  # the rating
    press(qtbot, window, Qt.Key.Key_Tab)
    assert QApplication.focusWidget() is window.first_field()  # and round again

    # inside a text box the arrows edit text; Alt+Right still moves on
    window.learning.setFocus()
    qtbot.keyClicks(window.learning, "abc")
    press(qtbot, window, Qt.Key.Key_Left)
    assert window.index == 0 and window.learning.textCursor().position() == 2
    window.learning.clear()
    window._dirty = False

    # the panel fills in its form and saves it with Ctrl+S
    choose(window.questions["grounds_reasonable"], "partly")
    choose(window.questions["gowisely_observed"], "not_seen")
    choose(window.questions["child_treated_as_child"], "yes")
    choose(window.questions["safeguarding_considered"], "no")
    qtbot.mouseClick(window.rag_buttons["amber"], Qt.MouseButton.LeftButton)
    window.learning.setFocus()
    qtbot.keyClicks(window.learning, "Explain the grounds to the child, in plain words.")
    assert "unsaved changes" in window.version_label.text()
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved(qtbot, window)
    assert window.message.text() == "Panel finding saved (v1)"
    record_id = window.record.record_id
    state = reviews.current_finding(review_context.engine, record_id, "panel")
    assert state.fields["rag"] == "amber" and state.fields["grounds_reasonable"] == "partly"
    assert state.fields["learning_note"] == "Explain the grounds to the child, in plain words."
    assert state.updated_by == "Sgt Tester"
    panel_trail = reviews.audit_trail(review_context.engine, record_id, "panel")
    assert [(e.action, e.kind) for e in panel_trail] == [("create", "panel")]
    assert reviews.audit_trail(review_context.engine, record_id, "supervisor") == []
    assert window.audit_model.rowCount() == 1

    # an edit left unsaved survives moving away and back, and is then saved as a change
    window.good_practice.setFocus()
    qtbot.keyClicks(window.good_practice, "Calm, clear explanation.")
    press(qtbot, window, Qt.Key.Key_Right, Qt.KeyboardModifier.AltModifier)
    assert window.index == 1 and record_id in window.drafts
    assert "other cases with unsaved changes: 1" in window.version_label.text()
    press(qtbot, window, Qt.Key.Key_Left, Qt.KeyboardModifier.AltModifier)
    assert window.index == 0 and window.good_practice.toPlainText() == "Calm, clear explanation."
    window.police_response.setPlainText("Officer spoken to.")
    window.response_date_set.setChecked(True)
    press(qtbot, window, Qt.Key.Key_S, Qt.KeyboardModifier.ControlModifier)
    saved(qtbot, window)
    assert window.message.text() == "Panel finding saved (v2)" and not window.drafts
    trail = reviews.audit_trail(review_context.engine, record_id, "panel")
    assert [e.action for e in trail] == ["create", "change"] and trail[1].why == "panel meeting: October panel"
    assert reviews.current_finding(review_context.engine, record_id, "panel").fields["police_response"] == \
        "Officer spoken to."

    # F11 toggles full screen, Esc leaves it
    press(qtbot, window, Qt.Key.Key_F11)
    qtbot.waitUntil(window.isFullScreen, timeout=5_000)
    press(qtbot, window, Qt.Key.Key_Escape)
    qtbot.waitUntil(lambda: not window.isFullScreen(), timeout=5_000)

    # Ctrl+2 shows the charts page (the Disparity view in large type, or a note), Ctrl+1 the case
    press(qtbot, window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentIndex() == PanelPages.CHARTS and window.disparity_view is not None
    qtbot.waitUntil(lambda: not window.charts_busy(), timeout=30_000)
    press(qtbot, window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.pages.currentIndex() == PanelPages.CASE
    window.close()


def test_a_panel_save_that_lost_a_race_keeps_the_form(qtbot, review_context, saved_sample, db_url):
    from stopsearch_app.ui.panel_mode import PanelModeWindow

    window = PanelModeWindow(review_context, saved_sample.id, full_screen=False)
    qtbot.addWidget(window)
    window.open()
    record_id = window.record.record_id
    other = make_engine(db_url)
    try:
        reviews.RecordFinding(other, record_id, "panel", {"rag": "green"}, who="Co-chair").do()
    finally:
        other.dispose()
    qtbot.mouseClick(window.rag_buttons["red"], Qt.MouseButton.LeftButton)
    window.learning.setPlainText("Handcuffs on a 12-year-old: escalate.")
    assert window.save()  # started
    saved(qtbot, window)
    assert "Co-chair" in window.message.text() and "NOT saved" in window.message.text()
    assert window.rag_buttons["red"].isChecked()
    assert window.learning.toPlainText() == "Handcuffs on a 12-year-old: escalate."
    assert window.save()  # now a change on top of the co-chair's finding
    saved(qtbot, window)
    assert window.message.text() == "Panel finding saved (v2)"
    assert reviews.current_finding(review_context.engine, record_id, "panel").fields["rag"] == "red"
    window.close()


# --- samples --------------------------------------------------------------------------------------
def test_draw_save_open_and_export_a_sample(qtbot, review_context, tmp_path):
    from stopsearch_app.io.review_pack import read_pack
    from stopsearch_app.ui.samples_dialog import SamplesDialog

    dialog = SamplesDialog(review_context, panel_full_screen=False)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.saved_model.rowCount() == 0 and not dialog.open_button.isEnabled()
    dialog.size.setValue(6)
    dialog.seed.setValue(7)
    dialog.name.setText("November panel")
    assert not dialog.save_button.isEnabled()
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=15_000)
    assert dialog.preview is not None and dialog.preview.drawn == 6
    assert "never counted in N" in dialog.summary.text() and dialog.must_see_model.rowCount() == dialog.preview.always_included > 0
    assert dialog.strata_model.rowCount() >= 3
    first_ids = dialog.preview.record_ids
    # the same settings draw the same sample; a changed setting must be previewed again
    dialog.seed.setValue(8)
    assert not dialog.save_button.isEnabled()
    dialog.seed.setValue(7)
    qtbot.mouseClick(dialog.preview_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=15_000)
    assert dialog.preview.record_ids == first_ids
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert "Saved “November panel”" in dialog.message.text()
    assert dialog.saved_model.rowCount() == 1
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)  # disabled after saving: nothing happens
    assert dialog.saved_model.rowCount() == 1

    window = dialog.open_panel()
    qtbot.addWidget(window)
    assert window.case_count() == len(first_ids)
    window.close()

    dialog.export_selected(tmp_path / "pack")
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=120_000)
    assert "Review pack written" in dialog.message.text()
    pack = read_pack(tmp_path / "pack")
    random = [rid for rid in first_ids if dialog.preview.reasons[rid] == review.RANDOM]
    must_see = [rid for rid in first_ids if dialog.preview.reasons[rid] != review.RANDOM]
    # redacted: the sample's records under the pack's pseudonyms (never the real ids)
    assert pack.redacted and len(pack.records) == len(random) == 6 and len(pack.always) == len(must_see)
    assert not (set(pack.records["record_id"]) | set(pack.always["record_id"])) & set(first_ids)
    assert (tmp_path / "pack" / "report.pdf").is_file()
    # Print report…: the same report on its own
    dialog.print_report(tmp_path / "meeting.pdf")
    qtbot.waitUntil(lambda: not dialog.is_busy(), timeout=120_000)
    assert "Report written" in dialog.message.text()
    from pypdf import PdfReader

    text = " ".join(" ".join(page.extract_text().split()) for page in PdfReader(str(tmp_path / "meeting.pdf")).pages)
    assert "6 records drawn at random (seed 7" in text and "Must-see cases" in text
    assert pack.manifest["sample"]["name"] == "November panel" and pack.manifest["sample"]["seed"] == 7


def test_a_save_the_database_refuses_keeps_the_text_and_says_why(qtbot, review_context, monkeypatch):
    """A locked or unavailable database is a one-line refusal in the form; nothing typed is lost."""
    from sqlalchemy.exc import OperationalError

    from stopsearch_app.ui.review_panel import SupervisorReviewPage

    page = SupervisorReviewPage(review_context)
    qtbot.addWidget(page)
    page.show()
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=15_000)
    page.queue.select_row(0)
    panel = page.panel
    qtbot.waitUntil(lambda: panel.record is not None, timeout=5_000)
    choose(panel.outcome, "words_of_advice")
    panel.note.setPlainText("Spoke to the officer about recording what he saw.")

    def locked(self):
        raise OperationalError("INSERT INTO finding", {}, Exception("database is locked"))

    monkeypatch.setattr(reviews.RecordFinding, "do", locked)
    assert panel.save()  # started; refused on the worker
    saved(qtbot, panel)
    assert "database could not be written (database is locked)" in panel.message.text()
    assert panel.note.toPlainText() == "Spoke to the officer about recording what he saw."
    assert reviews.current_finding(review_context.engine, panel.record.record_id, review.SUPERVISOR) is None
