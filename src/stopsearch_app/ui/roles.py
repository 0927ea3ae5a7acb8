"""The custom Qt item-data roles of every model, declared once (issue 12 item 8).

Each value is unique across the app, so a view or a test reading a role from any model gets what the
name says. The record table's ``RecordIdRole`` has always carried the database id, which is what
``SearchIdRole`` names; the old name stays for it as an alias.
"""

from __future__ import annotations

from PySide6.QtCore import Qt

_BASE = Qt.ItemDataRole.UserRole
SearchIdRole = _BASE + 1  # int: the search's database id (record table, review queue)
VerdictKeyRole = _BASE + 2  # str: a verdict key of the compliance overview's cell
RuleIdRole = _BASE + 3  # str: the rule ID of the compliance overview's row
RecordIdRole = _BASE + 22  # str: the stable record id (findings, packs and responses refer to it)
TableRecordIdRole = SearchIdRole  # what records_model has called RecordIdRole (the database id)
