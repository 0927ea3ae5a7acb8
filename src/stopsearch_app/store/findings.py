"""Finding commands and their audit trail (split from store/reviews.py, issue 12 item 8).

Every change to a finding goes through a command object (git-cola style): :class:`RecordFinding`,
:class:`ChangeFinding` and :class:`UndoFinding`. ``do()`` writes the finding's new state and its
``audit_event`` row in ONE transaction; an undo is itself a recorded reversal, never a delete.
Optimistic locking: a command carries the ``version`` it was based on; a changed row raises
:class:`StaleFindingError`, the rejected edit travels in the error so the form keeps it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Connection, Engine, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

import stopsearch_app.store.review_schema  # noqa: F401 - registers the review tables on schema.metadata
from stopsearch_app.domain import review
from stopsearch_app.io.safe_csv import write_csv
from stopsearch_app.store.review_schema import audit_event, finding

CREATE, CHANGE, UNDO = "create", "change", "undo"


# --- states and errors ----------------------------------------------------------------------------
def _utc(moment: datetime | None) -> datetime | None:
    """SQLite hands timestamps back without a zone; they were written in UTC."""
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def local_time_text(moment: datetime | None) -> str:
    """'2026-11-24 14:05' in London time (what people read in messages and tables)."""
    if moment is None:
        return ""
    from zoneinfo import ZoneInfo

    return _utc(moment).astimezone(ZoneInfo("Europe/London")).strftime("%Y-%m-%d %H:%M")


@dataclass(frozen=True)
class FindingState:
    """One finding as stored: its fields (domain.review.FINDING_FIELDS), status and version."""

    id: int
    record_id: str
    kind: str
    status: str
    fields: Mapping[str, object]
    version: int
    vocabulary_version: str
    created_by: str
    created_at: datetime
    updated_by: str
    updated_at: datetime

    @property
    def active(self) -> bool:
        return self.status == review.ACTIVE

    def snapshot(self) -> dict[str, object]:
        """The audit before/after of this state: every field plus the status (JSON-safe)."""
        return review.finding_to_json({**self.fields, "status": self.status})


@dataclass(frozen=True)
class AuditEvent:
    id: int
    record_id: str
    finding_id: int
    kind: str
    action: str
    version: int
    who: str
    at: datetime
    before: Mapping[str, object] | None
    after: Mapping[str, object]
    why: str
    reverts_event_id: int | None

    @property
    def summary(self) -> str:
        return review.describe_change(self.before, self.after)

    def as_row(self) -> dict[str, object]:
        return {"event_id": self.id, "record_id": self.record_id, "kind": self.kind, "action": self.action,
                "version": self.version, "who": self.who, "at": _utc(self.at).isoformat(), "why": self.why,
                "change": self.summary, "reverts_event_id": self.reverts_event_id,
                "before": json.dumps(self.before, sort_keys=True) if self.before is not None else "",
                "after": json.dumps(self.after, sort_keys=True)}


class StaleFindingError(Exception):
    """Someone else saved this finding after it was read. Nothing was written; ``current`` is what is
    stored now and ``attempted`` the rejected fields (kept so the user's edit is not lost)."""

    def __init__(self, record_id: str, kind: str, expected_version: int | None, current: FindingState | None,
                 attempted: Mapping[str, object] | None) -> None:
        self.record_id, self.kind, self.expected_version = record_id, kind, expected_version
        self.current, self.attempted = current, dict(attempted or {})
        if current is None:
            text = (f"The {kind} finding on {record_id} is no longer there as you saw it (version "
                    f"{expected_version}). Nothing was saved; reload the record.")
        else:
            action = "recorded" if current.version == 1 else "changed"
            text = (f"{current.updated_by} {action} the {kind} finding on {record_id} at "
                    f"{local_time_text(current.updated_at)} (now version {current.version}; you were working "
                    f"on {'no finding' if expected_version is None else f'version {expected_version}'}). "
                    "Your edit was NOT saved and is still in the form: look at their finding, then save again.")
        super().__init__(text)


class NothingToUndo(ValueError):
    """No recorded change of this finding is left to reverse."""


class NothingChanged(ValueError):
    """A change that changes nothing is not recorded."""


class NoFinding(ValueError):
    """A change or undo of a finding that does not exist (or was withdrawn)."""


def _state(row: Mapping) -> FindingState:
    fields = {name: row[name] for name in review.FINDING_FIELDS if name != "rules_addressed"}
    fields["rules_addressed"] = tuple(json.loads(row["rules_addressed"] or "[]"))
    for name in review.DATE_FIELDS:
        value = fields[name]
        if isinstance(value, datetime):
            fields[name] = value.date()
    for name in review.TEXT_FIELDS:
        fields[name] = fields[name] or ""
    ordered = {name: fields[name] for name in review.FINDING_FIELDS}
    return FindingState(row["id"], row["record_id"], row["kind"], row["status"], ordered, row["version"],
                        row["vocabulary_version"], row["created_by"], _utc(row["created_at"]), row["updated_by"],
                        _utc(row["updated_at"]))


def _event(row: Mapping) -> AuditEvent:
    return AuditEvent(row["id"], row["record_id"], row["finding_id"], row["kind"], row["action"], row["version"],
                      row["who"], _utc(row["at"]), json.loads(row["before"]) if row["before"] else None,
                      json.loads(row["after"]), row["why"], row["reverts_event_id"])


def _read(connection: Connection, record_id: str, kind: str) -> FindingState | None:
    row = connection.execute(select(finding).where(finding.c.record_id == record_id, finding.c.kind == kind)
                             ).mappings().first()
    return _state(row) if row else None


def _columns(fields: Mapping[str, object], status: str) -> dict[str, object]:
    values = {name: fields.get(name) for name in review.FINDING_FIELDS}
    values["rules_addressed"] = json.dumps(list(fields.get("rules_addressed") or ()))
    for name in review.TEXT_FIELDS:
        values[name] = values[name] or ""
    values["status"] = status
    return values


def _audit(connection: Connection, state: FindingState, action: str, who: str, at: datetime,
           before: Mapping[str, object] | None, why: str, reverts: int | None = None) -> int:
    return connection.execute(insert(audit_event).values(
        record_id=state.record_id, finding_id=state.id, kind=state.kind, action=action, version=state.version,
        who=who, at=at, before=json.dumps(before, sort_keys=True) if before is not None else None,
        after=json.dumps(state.snapshot(), sort_keys=True), why=why, reverts_event_id=reverts)).inserted_primary_key[0]


SAVE_WAIT_SECONDS = 900.0  # longer than an import of the largest file holds the write lock


def _write_transaction(engine: Engine, body):
    """``body(connection)`` in one transaction. SQLite in WAL mode refuses at once (``database is locked``,
    without waiting) a transaction that read before another writer committed and then tries to write:
    the whole transaction runs again, and then reads the other writer's row (and reports it).

    An import holds the write lock for its whole file (one transaction per file, on purpose), a large
    file for minutes: so a save keeps trying, with backoff, for up to SAVE_WAIT_SECONDS rather than a
    fixed number of attempts (40 attempts gave up after 8.6 s while an import held the lock for 11 s)."""
    deadline = time.monotonic() + SAVE_WAIT_SECONDS
    attempt = 0
    while True:
        try:
            with engine.begin() as connection:
                return body(connection)
        except OperationalError as error:
            text = str(error).lower()
            if ("locked" not in text and "busy" not in text) or time.monotonic() >= deadline:
                raise
            attempt += 1
            time.sleep(min(0.02 * attempt, 0.5))


def _require(text: str, what: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValueError(f"{what} is needed")
    return text


# --- commands -------------------------------------------------------------------------------------
class FindingCommand:
    """Base of the finding commands: an engine, the record and kind, who is acting and why.

    ``do()`` returns the finding's new state (kept as ``result``); ``undo()`` reverses it with a recorded
    :class:`UndoFinding` based on that state's version."""

    UNDOABLE = True

    def __init__(self, engine: Engine, record_id: str, kind: str, *, who: str, why: str = "") -> None:
        if kind not in review.FINDING_KINDS:
            raise ValueError(f"unknown finding kind {kind!r}")
        self.engine, self.record_id, self.kind = engine, str(record_id), kind
        self.who = _require(who, "Who is recording the finding")
        self.why = (why or "").strip()
        self.result: FindingState | None = None
        self.event_id: int | None = None

    def do(self) -> FindingState:  # pragma: no cover - abstract
        raise NotImplementedError

    def undo(self) -> FindingState:
        if self.result is None:
            raise NothingToUndo("this command has not been done")
        return UndoFinding(self.engine, self.record_id, self.kind, who=self.who,
                           expected_version=self.result.version, why=f"undo: {self.why or 'reversed'}").do()


class RecordFinding(FindingCommand):
    """A first finding on a record (or a new one after an undo withdrew the first).

    ``expected_version`` is the version of the withdrawn finding the user saw, or None when they saw
    none; if someone recorded a finding meanwhile this raises :class:`StaleFindingError`."""

    def __init__(self, engine: Engine, record_id: str, kind: str, fields: Mapping[str, object], *, who: str,
                 why: str = "", expected_version: int | None = None,
                 allowed_rules: Iterable[str] | None = None) -> None:
        super().__init__(engine, record_id, kind, who=who, why=why)
        self.attempted = dict(fields)
        self.fields = review.validate_finding(kind, fields, allowed_rules=allowed_rules)
        self.expected_version = expected_version

    def do(self) -> FindingState:
        now = datetime.now(UTC)

        def body(connection: Connection) -> FindingState:
            current = _read(connection, self.record_id, self.kind)
            if current is None and self.expected_version is None:
                new_id = connection.execute(insert(finding).values(
                    record_id=self.record_id, kind=self.kind, version=1,
                    vocabulary_version=review.vocabularies().version, created_by=self.who, created_at=now,
                    updated_by=self.who, updated_at=now, **_columns(self.fields, review.ACTIVE))
                ).inserted_primary_key[0]
                before = None
            elif (current is not None and not current.active and current.version == self.expected_version):
                updated = connection.execute(update(finding).where(
                    finding.c.id == current.id, finding.c.version == current.version).values(
                    version=current.version + 1, vocabulary_version=review.vocabularies().version,
                    updated_by=self.who, updated_at=now, **_columns(self.fields, review.ACTIVE)))
                if updated.rowcount != 1:
                    raise _Lost()
                new_id, before = current.id, current.snapshot()
            else:
                raise StaleFindingError(self.record_id, self.kind, self.expected_version, current, self.attempted)
            state = _read(connection, self.record_id, self.kind)
            assert state is not None and state.id == new_id
            self.event_id = _audit(connection, state, CREATE, self.who, now, before, self.why)
            return state

        try:
            state = _write_transaction(self.engine, body)
        except (IntegrityError, _Lost):
            # Another writer created (or changed) it between our read and our write.
            raise StaleFindingError(self.record_id, self.kind, self.expected_version,
                                    current_finding(self.engine, self.record_id, self.kind), self.attempted) from None
        self.result = state
        return state


class _Lost(Exception):
    """The guarded UPDATE found no row at the expected version (a concurrent writer won)."""


class ChangeFinding(FindingCommand):
    """A change of an existing finding, based on ``expected_version``; ``why`` is required."""

    def __init__(self, engine: Engine, record_id: str, kind: str, fields: Mapping[str, object], *, who: str,
                 why: str, expected_version: int, allowed_rules: Iterable[str] | None = None) -> None:
        super().__init__(engine, record_id, kind, who=who, why=why)
        self.why = _require(why, "A reason for the change")
        self.attempted = dict(fields)
        self.fields = review.validate_finding(kind, fields, allowed_rules=allowed_rules)
        self.expected_version = int(expected_version)

    def do(self) -> FindingState:
        now = datetime.now(UTC)

        def body(connection: Connection) -> FindingState:
            current = _read(connection, self.record_id, self.kind)
            if current is None:
                raise NoFinding(f"there is no {self.kind} finding on {self.record_id} to change")
            if current.version != self.expected_version:
                raise StaleFindingError(self.record_id, self.kind, self.expected_version, current, self.attempted)
            if not current.active:
                raise NoFinding(f"the {self.kind} finding on {self.record_id} was withdrawn: record a new one")
            before = current.snapshot()
            after = review.finding_to_json({**self.fields, "status": review.ACTIVE})
            if not review.changed_fields(before, after):
                raise NothingChanged("nothing was changed")
            updated = connection.execute(update(finding).where(
                finding.c.id == current.id, finding.c.version == current.version).values(
                version=current.version + 1, vocabulary_version=review.vocabularies().version,
                updated_by=self.who, updated_at=now, **_columns(self.fields, review.ACTIVE)))
            if updated.rowcount != 1:
                raise _Lost()
            state = _read(connection, self.record_id, self.kind)
            self.event_id = _audit(connection, state, CHANGE, self.who, now, before, self.why)
            return state

        try:
            state = _write_transaction(self.engine, body)
        except _Lost:
            raise StaleFindingError(self.record_id, self.kind, self.expected_version,
                                    current_finding(self.engine, self.record_id, self.kind), self.attempted) from None
        self.result = state
        return state


class UndoFinding(FindingCommand):
    """Reverse the latest change of a finding not yet reversed, as a new audit event (``undo``) that
    points at the event it reverses: undoing a change restores the fields before it; undoing the
    creation withdraws the finding (status ``withdrawn``, fields blank). Repeated undos walk back."""

    def __init__(self, engine: Engine, record_id: str, kind: str, *, who: str, why: str,
                 expected_version: int) -> None:
        super().__init__(engine, record_id, kind, who=who, why=why)
        self.why = _require(why, "A reason for the undo")
        self.expected_version = int(expected_version)

    def do(self) -> FindingState:
        now = datetime.now(UTC)

        def body(connection: Connection) -> FindingState:
            current = _read(connection, self.record_id, self.kind)
            if current is None:
                raise NoFinding(f"there is no {self.kind} finding on {self.record_id}")
            if current.version != self.expected_version:
                raise StaleFindingError(self.record_id, self.kind, self.expected_version, current, None)
            events = [_event(row) for row in connection.execute(
                select(audit_event).where(audit_event.c.finding_id == current.id).order_by(audit_event.c.id)
            ).mappings()]
            reversed_ids = {event.reverts_event_id for event in events if event.action == UNDO}
            target = next((event for event in reversed(events)
                           if event.action != UNDO and event.id not in reversed_ids), None)
            if target is None:
                raise NothingToUndo(f"nothing left to undo on the {self.kind} finding of {self.record_id}")
            if target.before is None:
                fields, status = review.blank_finding(), review.WITHDRAWN
            else:
                restored = review.finding_from_json(target.before)
                fields = {name: restored.get(name) for name in review.FINDING_FIELDS}
                status = str(restored.get("status") or review.ACTIVE)
            before = current.snapshot()
            updated = connection.execute(update(finding).where(
                finding.c.id == current.id, finding.c.version == current.version).values(
                version=current.version + 1, updated_by=self.who, updated_at=now, **_columns(fields, status)))
            if updated.rowcount != 1:
                raise _Lost()
            state = _read(connection, self.record_id, self.kind)
            self.event_id = _audit(connection, state, UNDO, self.who, now, before, self.why, target.id)
            return state

        try:
            state = _write_transaction(self.engine, body)
        except _Lost:
            raise StaleFindingError(self.record_id, self.kind, self.expected_version,
                                    current_finding(self.engine, self.record_id, self.kind), None) from None
        self.result = state
        return state

    def undo(self) -> FindingState:
        raise NothingToUndo("an undo is reversed by recording the finding again, not by undoing the undo")


def save_finding(engine: Engine, record_id: str, kind: str, fields: Mapping[str, object], *, who: str,
                 why: str = "", based_on: FindingState | None,
                 allowed_rules: Iterable[str] | None = None) -> FindingCommand:
    """The command a form's Save means: record a first finding (or a new one after a withdrawal), or
    change the active one. Not yet done: call ``do()``."""
    if based_on is not None and based_on.active:
        return ChangeFinding(engine, record_id, kind, fields, who=who, why=why, expected_version=based_on.version,
                             allowed_rules=allowed_rules)
    return RecordFinding(engine, record_id, kind, fields, who=who, why=why,
                         expected_version=None if based_on is None else based_on.version, allowed_rules=allowed_rules)


# --- reading findings and the audit trail ---------------------------------------------------------
def current_finding(engine: Engine, record_id: str, kind: str) -> FindingState | None:
    with engine.connect() as connection:
        return _read(connection, str(record_id), kind)


def findings_for_record(engine: Engine, record_id: str) -> dict[str, FindingState]:
    """kind -> finding (active or withdrawn) of one record."""
    with engine.connect() as connection:
        rows = connection.execute(select(finding).where(finding.c.record_id == str(record_id))).mappings().all()
    return {row["kind"]: _state(row) for row in rows}


def all_findings(engine: Engine, record_ids: Iterable[str] | None = None, *, kinds: Sequence[str] = review.FINDING_KINDS,
                 include_withdrawn: bool = False) -> list[FindingState]:
    """Findings (by record id, then kind), optionally of some records only."""
    query = select(finding).where(finding.c.kind.in_(list(kinds))).order_by(finding.c.record_id, finding.c.kind)
    if not include_withdrawn:
        query = query.where(finding.c.status == review.ACTIVE)
    with engine.connect() as connection:
        if record_ids is None:
            return [_state(row) for row in connection.execute(query).mappings()]
        wanted = list(dict.fromkeys(str(r) for r in record_ids))
        out: list[FindingState] = []
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            out.extend(_state(row) for row in connection.execute(query.where(finding.c.record_id.in_(chunk))).mappings())
    return sorted(out, key=lambda state: (state.record_id, state.kind))


def audit_trail(engine: Engine, record_id: str | None = None, kind: str | None = None) -> list[AuditEvent]:
    """The audit events of one record (or all), oldest first."""
    query = select(audit_event).order_by(audit_event.c.id)
    if record_id is not None:
        query = query.where(audit_event.c.record_id == str(record_id))
    if kind is not None:
        query = query.where(audit_event.c.kind == kind)
    with engine.connect() as connection:
        return [_event(row) for row in connection.execute(query).mappings()]


AUDIT_COLUMNS = ("event_id", "record_id", "kind", "action", "version", "who", "at", "why", "change",
                 "reverts_event_id", "before", "after")


def export_audit_csv(engine: Engine, path: str | Path, record_id: str | None = None) -> int:
    """Write the audit trail (of one record or all) as an Excel-safe CSV; returns the rows written."""
    events = audit_trail(engine, record_id)
    return write_csv(Path(path), AUDIT_COLUMNS, ([event.as_row()[name] for name in AUDIT_COLUMNS] for event in events))
