"""The custom Qt item-data roles of every model, declared once (issue 12 item 8).

Each value is unique across the app, so a view or a test reading a role from any model gets what the
name says; no other module adds to ``Qt.ItemDataRole.UserRole`` (tests/ui/test_roles.py checks both).
"""

from __future__ import annotations

from PySide6.QtCore import Qt

_BASE = Qt.ItemDataRole.UserRole
SearchIdRole = _BASE + 1  # int: the search's database id (record table, review queue)
VerdictKeyRole = _BASE + 2  # str: a verdict key of the compliance overview's cell
RuleIdRole = _BASE + 3  # str: the rule ID of the compliance overview's row
ExportRole = _BASE + 4  # float | None: a chart table cell's number, unrounded (the CSV exports it)
RecordIdRole = _BASE + 22  # str: the stable record id (findings, packs and responses refer to it)
