"""The record view a supervisor works in: the grounds (and every free text) first, whole and wrapped;
the fields grouped as a review reads them (``detail_fields.GROUPS``), blank ones saying *not recorded*
and those the source does not carry *not in this source*; the charter verdicts with their reasons and
sources below, behind a splitter so either part can be given the room."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush, QColor
from PySide6.QtWidgets import QHeaderView, QLabel, QSplitter, QTableView, QTextBrowser, QVBoxLayout, QWidget

from stopsearch_app.domain.charter.verdicts import Verdict
from stopsearch_app.domain.labels import label
from stopsearch_app.i18n import _
from stopsearch_app.store.checks import record_verdicts
from stopsearch_app.store.queries import record_detail
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.detail_fields import FREE_TEXT, NOT_CARRIED, NOT_RECORDED, grouped_rows
from stopsearch_app.ui.simple_models import ListTableModel

_GREY = "#6b6b6b"
_CSS = ("h3 { margin: 8px 0 2px 0; font-size: 11pt; } td { padding: 1px 6px 1px 0; vertical-align: top; }"
        ".blank { color: #6b6b6b; } .text { font-size: 11pt; background: #f4f4ee; padding: 6px; }"
        ".name { color: #333; }")


class DetailPane(QWidget):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("detail_pane")
        # Narrower than this, the values and the grounds wrap to a word a line (issue 12: unreadable at 1366).
        self.setMinimumWidth(380)
        self._context = context
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        self.title = QLabel(_("Select a record to see every field."), self)
        self.title.setWordWrap(True)
        layout.addWidget(self.title)
        # (label, text) of every field shown, in order: what tests and copy-paste read.
        self.model = ListTableModel([(_("Field"), lambda r: r[0]), (_("Value"), lambda r: r[1])], [], self)
        self.splitter = QSplitter(Qt.Orientation.Vertical, self)
        self.splitter.setObjectName("detail_splitter")
        self.record_view = QTextBrowser(self.splitter)
        self.record_view.setObjectName("detail_record")
        self.record_view.setOpenLinks(False)
        verdict_box = QWidget(self.splitter)
        verdict_layout = QVBoxLayout(verdict_box)
        verdict_layout.setContentsMargins(0, 0, 0, 0)
        self.verdict_title = QLabel(_("Charter checks"), verdict_box)
        verdict_layout.addWidget(self.verdict_title)
        self.verdict_model = ListTableModel(
            [(_("Rule"), lambda v: v.rule_id),
             (_("Verdict"), lambda v: f"{v.verdict.glyph} {v.verdict.label}" if v.verdict else _("not run")),
             (_("Reason"), lambda v: v.reason),
             (_("Basis and source"), lambda v: f"{v.basis}: {v.citation}")], [], self,
            foreground=lambda v, c: QBrush(QColor(v.verdict.text_colour)) if v.verdict and c == 1 else None,
            tooltip=lambda v, c: f"{v.rule_id} {v.title}\n{v.reason}\n{v.basis}: {v.citation}",
            background=lambda v, c: QBrush(QColor(v.verdict.colour)) if v.verdict and c == 1 else None)
        self.verdict_table = QTableView(verdict_box)
        self.verdict_table.setObjectName("verdict_table")
        self.verdict_table.setModel(self.verdict_model)
        self.verdict_table.verticalHeader().hide()
        self.verdict_table.setWordWrap(True)
        header = self.verdict_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Interactive)
        self.verdict_table.setColumnWidth(1, 84)
        self.verdict_table.setColumnWidth(3, 130)
        verdict_layout.addWidget(self.verdict_table)
        self.splitter.addWidget(self.record_view)
        self.splitter.addWidget(verdict_box)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 2)
        layout.addWidget(self.splitter, 1)
        self.record_id: int | None = None

    def show_record(self, record_id: int | None) -> None:
        self.record_id = record_id
        if record_id is None:
            self.title.setText(_("Select a record to see every field."))
            self.model.set_rows([])
            self.record_view.clear()
            self.verdict_model.set_rows([])
            return
        detail = record_detail(self._context.engine, record_id, self._context.labels)
        self.title.setText(f"<b>{detail['record_id']}</b><br>{detail['occurred_at']} · "
                           + html.escape(label("force", detail.get("force"))))
        groups = grouped_rows(detail)
        self.model.set_rows([(label, text) for _group, rows in groups for _name, label, text in rows])
        self.record_view.setHtml(self._html(groups))
        verdicts = record_verdicts(self._context.engine, record_id)
        # findings first (fail, review), then the rest in rule order
        order = {Verdict.FAIL: 0, Verdict.REVIEW: 1, Verdict.NOT_RECORDED: 2}
        verdicts.sort(key=lambda v: order.get(v.verdict, 3))
        self.verdict_model.set_rows(verdicts)
        self.verdict_table.resizeRowsToContents()  # a few dozen rows: cheap here, unlike the record table
        failing = sum(1 for v in verdicts if v.verdict in (Verdict.FAIL, Verdict.REVIEW))
        self.verdict_title.setText(_("Charter checks: not checked yet") if not verdicts else
                                   _("Charter checks") + f": {failing} " + _("to review or failed"))

    @staticmethod
    def _html(groups) -> str:
        texts = {name: (label, text) for _group, rows in groups for name, label, text in rows if name in FREE_TEXT}
        grounds_label, grounds = texts["grounds_text"]
        blank = grounds in (NOT_RECORDED, NOT_CARRIED)
        parts = [f"<style>{_CSS}</style><h3>{html.escape(grounds_label)}</h3>",
                 f"<p class='{'blank' if blank else 'text'}'>{html.escape(grounds)}</p>"]
        for group, rows in groups:
            parts.append(f"<h3>{html.escape(group)}</h3><table width='100%'>")
            for name, label, text in rows:
                if name == "grounds_text":
                    continue
                cls = "blank" if text in (NOT_RECORDED, NOT_CARRIED) else ("text" if name in FREE_TEXT else "")
                parts.append(f"<tr><td class='name' width='38%'>{html.escape(label)}</td>"
                             f"<td class='{cls}'>{html.escape(text)}</td></tr>")
            parts.append("</table>")
        return "".join(parts)
