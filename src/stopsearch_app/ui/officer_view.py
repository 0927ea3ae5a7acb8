"""Officer and team patterns: a supervisor-only dialog (Review → Officer and team patterns…).

Counts for every officer or team; rates and shares only above the minimum volumes of
``resources/review/patterns.toml`` (below them the cell says *too few searches*); ethnicity shares
beside the area's residents; activity relative to the median officer in the same team. Loaded off the
UI thread; *Export CSV…* writes the table Excel-safe. Holds officer references: never in a panel pack.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (QComboBox, QDialog, QFileDialog, QHBoxLayout, QHeaderView, QLabel, QPushButton,
                               QTableView, QVBoxLayout, QWidget)

from stopsearch_app.domain import patterns as domain
from stopsearch_app.domain.records import ETHNIC_GROUPS
from stopsearch_app.i18n import _
from stopsearch_app.store.patterns import load_patterns, write_patterns_csv
from stopsearch_app.ui.context import AppContext
from stopsearch_app.ui.simple_models import ListTableModel
from stopsearch_app.ui.tasks import TaskSlot


def _count(value: object) -> str:
    return "not checked" if value is None or (isinstance(value, float) and value != value) else f"{int(value):,}"


def _ratio(value: object, shown: bool) -> str:
    if not shown:
        return domain.TOO_FEW
    if value is None or value is pd.NA or (isinstance(value, float) and value != value):
        return "—"
    return f"{float(value):.1f}×"


def _share(row: dict, group: str) -> str:
    value = row[f"share_{group}"]
    if row["rate_shown"] and (value is None or value != value):
        return _("too few recorded")  # enough searches, but too few with the ethnicity recorded
    return domain.rate_text(value, bool(row["rate_shown"]))


class OfficerPatternsDialog(QDialog):
    def __init__(self, context: AppContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("officer_patterns")
        self.setWindowTitle(_("Officer and team patterns (supervisors only)"))
        self._context = context
        self.table_frame = pd.DataFrame()
        self.resize(1320, 700)
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.by = QComboBox(self)
        self.by.setObjectName("patterns_by")
        self.by.addItem(_("By officer"), "officer")
        self.by.addItem(_("By team / station"), "team")
        top.addWidget(self.by)
        self.export_button = QPushButton(_("Export CSV…"), self)
        self.export_button.setObjectName("patterns_export")
        top.addWidget(self.export_button)
        top.addStretch(1)
        layout.addLayout(top)
        settings = domain.thresholds()
        self.note = QLabel(self)
        self.note.setWordWrap(True)
        self.note.setText(_("Local extracts only; for the supervisor's own use: officer references are never put in "
                            "a panel pack. Rates and shares are shown from ") + f"{settings.min_searches_for_rate} "
                          + _("searches (shares from ") + f"{settings.min_recorded_for_share} "
                          + _("with ethnicity recorded); below that the counts stand alone. \"× area\" is the share "
                              "of searches over the share of London's residents (Census 2021); \"× team median\" "
                              "is the officer's searches over the median officer's in the same team."))
        layout.addWidget(self.note)
        self.status = QLabel(self)
        self.status.setObjectName("patterns_status")
        layout.addWidget(self.status)
        self.model = ListTableModel([], [], self)
        self.view = QTableView(self)
        self.view.setObjectName("patterns_table")
        self.view.setModel(self.model)
        self.view.verticalHeader().hide()
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        layout.addWidget(self.view, 1)
        self._slot = TaskSlot(self)
        self._slot.succeeded.connect(self._show)
        self._slot.failed.connect(lambda message: self.status.setText(_("Could not load the patterns: ") + message))
        self.by.currentIndexChanged.connect(self.reload)
        self.export_button.clicked.connect(lambda: self.export_csv())
        self.reload()

    def by_key(self) -> str:
        return str(self.by.currentData())

    def reload(self) -> None:
        self.status.setText(_("Loading…"))
        engine, labels, by = self._context.engine, self._context.labels, self.by_key()
        self._slot.submit(lambda progress, cancelled: (by, load_patterns(engine, labels, by)))

    def is_loading(self) -> bool:
        return self._slot.is_busy()

    def _columns(self, by: str, area: dict) -> list:
        columns = [(_("Officer") if by == "officer" else _("Team / station"), lambda r: r[by])]
        if by == "officer":
            columns.append((_("Team"), lambda r: r["team"] if isinstance(r["team"], str) else "not recorded"))
        columns += [(_("Searches"), lambda r: f"{int(r['searches']):,}"),
                    (_("Children"), lambda r: f"{int(r['children']):,}"),
                    (_("Find rate"), lambda r: domain.rate_text(r["find_rate"], r["rate_shown"])),
                    (_("With a fail"), lambda r: _count(r["with_a_fail"])),
                    (_("Fail rate"), lambda r: domain.rate_text(r["fail_rate"], r["rate_shown"]))]
        for group in ETHNIC_GROUPS:
            columns.append((_(group) + " %", lambda r, g=group: _share(r, g)))
            if area.get(group):
                columns.append((_(group) + " × " + _("area"),
                                lambda r, g=group: _ratio(r.get(f"share_{g}_vs_area"), bool(r["rate_shown"]))))
        if by == "officer":
            columns.append((_("× team median"), lambda r: _ratio(r["searches_vs_team_median"], True)))
        return columns

    def _show(self, payload) -> None:
        by, table = payload
        if by != self.by_key():
            return
        self.table_frame = table
        old = self.model
        self.model = ListTableModel(self._columns(by, table.attrs.get("area_shares") or {}), table.to_dict("records"),
                                    self)
        self.view.setModel(self.model)
        old.deleteLater()
        missing = table.attrs.get(f"records_without_{by}", 0)
        shown = int(table["rate_shown"].sum()) if len(table) else 0
        self.status.setText(f"{len(table):,} " + (_("officers") if by == "officer" else _("teams"))
                            + f"; {shown:,} " + _("with enough searches for rates") + f"; {missing:,} "
                            + _("searches record no ") + (_("officer") if by == "officer" else _("team")))

    def export_csv(self, path: str | Path | None = None) -> Path | None:
        if path is None:
            chosen, _filter = QFileDialog.getSaveFileName(self, _("Export patterns"),
                                                          f"{self.by_key()}-patterns.csv", _("CSV (*.csv)"))
            if not chosen:
                return None
            path = chosen
        write_patterns_csv(self.table_frame, path, self.by_key())
        self.status.setText(_("Exported to ") + str(path))
        return Path(path)
