"""Issue 10 item 6 and issue 12 items 2 and 8, UI: a finding is saved off the UI thread (the window keeps
processing events while the save waits; the form is disabled meanwhile, with no second submit), a save
that fails keeps the text and says why in one line, both forms use the one shared component, the review
screens fit a 1366x768 screen, and every Qt role is declared once."""

from __future__ import annotations

import ast
import threading
from pathlib import Path

import pytest
from PySide6.QtCore import QSize, Qt, QTimer
from PySide6.QtWidgets import QScrollArea
from sqlalchemy.exc import OperationalError

import stopsearch_app.ui
from stopsearch_app.domain import review
from stopsearch_app.store import reviews
from tests.ui.test_review_panel import choose, review_context, saved  # noqa: F401 - review_context: a fixture

SCREEN = QSize(1366, 768)


@pytest.fixture
def review_page(qtbot, review_context):
    from stopsearch_app.ui.review_panel import SupervisorReviewPage

    page = SupervisorReviewPage(review_context)
    qtbot.addWidget(page)
    page.resize(1200, 700)
    page.show()
    qtbot.waitUntil(lambda: not page.is_loading(), timeout=15_000)
    page.queue.select_row(0)
    qtbot.waitUntil(lambda: page.panel.record is not None, timeout=5_000)
    yield page
    page.wait_idle()


@pytest.fixture
def panel_window(qtbot, review_context):
    from stopsearch_app.ui.panel_mode import PanelModeWindow

    drawn = reviews.preview_sample(review_context.engine, review_context.labels, 4, 3,
                                   review.DEFAULT_SAMPLE_SELECTION)
    sample = reviews.save_sample(review_context.engine, drawn, "December panel", created_by="Sgt Tester")
    window = PanelModeWindow(review_context, sample.id, full_screen=False)
    window.confirm_close_with_drafts = False
    qtbot.addWidget(window)
    window.open()
    yield window
    window.activity.wait()


@pytest.fixture
def hold(monkeypatch):
    """``hold(command_class)`` makes its ``do`` wait (on the save's worker thread) until the returned
    event is set, as a save waits for an import's write lock; released at the latest when the test ends."""
    gates: list[threading.Event] = []

    def make(command_class) -> threading.Event:
        gate, real = threading.Event(), command_class.do

        def held(self):
            assert gate.wait(20), "the test never released the save"
            return real(self)

        monkeypatch.setattr(command_class, "do", held)
        gates.append(gate)
        return gate

    yield make
    for gate in gates:
        gate.set()


def test_a_supervisor_save_runs_off_the_ui_thread_and_locks_the_form_meanwhile(qtbot, review_page, hold):
    panel = review_page.panel
    gate = hold(reviews.RecordFinding)
    choose(panel.outcome, "words_of_advice")
    panel.note.setPlainText("Spoke to the officer.")
    ticks: list[int] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(1))
    timer.start(5)
    assert panel.save()
    # the save is blocked on the worker: the UI thread keeps processing events, the form is locked
    qtbot.waitUntil(lambda: len(ticks) >= 20, timeout=5_000)
    assert panel.is_saving() and "Saving" in panel.message.text()
    assert not any(w.isEnabled() for w in (panel.save_button, panel.change_button, panel.undo_button,
                                           panel.outcome, panel.note))
    assert not panel.save()  # no second submit while the first is running
    gate.set()
    saved(qtbot, panel)
    timer.stop()
    assert panel.message.text() == "Finding saved (v1)"
    assert panel.change_button.isEnabled() and panel.note.isEnabled() and not panel.save_button.isEnabled()
    trail = reviews.audit_trail(panel._context.engine, panel.record.record_id)
    assert [(e.action, e.version) for e in trail] == [("create", 1)]  # saved once, not twice
    assert [row.action for row in panel.audit_model.rows()] == ["create"]


def test_a_panel_save_runs_off_the_ui_thread_and_holds_the_case_meanwhile(qtbot, panel_window, hold):
    window = panel_window
    gate = hold(reviews.RecordFinding)
    qtbot.mouseClick(window.rag_buttons["amber"], Qt.MouseButton.LeftButton)
    window.learning.setPlainText("Explain the grounds to the child.")
    index = window.index
    assert window.save()
    qtbot.wait(50)
    assert window.is_saving() and "Saving" in window.message.text()
    assert not window.save_button.isEnabled() and not window.learning.isEnabled()
    window.next_case()  # the answer belongs to this case: no move meanwhile
    assert window.index == index and not window.next_button.isEnabled()
    gate.set()
    saved(qtbot, window)
    assert window.message.text() == "Panel finding saved (v1)" and not window.drafts
    assert window.save_button.isEnabled() and window.next_button.isEnabled() == (window.case_count() > 1)
    assert reviews.current_finding(window._context.engine, window.record.record_id, "panel").fields["rag"] == "amber"


def locked(self):
    raise OperationalError("INSERT INTO finding", {}, Exception("database is locked"))


def test_a_refused_panel_save_keeps_the_text_and_says_why(qtbot, panel_window, monkeypatch):
    window = panel_window
    monkeypatch.setattr(reviews.RecordFinding, "do", locked)
    qtbot.mouseClick(window.rag_buttons["red"], Qt.MouseButton.LeftButton)
    window.learning.setPlainText("Handcuffs on a 12-year-old: escalate.")
    assert window.save()
    saved(qtbot, window)
    message = window.message.text()
    assert "database could not be written (database is locked)" in message and "\n" not in message
    assert window.learning.toPlainText() == "Handcuffs on a 12-year-old: escalate."
    assert window.record.record_id in window.drafts and window.save_button.isEnabled()
    assert reviews.current_finding(window._context.engine, window.record.record_id, "panel") is None


def test_an_unexpected_error_keeps_the_supervisor_text_too(qtbot, review_page, monkeypatch):
    panel = review_page.panel

    def broken(self):
        raise RuntimeError("disk on fire\nsecond line")

    monkeypatch.setattr(reviews.RecordFinding, "do", broken)
    choose(panel.outcome, "words_of_advice")
    panel.note.setPlainText("Kept whatever happens.")
    assert panel.save()
    saved(qtbot, panel)
    assert panel.message.text() == "Not saved: disk on fire"
    assert panel.note.toPlainText() == "Kept whatever happens." and panel.save_button.isEnabled()


def test_both_forms_use_the_one_shared_component(review_page, panel_window):
    from stopsearch_app.ui.finding_form import AuditTrailView, FindingActivity

    for form in (review_page.panel, panel_window):
        assert isinstance(form.activity, FindingActivity)
        assert form.message is form.activity.message and isinstance(form.audit_table, AuditTrailView)
    ui = Path(stopsearch_app.ui.__file__).parent
    for name in ("review_panel.py", "panel_mode.py"):
        source = (ui / name).read_text(encoding="utf-8")
        assert "refusal_text" not in source and ".do()" not in source and "ListTableModel(" not in source, name


def _fits(widget, screen: QSize = SCREEN) -> bool:
    hint = widget.minimumSizeHint().expandedTo(widget.minimumSize())
    return hint.width() <= screen.width() and hint.height() <= screen.height()


def test_panel_mode_and_the_review_tab_fit_1366x768(qtbot, review_context, panel_window):
    from stopsearch_app.ui.main_window import MainWindow

    assert _fits(panel_window), panel_window.minimumSizeHint()
    panel_window.resize(SCREEN)
    qtbot.waitUntil(lambda: panel_window.size() == SCREEN, timeout=5_000)
    panel_window.show_charts()
    qtbot.waitUntil(lambda: not panel_window.charts_busy(), timeout=30_000)
    assert _fits(panel_window), panel_window.minimumSizeHint()
    panel_window.show_case_page()
    form_scroll = panel_window.findChild(QScrollArea, "panel_form_scroll")
    assert form_scroll.widget().minimumSizeHint().width() <= form_scroll.viewport().width()

    window = MainWindow(review_context)
    qtbot.addWidget(window)
    window.tabs.setCurrentWidget(window.review_page)
    window.resize(SCREEN)
    window.show()
    qtbot.waitUntil(lambda: not window.review_page.is_loading(), timeout=15_000)
    assert _fits(window), window.minimumSizeHint()
    window.review_page.queue.select_row(0)
    qtbot.waitUntil(lambda: window.review_page.panel.record is not None, timeout=5_000)
    form = window.review_page.panel
    scroll = form.parent().parent()  # the form's scroll area: nothing of the form cut off at the side
    assert form.minimumSizeHint().width() <= scroll.viewport().width(), (form.minimumSizeHint(), scroll.viewport().size())
    window.close()


def test_every_role_is_declared_once_in_roles():
    from stopsearch_app.ui import roles

    values = {name: value for name, value in vars(roles).items() if name.endswith("Role")}
    assert len(set(values.values())) == len(values), values
    ui = Path(stopsearch_app.ui.__file__).parent
    offenders = []
    for path in ui.rglob("*.py"):
        if path.name == "roles.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Attribute) and node.attr == "UserRole":
                offenders.append(f"{path.relative_to(ui)}:{node.lineno}")
    assert not offenders
