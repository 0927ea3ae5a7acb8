"""Supervisor and panel findings as command objects, their audit trail, the review queue, and saved dip
samples (issue 5; shared/reference/peers-and-style.md B.4 and B.7 item 7).

Every change to a finding goes through a command object (git-cola style): :class:`RecordFinding`,
:class:`ChangeFinding` and :class:`UndoFinding`. ``do()`` writes the finding's new state and its
``audit_event`` row in ONE transaction; ``undo()`` is itself a recorded reversal (an
:class:`UndoFinding`), never a delete. Nothing here updates or deletes an audit row (the database
refuses it too: migration 0003's triggers).

Optimistic locking: a command carries the ``version`` of the finding it was based on (``None`` when
the user saw no finding). If the row changed meanwhile the command raises :class:`StaleFindingError`
naming who changed it and when; the other person's change stays, the rejected edit travels in the
error (``attempted``) so the form keeps it, and nothing is written.

Findings key on the stable record id text (domain/identity.py), not on ``search.id``; so they survive a
re-import (and a rebuilt database): :func:`search_id_for` finds the record's current row.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import Connection, Engine, and_, case, false, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

import stopsearch_app.store.review_schema  # noqa: F401 - registers the review tables on schema.metadata
from stopsearch_app.domain import review
from stopsearch_app.domain.charter.priority import explain as explain_priority
from stopsearch_app.domain.charter.priority import explain_short
from stopsearch_app.domain.charter.verdicts import Verdict
from stopsearch_app.domain.identity import record_id as make_record_id
from stopsearch_app.domain.labels import label as vocab_label
from stopsearch_app.domain.review import FindingInvalid  # noqa: F401 - re-exported for callers of the commands
from stopsearch_app.io.safe_csv import write_csv
from stopsearch_app.store.checks import findings_text, record_verdicts, rule_orders
from stopsearch_app.store.queries import Labels, RecordFilter, format_timestamp, record_detail
from stopsearch_app.store.review_schema import audit_event, finding, sample, sample_member
from stopsearch_app.store.schema import check_run, record_check, search, search_local

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


def _write_transaction(engine: Engine, body):
    """``body(connection)`` in one transaction. SQLite in WAL mode refuses at once (``database is locked``,
    without waiting) a transaction that read before another writer committed and then tries to write:
    the whole transaction runs again, and then reads the other writer's row (and reports it)."""
    attempts = 40
    for attempt in range(attempts):
        try:
            with engine.begin() as connection:
                return body(connection)
        except OperationalError as error:
            text = str(error).lower()
            if ("locked" not in text and "busy" not in text) or attempt == attempts - 1:
                raise
            time.sleep(min(0.02 * (attempt + 1), 0.25))
    raise AssertionError("unreachable")  # pragma: no cover


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


# --- record ids <-> rows --------------------------------------------------------------------------
def record_id_for(engine: Engine, labels: Labels, search_id: int) -> str:
    with engine.connect() as connection:
        row = connection.execute(select(search.c.force_id, search.c.month, search.c.fingerprint, search.c.occurrence,
                                        search.c.source_ref).where(search.c.id == int(search_id))).first()
    if row is None:
        raise KeyError(search_id)
    return make_record_id(labels.by_id.get(row.force_id, ""), row.month, row.fingerprint, row.occurrence, row.source_ref)


def search_id_for(engine: Engine, labels: Labels, record_id: str) -> int | None:
    """The current row of a record id (after any re-import), or None when it is not loaded."""
    found = search_ids_for(engine, labels, [record_id])
    return found.get(str(record_id))


def search_ids_for(engine: Engine, labels: Labels, record_ids: Iterable[str]) -> dict[str, int]:
    """record id -> search id for the ids that are loaded (local references, then police.uk ids)."""
    wanted = list(dict.fromkeys(str(r) for r in record_ids))
    out: dict[str, int] = {}
    with engine.connect() as connection:
        for start in range(0, len(wanted), 500):
            chunk = wanted[start:start + 500]
            for search_id, ref in connection.execute(select(search.c.id, search.c.source_ref)
                                                     .where(search.c.source_ref.in_(chunk))):
                out.setdefault(ref, search_id)
        forces = {name: force_id for name, force_id in labels.by_field.get("force", {}).items()}
        for text in wanted:
            if text in out:
                continue
            parsed = _parse_public_id(text)
            if parsed is None or parsed[0] not in forces:
                continue
            force, month, fingerprint, occurrence = parsed
            row = connection.execute(select(search.c.id).where(
                search.c.force_id == forces[force], search.c.month == month, search.c.fingerprint == fingerprint,
                search.c.occurrence == occurrence, search.c.source_ref.is_(None))).first()
            if row is not None:
                out[text] = row[0]
    return out


def _parse_public_id(text: str) -> tuple[str, str, int, int] | None:
    """'metropolitan-2022-09-<16 hex>-0' -> (force, month, signed fingerprint, occurrence)."""
    parts = text.rsplit("-", 4)
    if len(parts) != 5:
        return None
    force, year, month, hexed, occurrence = parts
    try:
        unsigned = int(hexed, 16)
        number = int(occurrence)
    except ValueError:
        return None
    if len(hexed) != 16 or not (year.isdigit() and month.isdigit()):
        return None
    signed = unsigned - (1 << 64) if unsigned >= (1 << 63) else unsigned
    return force, f"{year}-{month}", signed, number


# --- the review queue -----------------------------------------------------------------------------
@dataclass(frozen=True)
class QueueFilter:
    """The review queue's filters; empty means all."""

    rule: str = ""  # only records failing or needing review on this rule
    station: str = ""  # search_local.officer_station (team / station)
    month: str = ""  # YYYY-MM


@dataclass(frozen=True)
class QueueRow:
    search_id: int
    record_id: str
    priority: int
    findings: str  # '✗ S1 S5 · ? G3'
    date: str  # London date and time
    month: str
    age: str
    ethnicity: str
    power: str
    station: str
    borough: str
    supervisor_outcome: str  # label of the active supervisor finding, or ""
    panel_rag: str
    priority_text: str = ""  # why this case is where it is, in words (domain.charter.priority.explain_short)
    priority_why: str = ""  # the same, in full (the cell's tooltip)


def _child_ids(labels: Labels) -> list[int]:
    return labels.ids("child_status", ("child",)) or [-1]


def _rule_condition(rule: str, orders: Mapping[int, Sequence[str]]):
    branches = [and_(record_check.c.run_id == run_id,
                     func.substr(record_check.c.verdicts, list(order).index(rule) + 1, 1).in_(
                         [Verdict.FAIL.char, Verdict.REVIEW.char]))
                for run_id, order in orders.items() if rule in order]
    return or_(*branches) if branches else false()


def queue_ids(engine: Engine, labels: Labels, queue_filter: QueueFilter | None = None,
              orders: Mapping[int, Sequence[str]] | None = None) -> np.ndarray:
    """Search ids of child searches whose latest check failed a rule or asked for review, most urgent
    first (review priority, then newest)."""
    queue_filter = queue_filter or QueueFilter()
    query = (select(search.c.id).join(record_check, record_check.c.search_id == search.c.id)
             .where(record_check.c.priority > 0, search.c.child_status_id.in_(_child_ids(labels))))
    if queue_filter.rule:
        query = query.where(_rule_condition(queue_filter.rule, orders if orders is not None else rule_orders(engine)))
    if queue_filter.station:
        query = query.join(search_local, search_local.c.search_id == search.c.id).where(
            search_local.c.officer_station == queue_filter.station)
    if queue_filter.month:
        query = query.where(search.c.month == queue_filter.month)
    query = query.order_by(record_check.c.priority.desc(), search.c.occurred_at.desc(), search.c.id)
    with engine.connect() as connection:
        return np.fromiter((row[0] for row in connection.execute(query)), dtype=np.int64)


def queue_rows(engine: Engine, labels: Labels, ids: Sequence[int],
               orders: Mapping[int, Sequence[str]] | None = None) -> dict[int, QueueRow]:
    """Display rows of the queue for these search ids (one page), with each record's current findings."""
    orders = orders if orders is not None else rule_orders(engine)
    wanted = [int(i) for i in ids]
    if not wanted:
        return {}
    query = (select(search.c.id, search.c.force_id, search.c.month, search.c.fingerprint, search.c.occurrence,
                    search.c.source_ref, search.c.occurred_at, search.c.age_range_id, search.c.child_band_id,
                    search.c.sde_group_id, search.c.power_id, search.c.borough_id, record_check.c.run_id,
                    record_check.c.verdicts, record_check.c.priority, search_local.c.officer_station)
             .join(record_check, record_check.c.search_id == search.c.id)
             .outerjoin(search_local, search_local.c.search_id == search.c.id)
             .where(search.c.id.in_(wanted)))
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    by_label = labels.by_id
    run_rules = _rules_of_runs(engine, {row.run_id for row in rows})
    record_ids = {row.id: make_record_id(by_label.get(row.force_id, ""), row.month, row.fingerprint, row.occurrence,
                                         row.source_ref) for row in rows}
    states = all_findings(engine, record_ids.values())
    outcome = {s.record_id: review.vocabularies().label("outcome", s.fields["outcome"]) for s in states
               if s.kind == review.SUPERVISOR}
    rag = {s.record_id: review.vocabularies().label("rag", s.fields["rag"]) for s in states if s.kind == review.PANEL}
    out = {}
    for row in rows:
        band = by_label.get(row.child_band_id) if row.child_band_id is not None else None
        age = review.CHILD_BAND_LABELS.get(band, band) if band else by_label.get(row.age_range_id, "")
        order = orders.get(row.run_id, [])
        rid = record_ids[row.id]
        out[row.id] = QueueRow(row.id, rid, int(row.priority), findings_text(list(order), row.verdicts),
                               format_timestamp(row.occurred_at), row.month, age or "",
                               by_label.get(row.sde_group_id, "") if row.sde_group_id is not None else "",
                               vocab_label("power", by_label.get(row.power_id)) if row.power_id is not None else "",
                               row.officer_station or "", by_label.get(row.borough_id, "") if row.borough_id else "",
                               outcome.get(rid, ""), rag.get(rid, ""),
                               explain_short(list(order), row.verdicts, run_rules.get(row.run_id, {})),
                               explain_priority(list(order), row.verdicts, run_rules.get(row.run_id, {})))
    return out


def _rules_of_runs(engine: Engine, run_ids: set[int]) -> dict[int, dict[str, dict]]:
    """Each run's rules as they ran (title, severity…), for the priority's words."""
    if not run_ids:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(select(check_run.c.id, check_run.c.ruleset_json)
                                  .where(check_run.c.id.in_(sorted(run_ids)))).all()
    return {run_id: {rule["id"]: rule for rule in json.loads(text).get("rules", [])} for run_id, text in rows}


def queue_choices(engine: Engine, labels: Labels) -> dict[str, list[str]]:
    """What the queue's filters can offer: rules (latest run order), stations and months in the queue."""
    orders = rule_orders(engine)
    latest = orders[max(orders)] if orders else []
    base = (record_check.c.priority > 0, search.c.child_status_id.in_(_child_ids(labels)))
    with engine.connect() as connection:
        stations = connection.execute(
            select(search_local.c.officer_station).distinct()
            .join(search, search.c.id == search_local.c.search_id)
            .join(record_check, record_check.c.search_id == search.c.id)
            .where(*base, search_local.c.officer_station.is_not(None)).order_by(search_local.c.officer_station)
        ).scalars().all()
        months = connection.execute(
            select(search.c.month).distinct().join(record_check, record_check.c.search_id == search.c.id)
            .where(*base).order_by(search.c.month.desc())).scalars().all()
    return {"rules": list(latest), "stations": list(stations), "months": list(months)}


@dataclass(frozen=True)
class RecordForReview:
    """What the supervisor form shows of one record."""

    search_id: int
    record_id: str
    heading: str
    flagged_rules: tuple[tuple[str, str, str], ...]  # (rule ID, verdict key, title) of fail and review verdicts


def record_for_review(engine: Engine, labels: Labels, search_id: int) -> RecordForReview:
    detail = record_detail(engine, int(search_id), labels)
    flagged = tuple((v.rule_id, v.verdict.key, v.title) for v in record_verdicts(engine, int(search_id))
                    if v.verdict in (Verdict.FAIL, Verdict.REVIEW))
    band = detail.get("child_band")
    heading = " · ".join(str(part) for part in (detail["record_id"], detail.get("occurred_at"), detail.get("borough"),
                                                 review.CHILD_BAND_LABELS.get(band, band) or detail.get("age_range"))
                         if part)
    return RecordForReview(int(search_id), str(detail["record_id"]), heading, flagged)


# --- anonymised record (panel mode) ---------------------------------------------------------------
PANEL_RECORD_FIELDS = (
    ("month", "Month"), ("date", "Date"), ("borough", "Borough"), ("bcu", "BCU"), ("location_type", "Place"),
    ("age", "Age band"), ("gender", "Gender"), ("sde_group", "Self-defined ethnic group"),
    ("officer_defined_ethnicity", "Officer-defined ethnicity"), ("legislation", "Power"),
    ("object_of_search", "Looking for"), ("search_type", "Type"), ("search_level", "Search level"),
    ("outcome", "Outcome"), ("outcome_linked", "Outcome linked to object"),
    ("bwv_activated", "Body-worn video on"), ("bwv_from_outset", "Video from the outset"),
    ("aa_present", "Appropriate adult present"), ("parent_notified", "Parent or guardian told"),
    ("safeguarding_considered", "Safeguarding considered (record)"), ("handcuffed", "Handcuffed"),
    ("force_used", "Force used"), ("detention_minutes", "Detained (minutes)"),
)
PANEL_TEXT_FIELDS = (("grounds_text", "Grounds (redacted)"), ("eip_justification_text", "Reason for the strip search (redacted)"),
                     ("bwv_not_used_reason", "Why no video (redacted)"), ("force_reason", "Why force was used (redacted)"),
                     ("aa_absence_reason", "Why no appropriate adult (redacted)"))


@dataclass(frozen=True)
class PanelRecord:
    search_id: int
    record_id: str  # for saving findings; never shown in panel mode
    facts: tuple[tuple[str, str], ...]  # (label, value) with nothing personal
    texts: tuple[tuple[str, str], ...]  # (label, redacted text)
    flagged_rules: tuple[tuple[str, str, str], ...]  # (rule ID, verdict label, title)
    gowisely: str  # "given: grounds, object, ... · not given: ..." from the record


def panel_record(engine: Engine, labels: Labels, search_id: int) -> PanelRecord:
    """One record anonymised for a panel meeting: no officer or person references, no vehicle, no
    exact time or coordinates or location text, free text redacted (domain.review.redact)."""
    detail = record_detail(engine, int(search_id), labels)
    values = dict(detail)
    values["date"] = str(detail.get("occurred_at") or "")[:10]  # the day only, never the time
    band = detail.get("child_band")
    values["age"] = review.CHILD_BAND_LABELS.get(band, band) if band else detail.get("age_range")
    for name in review.WITHHELD_FIELDS:
        values.pop(name, None)
    for name in ("search_type", "gender", "location_type", "search_level", "aa_absence_reason"):
        if values.get(name):  # labels, never codes (domain.labels)
            values[name] = vocab_label(name, values[name])
    facts = []
    for name, label in PANEL_RECORD_FIELDS:
        value = values.get(name)
        if value is None or value == "":
            continue
        facts.append((label, "yes" if value is True else "no" if value is False else str(value)))
    texts = tuple((label, review.redact(values.get(name))) for name, label in PANEL_TEXT_FIELDS if values.get(name))
    flagged = tuple((v.rule_id, f"{v.verdict.glyph} {v.verdict.label}", v.title)
                    for v in record_verdicts(engine, int(search_id)) if v.verdict in (Verdict.FAIL, Verdict.REVIEW))
    given = [name[9:].replace("_", " ") for name in values if name.startswith("gowisely_") and values[name] is True]
    missing = [name[9:].replace("_", " ") for name in values if name.startswith("gowisely_") and values[name] is False]
    gowisely = ""
    if given or missing:
        gowisely = ("given: " + ", ".join(given) if given else "") + (
            (" · " if given else "") + "not given: " + ", ".join(missing) if missing else "")
    return PanelRecord(int(search_id), str(detail["record_id"]), tuple(facts), texts, flagged, gowisely)


# --- samples --------------------------------------------------------------------------------------
class SampleNameTaken(ValueError):
    """Sample names are unique: they are how a panel refers to a meeting's cases."""


@dataclass(frozen=True)
class SampleMember:
    position: int
    record_id: str
    reason: str
    stratum: str


@dataclass(frozen=True)
class SavedSample:
    id: int
    name: str
    seed: int
    n: int
    filters: review.SampleFilters
    strata: str
    allocation: Mapping[str, tuple[int, int]]
    method_version: str
    created_by: str
    created_at: datetime
    members: tuple[SampleMember, ...] = field(default=())
    size: int = 0
    always_included: int = 0

    @property
    def record_ids(self) -> list[str]:
        return [member.record_id for member in self.members]


def sample_record_filter(filters: review.SampleFilters) -> RecordFilter:
    """The SQL pre-filter for loading a sample's frame (the domain applies the same filters again)."""
    return RecordFilter(forces=tuple(filters.forces), month_from=filters.month_from, month_to=filters.month_to,
                        boroughs=tuple(filters.boroughs), children_only=filters.children_only)


def preview_sample(engine: Engine, labels: Labels, n: int, seed: int,
                   filters: review.SampleFilters | None = None) -> review.SampleDraw:
    """Draw (without saving) a dip sample from the stored records."""
    from stopsearch_app.store.frames import load_records

    filters = filters or review.SampleFilters()
    frame = load_records(engine, sample_record_filter(filters), labels)
    frame["record_id"] = review.record_ids_of(frame) if len(frame) else pd.Series([], dtype=object)
    return review.draw(frame, n, seed, filters)


def save_sample(engine: Engine, draw: review.SampleDraw, name: str, *, created_by: str) -> SavedSample:
    """Store a drawn sample under a unique name (one transaction)."""
    name = _require(name, "A name for the sample")
    now = datetime.now(UTC)
    try:
        with engine.begin() as connection:
            sample_id = connection.execute(insert(sample).values(
                name=name, seed=draw.seed, n=draw.n, filters=json.dumps(draw.filters.as_json(), sort_keys=True),
                strata=draw.strata_label, allocation=json.dumps({k: list(v) for k, v in draw.allocation.items()}),
                method_version=draw.method_version, created_by=_require(created_by, "Who draws the sample"),
                created_at=now)).inserted_primary_key[0]
            if draw.record_ids:
                connection.execute(insert(sample_member), [
                    {"sample_id": sample_id, "position": position, "record_id": record_id,
                     "reason": draw.reasons[record_id], "stratum": draw.strata[record_id]}
                    for position, record_id in enumerate(draw.record_ids, start=1)])
    except IntegrityError:
        raise SampleNameTaken(f"a sample called {name!r} already exists: choose another name") from None
    return load_sample(engine, sample_id)


def _saved(row: Mapping, members: tuple[SampleMember, ...] = (), size: int = 0, always: int = 0) -> SavedSample:
    return SavedSample(row["id"], row["name"], row["seed"], row["n"], review.SampleFilters.from_json(row["filters"]),
                       row["strata"], {k: tuple(v) for k, v in json.loads(row["allocation"]).items()},
                       row["method_version"], row["created_by"], _utc(row["created_at"]), members, size, always)


def list_samples(engine: Engine) -> list[SavedSample]:
    """Saved samples, newest first, with their sizes (members not loaded)."""
    counts = (select(sample_member.c.sample_id, func.count().label("size"),
                     func.sum(case((sample_member.c.reason != review.RANDOM, 1), else_=0)).label("always"))
              .group_by(sample_member.c.sample_id).subquery())
    query = (select(sample, counts.c.size, counts.c.always).outerjoin(counts, counts.c.sample_id == sample.c.id)
             .order_by(sample.c.created_at.desc(), sample.c.id.desc()))
    with engine.connect() as connection:
        return [_saved(row, (), int(row["size"] or 0), int(row["always"] or 0)) for row in connection.execute(query).mappings()]


def load_sample(engine: Engine, sample_id_or_name: int | str) -> SavedSample:
    with engine.connect() as connection:
        condition = (sample.c.id == sample_id_or_name if isinstance(sample_id_or_name, int)
                     else sample.c.name == str(sample_id_or_name))
        row = connection.execute(select(sample).where(condition)).mappings().first()
        if row is None:
            raise KeyError(f"no saved sample {sample_id_or_name!r}")
        members = tuple(SampleMember(m.position, m.record_id, m.reason, m.stratum) for m in connection.execute(
            select(sample_member).where(sample_member.c.sample_id == row["id"]).order_by(sample_member.c.position)))
    return _saved(row, members, len(members), sum(1 for m in members if m.reason != review.RANDOM))
