"""Supervisor and panel review, as five modules (issue 12 item 8); this module re-exports them so
`from stopsearch_app.store.reviews import X` keeps working:

* :mod:`.findings`: finding commands (record, change, undo) and the audit trail;
* :mod:`.record_lookup`: stable record ids <-> database rows;
* :mod:`.review_queue`: the supervisors' queue;
* :mod:`.panel_reads`: the anonymised record of panel mode;
* :mod:`.samples`: saved dip samples.
"""

from __future__ import annotations

from stopsearch_app.domain.review import FindingInvalid  # noqa: F401 - re-exported for callers of the commands
from stopsearch_app.store.checks import record_verdicts  # noqa: F401 - as before the split
from stopsearch_app.store.findings import (  # noqa: F401
    AUDIT_COLUMNS, AuditEvent, ChangeFinding, FindingCommand, FindingState, NoFinding, NothingChanged,
    NothingToUndo, RecordFinding, StaleFindingError, UndoFinding, _Lost, _audit, _columns, _event, _read,
    _require, _state, _utc, _write_transaction, all_findings, audit_trail, current_finding, export_audit_csv,
    findings_for_record, local_time_text, save_finding)
from stopsearch_app.store.record_lookup import (  # noqa: F401
    _parse_public_id, record_id_for, search_id_for, search_ids_for)
from stopsearch_app.store.review_queue import (  # noqa: F401
    QueueFilter, QueueRow, RecordForReview, _child_ids, _rule_condition, _rules_of_runs, queue_choices,
    queue_ids, queue_rows, record_for_review)
from stopsearch_app.store.panel_reads import (  # noqa: F401
    PANEL_RECORD_FIELDS, PANEL_TEXT_FIELDS, PanelRecord, panel_record)
from stopsearch_app.store.samples import (  # noqa: F401
    SampleMember, SampleNameTaken, SavedSample, _saved, list_samples, load_sample, preview_sample,
    save_sample)
