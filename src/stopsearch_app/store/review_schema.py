"""The review tables (migration 0003): supervisor and panel findings, their append-only audit trail, and
named dip samples. They join the SAME ``metadata`` as store/schema.py, so the migration test compares
them too (schema.py imports this module at its end; until it does, import this module before using
``metadata`` for a comparison).

Findings and sample members attach to the stable **record id** text (domain/identity.py: force, month,
fingerprint, occurrence, or a local extract's own reference), never to ``search.id``: a record
re-imported into a rebuilt database gets a new ``search.id`` but the same record id, so its reviews
follow it. For the same reason there is no foreign key to ``search``.

``finding`` holds the current state, one row per record and kind (``supervisor`` or ``panel``), with a
``version`` for optimistic locking. ``audit_event`` holds every state a finding has been in (who, when,
before, after, why); nothing ever updates or deletes an audit row (the migration adds triggers that
refuse it), and an undo is a new row that points at the event it reverses.
"""

from __future__ import annotations

from sqlalchemy import (Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text,
                        UniqueConstraint)

from stopsearch_app.store.schema import metadata

finding = Table(
    "finding", metadata,
    Column("id", Integer, primary_key=True),
    Column("record_id", String(200), nullable=False),
    Column("kind", String(20), nullable=False),  # supervisor | panel (domain/review.py FINDING_KINDS)
    Column("status", String(20), nullable=False),  # active | withdrawn (an undone creation)
    # supervisor form
    Column("outcome", String(60)),  # a key of the supervisor outcome vocabulary
    Column("rules_addressed", Text, nullable=False),  # JSON list of rule IDs
    Column("note", Text, nullable=False),
    Column("bwv_viewed", Boolean),
    Column("follow_up", Date),
    # panel form
    Column("grounds_reasonable", String(20)),  # keys of the panel answer vocabulary
    Column("gowisely_observed", String(20)),
    Column("child_treated_as_child", String(20)),
    Column("safeguarding_considered", String(20)),
    Column("rag", String(10)),  # red | amber | green
    Column("learning_note", Text, nullable=False),
    Column("good_practice_note", Text, nullable=False),
    Column("police_response", Text, nullable=False),
    Column("police_response_date", Date),
    # optimistic locking and provenance
    Column("version", Integer, nullable=False),
    Column("vocabulary_version", String(40), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("updated_by", String(200), nullable=False),
    Column("updated_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("record_id", "kind", name="uq_finding_record_id_kind"),
)

audit_event = Table(
    "audit_event", metadata,
    Column("id", Integer, primary_key=True),
    Column("record_id", String(200), nullable=False, index=True),
    Column("finding_id", Integer, ForeignKey("finding.id"), nullable=False, index=True),
    Column("kind", String(20), nullable=False),
    Column("action", String(10), nullable=False),  # create | change | undo
    Column("version", Integer, nullable=False),  # the finding's version after this event
    Column("who", String(200), nullable=False),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("before", Text),  # JSON of the finding's fields; NULL for a creation
    Column("after", Text, nullable=False),  # JSON of the finding's fields
    Column("why", Text, nullable=False),
    Column("reverts_event_id", Integer, ForeignKey("audit_event.id")),  # undo: the event it reverses
)

sample = Table(
    "sample", metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("seed", Integer, nullable=False),
    Column("n", Integer, nullable=False),  # random draws asked for (always-included records come on top)
    Column("filters", Text, nullable=False),  # JSON of the selection (domain.review.sample_selection reads it)
    Column("strata", String(100), nullable=False),  # e.g. "age band x self-defined ethnicity"
    Column("allocation", Text, nullable=False),  # JSON: stratum -> (population, drawn)
    Column("method_version", String(40), nullable=False),
    Column("created_by", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    UniqueConstraint("name", name="uq_sample_name"),
)

sample_member = Table(
    "sample_member", metadata,
    Column("sample_id", Integer, ForeignKey("sample.id", ondelete="CASCADE"), primary_key=True),
    Column("position", Integer, primary_key=True),
    Column("record_id", String(200), nullable=False),
    Column("reason", String(40), nullable=False),  # random | child_strip_search | child_suspicionless
    Column("stratum", String(100), nullable=False),
)
Index("ix_sample_member_record_id", sample_member.c.record_id)

REVIEW_TABLES = (finding, audit_event, sample, sample_member)
