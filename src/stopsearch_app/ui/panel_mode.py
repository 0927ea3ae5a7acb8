"""Panel meeting mode: a full-screen presentation of a saved dip sample for a scrutiny panel in a
meeting room (issue 5; shared/reference/domain.md §9).

Large type; one case at a time, anonymised (no officer or person references, no vehicle, no exact time,
coordinates or location text; free text shown only after :func:`stopsearch_app.domain.review.redact`);
the panel's form beside it (grounds reasonable?, GOWISELY observed, child treated as a child,
safeguarding considered, a red/amber/green rating, learning and good-practice notes, the police response
and its date), saved through the same command objects as supervisor findings, with their own audit trail;
and a page with the disproportionality charts when the app has them (``ui.disparity_view``, imported
lazily: without it the page says so).

Keyboard: Left/Right or PageUp/PageDown move between cases (inside a text box they move the cursor;
Alt+Left/Alt+Right work everywhere), Ctrl+S saves, Ctrl+1 shows the case and Ctrl+2 the charts, F11
toggles full screen and Esc leaves it. Tab walks the form from the first question to Save. Edits of a case
not yet saved are kept when moving to another case (and flagged), never silently dropped.
"""

from __future__ import annotations

import html

from PySide6.QtCore import QDate, Qt, Signal
from PySide6.QtGui import QFont, QKeySequence, QShortcut
from PySide6.QtWidgets import (QAbstractItemView, QButtonGroup, QComboBox, QFormLayout, QHBoxLayout, QLabel,
                               QMessageBox, QPlainTextEdit, QPushButton, QRadioButton, QScrollArea, QSplitter,
                               QStackedWidget, QVBoxLayout, QWidget)

from stopsearch_app.domain import review
from stopsearch_app.i18n import _
from stopsearch_app.store import reviews
from stopsearch_app.store.reviews import FindingState, save_finding
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.finding_form import FindingActivity, SaveOutcome
from stopsearch_app.ui.optional_date import OptionalDate

BASE_POINT_SIZE = 17
CARD_POINT_SIZE = 19
HINT = _("← → or PgUp/PgDn: cases (Alt+← → inside a text box) · Ctrl+S: save · Ctrl+1: case · Ctrl+2: charts · "
         "F11: full screen · Esc: leave full screen")


class PanelPages:
    CASE = 0
    CHARTS = 1


class PanelModeWindow(QWidget):
    """A top-level window over one saved sample. ``open()`` shows it (full screen by default)."""

    case_changed = Signal(int)  # index of the case shown
    finding_saved = Signal(str)  # record id

    def __init__(self, context: AppContext, sample: int | str, parent: QWidget | None = None, *,
                 full_screen: bool = True) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("panel_mode")
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose, False)
        self._context = context
        self._full_screen = full_screen
        self.sample = reviews.load_sample(context.engine, sample)
        rows = reviews.search_ids_for(context.engine, context.labels, self.sample.record_ids)
        self.cases = [(member, rows[member.record_id]) for member in self.sample.members if member.record_id in rows]
        self.missing = [member.record_id for member in self.sample.members if member.record_id not in rows]
        self.index = -1
        self.record: reviews.PanelRecord | None = None
        self.state: FindingState | None = None
        self.drafts: dict[str, dict[str, object]] = {}
        self.confirm_close_with_drafts = True
        self.disparity_view: QWidget | None = None
        self._filling = False
        self._dirty = False
        self.setWindowTitle(_("Panel meeting") + f" — {self.sample.name}")
        font = QFont(self.font())
        font.setPointSize(BASE_POINT_SIZE)
        self.setFont(font)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(18, 12, 18, 8)
        top = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("panel_title")
        title_font = QFont(font)
        title_font.setPointSize(BASE_POINT_SIZE + 7)
        title_font.setBold(True)
        self.title.setFont(title_font)
        top.addWidget(self.title, 1)
        self.reason_label = QLabel(self)
        self.reason_label.setObjectName("panel_reason")
        self.reason_label.setWordWrap(True)
        self.reason_label.setFont(font)  # explicit: its style sheet would otherwise drop the large type
        self.previous_button = QPushButton(_("◀ Previous"), self)
        self.next_button = QPushButton(_("Next ▶"), self)
        self.case_button = QPushButton(_("Case"), self)
        self.charts_button = QPushButton(_("Charts"), self)
        self.screen_button = QPushButton(_("Full screen"), self)
        for name, button in (("panel_previous", self.previous_button), ("panel_next", self.next_button),
                             ("panel_case_page", self.case_button), ("panel_charts_page", self.charts_button),
                             ("panel_full_screen", self.screen_button)):
            button.setObjectName(name)
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the keyboard has shortcuts; Tab stays in the form
            top.addWidget(button)
        layout.addLayout(top)
        layout.addWidget(self.reason_label)  # its own line: the title row must fit a 1366-wide screen

        self.pages = QStackedWidget(self)
        self.pages.setObjectName("panel_pages")
        self.pages.addWidget(self._build_case_page())
        self.charts_page = QWidget(self)  # the charts view scrolls its charts itself
        self.charts_page.setObjectName("panel_charts")
        QVBoxLayout(self.charts_page).setContentsMargins(0, 0, 0, 0)
        self.pages.addWidget(self.charts_page)
        layout.addWidget(self.pages, 1)
        self.hint = QLabel(HINT, self)
        self.hint.setObjectName("panel_hint")
        hint_font = QFont(font)
        hint_font.setPointSize(BASE_POINT_SIZE - 5)
        self.hint.setFont(hint_font)
        self.hint.setStyleSheet("color: #555555;")
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)

        self.previous_button.clicked.connect(self.previous_case)
        self.next_button.clicked.connect(self.next_case)
        self.case_button.clicked.connect(self.show_case_page)
        self.charts_button.clicked.connect(self.show_charts)
        self.screen_button.clicked.connect(self.toggle_full_screen)
        self._shortcuts()
        self.show_case(0)

    # --- layout -------------------------------------------------------------------------------------
    def _build_case_page(self) -> QWidget:
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.setObjectName("panel_case")
        self.card = QLabel(splitter)
        self.card.setObjectName("panel_card")
        self.card.setTextFormat(Qt.TextFormat.RichText)
        self.card.setWordWrap(True)
        self.card.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)
        card_font = QFont(self.font())
        card_font.setPointSize(CARD_POINT_SIZE)
        self.card.setFont(card_font)
        card_scroll = QScrollArea(splitter)
        card_scroll.setWidgetResizable(True)
        card_scroll.setWidget(self.card)
        card_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        form_scroll = QScrollArea(splitter)
        form_scroll.setObjectName("panel_form_scroll")
        form_scroll.setWidgetResizable(True)
        form_scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        form_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        form_widget = QWidget(form_scroll)
        form_widget.setObjectName("panel_form")
        column = QVBoxLayout(form_widget)
        heading = QLabel(_("Panel finding"), form_widget)
        bold = QFont(self.font())
        bold.setBold(True)
        heading.setFont(bold)
        column.addWidget(heading)
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapLongRows)  # a narrow form puts labels above
        vocab = review.vocabularies()
        self.questions: dict[str, QComboBox] = {}
        for question in vocab.panel_questions:
            combo = QComboBox(form_widget)
            combo.setObjectName(f"panel_{question.key}")
            combo.addItem("—", None)
            for term in question.answers:
                combo.addItem(_(term.label), term.key)
            form.addRow(_(question.label), combo)
            self.questions[question.key] = combo
        rag_row = QHBoxLayout()
        self.rag_group = QButtonGroup(form_widget)
        self.rag_buttons: dict[str, QRadioButton] = {}
        for term in vocab.rag:
            button = QRadioButton(f"{term.glyph} {_(term.label)}", form_widget)
            button.setObjectName(f"panel_rag_{term.key}")
            button.setToolTip(_(term.description))
            # Black on the Okabe-Ito colour (contrast above 4.5:1 on a projector), with the glyph and the
            # word, so the rating never relies on colour alone.
            button.setStyleSheet(f"QRadioButton {{ background: {term.colour}; color: #000000; font-weight: bold; "
                                 "padding: 3px 10px; border: 3px solid transparent; border-radius: 4px; } "
                                 "QRadioButton:checked { border: 3px solid #000000; }")
            self.rag_group.addButton(button)
            self.rag_buttons[term.key] = button
            rag_row.addWidget(button)
        rag_row.addStretch(1)
        form.addRow(_("Rating"), rag_row)
        self.learning = self._text_box(form_widget, "panel_learning", _("What should be learnt or improved"))
        form.addRow(_("Learning"), self.learning)
        self.good_practice = self._text_box(form_widget, "panel_good_practice", _("What was done well"))
        form.addRow(_("Good practice"), self.good_practice)
        self.police_response = self._text_box(form_widget, "panel_police_response",
                                              _("The police's written response, when it comes"))
        form.addRow(_("Police response"), self.police_response)
        self.response_date_field = OptionalDate(_("Response received"), "panel_response_date", QDate.currentDate(),
                                                form_widget)
        self.response_date_set, self.response_date = (self.response_date_field.checkbox,
                                                      self.response_date_field.date_edit)
        form.addRow(_("Response date"), self.response_date_field)
        column.addLayout(form)
        buttons = QHBoxLayout()
        self.save_button = QPushButton(_("Save panel finding (Ctrl+S)"), form_widget)
        self.save_button.setObjectName("panel_save")
        buttons.addWidget(self.save_button)
        buttons.addStretch(1)
        column.addLayout(buttons)
        self.version_label = QLabel(form_widget)
        self.version_label.setObjectName("panel_version")
        self.version_label.setWordWrap(True)
        column.addWidget(self.version_label)
        self.activity = FindingActivity(lambda: self._context.engine, form_widget, prefix="panel",
                                        trail_heading=_("Audit trail of the panel's finding"))
        small = QFont(self.font())
        small.setPointSize(BASE_POINT_SIZE - 5)
        self.activity.trail_heading.setFont(small)
        self.activity.audit_table.setFont(small)
        self.activity.audit_table.horizontalHeader().setFont(small)
        # Every event here is the panel's: no "finding" column.
        self.activity.audit_table.set_column_widths(self.activity.audit_table.fontMetrics().horizontalAdvance("0"),
                                                    (14, 9, 0, 6, 3, 12))
        self.activity.audit_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.activity.audit_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.message, self.audit_table = self.activity.message, self.activity.audit_table
        self.audit_model = self.activity.audit_model
        column.addWidget(self.activity, 1)
        form_scroll.setWidget(form_widget)

        splitter.addWidget(card_scroll)
        splitter.addWidget(form_scroll)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([900, 1100])  # scaled to the window: the form's labels and answers side by side
        splitter.setChildrenCollapsible(False)

        for combo in self.questions.values():
            combo.currentIndexChanged.connect(self._mark_dirty)
        self.rag_group.buttonToggled.connect(self._mark_dirty)
        for box in (self.learning, self.good_practice, self.police_response):
            box.textChanged.connect(self._mark_dirty)
        self.response_date_field.changed.connect(self._mark_dirty)
        self.save_button.clicked.connect(self.save)
        self.activity.busy_changed.connect(self._set_busy)
        self.activity.save_finished.connect(self._saved)
        order = [*self.questions.values(), *self.rag_buttons.values(), self.learning, self.good_practice,
                 self.police_response, self.response_date_set, self.response_date, self.save_button]
        for first, second in zip(order, order[1:]):
            QWidget.setTabOrder(first, second)
        return splitter

    def _text_box(self, parent: QWidget, name: str, placeholder: str) -> QPlainTextEdit:
        box = QPlainTextEdit(parent)
        box.setObjectName(name)
        box.setTabChangesFocus(True)  # Tab walks the form, as everywhere else
        box.setPlaceholderText(placeholder)
        box.setFixedHeight(int(self.fontMetrics().height() * 2.6))  # Save stays in view at 768 lines
        return box

    def _shortcuts(self) -> None:
        def bind(keys, slot) -> None:
            for key in keys:
                shortcut = QShortcut(QKeySequence(key), self)
                shortcut.setContext(Qt.ShortcutContext.WindowShortcut)
                shortcut.activated.connect(slot)

        bind((Qt.Key.Key_Right, Qt.Key.Key_PageDown, "Alt+Right"), self.next_case)
        bind((Qt.Key.Key_Left, Qt.Key.Key_PageUp, "Alt+Left"), self.previous_case)
        bind((QKeySequence.StandardKey.Save,), self.save)
        bind(("Ctrl+1",), self.show_case_page)
        bind(("Ctrl+2",), self.show_charts)
        bind((Qt.Key.Key_F11,), self.toggle_full_screen)
        bind((Qt.Key.Key_Escape,), self.leave_full_screen)

    # --- window -------------------------------------------------------------------------------------
    def open(self) -> None:
        if self._full_screen:
            self.showFullScreen()
        else:
            self.resize(1600, 960)
            self.show()
        self.activateWindow()
        self.first_field().setFocus()

    def toggle_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        else:
            self.showFullScreen()
        self._update_screen_button()

    def leave_full_screen(self) -> None:
        if self.isFullScreen():
            self.showNormal()
        self._update_screen_button()

    def _update_screen_button(self) -> None:
        self.screen_button.setText(_("Leave full screen") if self.isFullScreen() else _("Full screen"))

    def first_field(self) -> QWidget:
        return next(iter(self.questions.values()))

    def closeEvent(self, event) -> None:  # noqa: N802 - Qt name
        if self.is_saving():  # its answer (saved, or why not) must reach the form before it goes
            self.activity.set_message(_("Still saving: close the window when the save has finished."), error=True)
            event.ignore()
            return
        self._keep_draft()
        if self.drafts and self.confirm_close_with_drafts:
            answer = QMessageBox.question(
                self, _("Unsaved panel findings"),
                _("%n case(s) have panel findings that are not saved. Close and lose them?").replace(
                    "%n", str(len(self.drafts))),
                QMessageBox.StandardButton.Discard | QMessageBox.StandardButton.Cancel,
                QMessageBox.StandardButton.Cancel)
            if answer != QMessageBox.StandardButton.Discard:
                event.ignore()
                return
        view = self.disparity_view
        if view is not None and hasattr(view, "shutdown"):
            view.shutdown()
        super().closeEvent(event)

    # --- cases --------------------------------------------------------------------------------------
    def case_count(self) -> int:
        return len(self.cases)

    def next_case(self) -> None:
        self.show_case(self.index + 1)

    def previous_case(self) -> None:
        self.show_case(self.index - 1)

    def show_case(self, index: int) -> None:
        if not self.cases:
            self.title.setText(_("No cases"))
            self.card.setText(html.escape(_("None of this sample's records is loaded in this database.")))
            self._set_form_enabled(False)
            return
        index = max(0, min(index, len(self.cases) - 1))
        if (index == self.index and self.record is not None) or self.is_saving():
            return
        self._keep_draft()
        self.index = index
        member, search_id = self.cases[index]
        self.record = reviews.panel_record(self._context.engine, self._context.labels, search_id)
        # The random sample and the must-see list are numbered apart, so "case 3 of 10" means the sample.
        must_see = member.reason != review.RANDOM
        same = [m for m, _sid in self.cases if (m.reason != review.RANDOM) == must_see]
        place = next(i for i, m in enumerate(same, start=1) if m is member)
        self.title.setText((_("Must-see case") if must_see else _("Sample case")) + f" {place} " + _("of")
                           + f" {len(same)}")
        self.reason_label.setText(_(review.REASON_LABELS.get(member.reason, member.reason)))
        self.reason_label.setStyleSheet("color: #a12a00; font-weight: bold;" if must_see else "")
        self.card.setText(self._card_html(self.record))
        self._reload_state(fill=True)
        self._update_navigation()
        self.show_case_page()
        self.case_changed.emit(index)

    def _update_navigation(self) -> None:
        # No move while a save runs: its answer belongs to the case on screen.
        free = not self.is_saving()
        self.previous_button.setEnabled(free and self.index > 0)
        self.next_button.setEnabled(free and self.index < len(self.cases) - 1)

    def _card_html(self, record: reviews.PanelRecord) -> str:
        e = html.escape
        rows = "".join(f"<tr><td style='color:#555555; padding-right:18px'>{e(_(label))}</td><td><b>{e(value)}</b></td></tr>"
                       for label, value in record.facts)
        parts = [f"<table cellspacing='3'>{rows}</table>"]
        if record.gowisely:
            parts.append(f"<p><span style='color:#555555'>{e(_('GOWISELY (as recorded)'))}:</span> {e(record.gowisely)}</p>")
        for label, text in record.texts:
            parts.append(f"<p style='margin-top:12px'><span style='color:#555555'>{e(_(label))}</span><br>"
                         f"<span style='background:#f3f3f3'>{e(text)}</span></p>")
        if record.flagged_rules:
            items = "".join(f"<li><b>{e(rule)}</b> {e(verdict)}: {e(title)}</li>"
                            for rule, verdict, title in record.flagged_rules)
            parts.append(f"<p style='margin-top:12px'><span style='color:#555555'>"
                         f"{e(_('The charter checks flagged'))}</span></p><ul>{items}</ul>")
        else:
            parts.append(f"<p>{e(_('The charter checks flagged nothing on this record.'))}</p>")
        return "".join(parts)

    def _reload_state(self, *, fill: bool) -> None:
        assert self.record is not None
        self.state = reviews.current_finding(self._context.engine, self.record.record_id, review.PANEL)
        if fill:
            draft = self.drafts.get(self.record.record_id)
            if draft is not None:
                self._fill(draft)
                self._dirty = True
            else:
                self._fill(dict(self.state.fields) if self.state is not None and self.state.active else None)
                self._dirty = False
        self.activity.show_trail(reviews.audit_trail(self._context.engine, self.record.record_id, review.PANEL))
        self._set_form_enabled(True)
        self._update_version()

    def _update_version(self) -> None:
        text = _("No panel finding yet.") if self.state is None or not self.state.active else (
            _("Saved") + f" v{self.state.version} · {self.state.updated_by} · "
            + reviews.local_time_text(self.state.updated_at))
        if self._dirty:
            text += "   ● " + _("unsaved changes")
        others = [key for key in self.drafts if self.record is None or key != self.record.record_id]
        if others:
            text += "   · " + _("other cases with unsaved changes:") + f" {len(others)}"
        self.version_label.setText(text)

    def _set_form_enabled(self, enabled: bool) -> None:
        for widget in (*self.questions.values(), *self.rag_buttons.values(), self.learning, self.good_practice,
                       self.police_response, self.save_button):
            widget.setEnabled(enabled)
        self.response_date_field.set_editable(enabled)

    # --- the form -----------------------------------------------------------------------------------
    def _fill(self, fields: dict[str, object] | None) -> None:
        fields = fields or review.blank_finding()
        self._filling = True
        try:
            for key, combo in self.questions.items():
                combo.setCurrentIndex(max(0, combo.findData(fields.get(key))))
            self.rag_group.setExclusive(False)  # so no button may be checked
            for key, button in self.rag_buttons.items():
                button.setChecked(fields.get("rag") == key)
            self.rag_group.setExclusive(True)
            self.learning.setPlainText(str(fields.get("learning_note") or ""))
            self.good_practice.setPlainText(str(fields.get("good_practice_note") or ""))
            self.police_response.setPlainText(str(fields.get("police_response") or ""))
            self.response_date_field.set_value(fields.get("police_response_date"))
        finally:
            self._filling = False

    def form_fields(self) -> dict[str, object]:
        rag = next((key for key, button in self.rag_buttons.items() if button.isChecked()), None)
        fields: dict[str, object] = {key: combo.currentData() for key, combo in self.questions.items()}
        fields.update(rag=rag, learning_note=self.learning.toPlainText(),
                      good_practice_note=self.good_practice.toPlainText(),
                      police_response=self.police_response.toPlainText(),
                      police_response_date=self.response_date_field.value())
        return fields

    def _mark_dirty(self, *_args) -> None:
        if self._filling or self.record is None:
            return
        self._dirty = True
        self._update_version()

    def _keep_draft(self) -> None:
        if self.record is not None and self._dirty:
            self.drafts[self.record.record_id] = self.form_fields()

    def is_saving(self) -> bool:
        return self.activity.is_saving()

    def save(self) -> bool:
        """Start saving the shown case's form on the worker (False: nothing to save, or a save running)."""
        if self.record is None or self.is_saving():
            return False
        engine, record_id, fields, based_on = self._context.engine, self.record.record_id, self.form_fields(), self.state
        who, why = self._context.user_name, _("panel meeting") + f": {self.sample.name}"
        self._keep_draft()  # until the save is confirmed, the form's content is a draft like any other
        return self.activity.submit(
            lambda: save_finding(engine, record_id, review.PANEL, fields, who=who, why=why, based_on=based_on),
            record_id=record_id, kind=review.PANEL, trail_kind=review.PANEL, done_text=_("Panel finding saved"))

    def _set_busy(self, busy: bool) -> None:
        self._set_form_enabled(not busy and self.record is not None)
        self._update_navigation()

    def _saved(self, outcome: SaveOutcome) -> None:
        if outcome.saved:
            self.drafts.pop(outcome.record_id, None)
            self.finding_saved.emit(outcome.record_id)
        if self.record is None or outcome.record_id != self.record.record_id or not outcome.state_read:
            self._update_version()
            return
        # A refusal or a stale version keeps the form as typed (and its draft); the next save is based on
        # the version now stored, which the trail shows.
        self.state = outcome.state
        self.activity.show_trail(outcome.trail or [])
        if outcome.saved:
            self._dirty = False
            self._fill(dict(self.state.fields) if self.state is not None and self.state.active else None)
        self._update_version()

    # --- pages --------------------------------------------------------------------------------------
    def show_case_page(self) -> None:
        self.pages.setCurrentIndex(PanelPages.CASE)

    def show_charts(self) -> None:
        if self.disparity_view is None:
            self.disparity_view = self._make_disparity_view()
            self.charts_page.layout().addWidget(self.disparity_view)
        self.pages.setCurrentIndex(PanelPages.CHARTS)

    def _make_disparity_view(self) -> QWidget:
        """The app's disproportionality charts in large type, if this version has them."""
        try:
            from stopsearch_app.ui.disparity_view import DisparityView
        except ImportError:
            label = QLabel(_("The disproportionality charts are not available in this version of the app."),
                           self.charts_page)
            label.setObjectName("panel_charts_unavailable")
            label.setAlignment(Qt.AlignmentFlag.AlignCenter)
            return label
        try:
            view = DisparityView(self._context, self.charts_page, large_type=True)
        except TypeError:  # an older view without the option
            view = DisparityView(self._context, self.charts_page)
            if hasattr(view, "set_large_type"):
                view.set_large_type(True)
        filters = self.sample.filters
        if hasattr(view, "set_filters") and (filters.month_from or filters.month_to or filters.age.is_children):
            values: dict[str, object] = {}
            if filters.month_from:
                values["month_from"] = filters.month_from
            if filters.month_to:
                values["month_to"] = filters.month_to
            if filters.age.is_children:
                values["age"] = filters.age.value
            try:
                view.set_filters(**values)
            except (ValueError, KeyError):
                pass  # the view keeps its own defaults
        return view

    def charts_busy(self) -> bool:
        view = self.disparity_view
        return bool(view is not None and hasattr(view, "is_busy") and view.is_busy())
