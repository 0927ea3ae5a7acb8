"""The tables, as SQLAlchemy Core metadata (the source of truth the Alembic migrations in db/ follow;
tests/store/test_migrations.py proves the migrated schema equals this).

Low-cardinality text (force, type, gender, age range, ethnicities, legislation, object, outcome and
the derived codes) is stored as integer ids into ``vocabulary``: a million rows then pass as tuples of
small integers, which is what makes the bulk import fast (shared/reference/measured-baselines.md).
Columns that hold such an id end in ``_id``.
"""

from __future__ import annotations

from sqlalchemy import (BigInteger, Boolean, Column, DateTime, Float, ForeignKey, Index, Integer,
                        LargeBinary, MetaData, SmallInteger, String, Table, Text, UniqueConstraint, literal_column)

from stopsearch_app.domain.records import FIELD_BY_NAME, FieldKind

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
metadata = MetaData(naming_convention=NAMING)

vocabulary = Table(
    "vocabulary", metadata,
    Column("id", Integer, primary_key=True),
    Column("field", String(40), nullable=False),
    Column("value", String(500), nullable=False),
    UniqueConstraint("field", "value", name="uq_vocabulary_field_value"),
)

import_batch = Table(
    "import_batch", metadata,
    Column("id", Integer, primary_key=True),
    Column("file_name", String(500), nullable=False),
    Column("sha256", String(64), nullable=False, index=True),
    Column("format", String(30), nullable=False),
    Column("forces", Text, nullable=False, default=""),
    Column("months", Text, nullable=False, default=""),
    Column("rows_read", Integer, nullable=False, default=0),
    Column("imported", Integer, nullable=False, default=0),
    Column("duplicates", Integer, nullable=False, default=0),
    Column("quarantined", Integer, nullable=False, default=0),
    Column("warnings", Text, nullable=False, default="[]"),  # JSON list of strings
    Column("mapped_fields", Text, nullable=False, default="[]"),  # JSON list of canonical fields carried
    Column("mapping_profile", String(200)),
    Column("imported_by", String(200), nullable=False),
    Column("imported_at", DateTime(timezone=True), nullable=False),
    Column("app_version", String(40), nullable=False),
)

# Vocabulary-coded columns of `search`: canonical field (or derived column) -> column name.
CODED_COLUMNS = {
    "force": "force_id", "search_type": "search_type_id", "operation_name": "operation_name_id",
    "gender": "gender_id", "age_range": "age_range_id", "self_defined_ethnicity": "sde_id",
    "sde_group": "sde_group_id", "officer_defined_ethnicity": "ode_id", "legislation": "legislation_id",
    "power": "power_id", "object_of_search": "object_id", "outcome": "outcome_id",
    "outcome_code": "outcome_code_id", "child_status": "child_status_id", "child_band": "child_band_id",
    "borough": "borough_id", "search_level": "search_level_id",
    # The London borough the coordinates fall in (domain/places.py; migration 0004), beside the
    # borough a local extract records: the two can disagree, and both are kept.
    "geo_borough": "geo_borough_id",
}
PLAIN_COLUMNS = ("part_of_operation", "latitude", "longitude", "outcome_linked",
                 "removal_more_than_outer", "age_years")

search = Table(
    "search", metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("import_batch.id"), nullable=False),
    Column("month", String(7), nullable=False),  # Europe/London month, YYYY-MM
    Column("fingerprint", BigInteger, nullable=False),
    Column("occurrence", Integer, nullable=False),
    Column("source_ref", String(200)),
    Column("occurred_at", BigInteger, nullable=False),  # UTC, milliseconds since the epoch
    # Vocabulary ids carry no FOREIGN KEY: only the importer writes them, from ids it has just read
    # or inserted in the same transaction, and SQLite would otherwise look up 17 parents per row
    # (measured: it doubled the insert time of a million rows).
    *(Column(column, Integer) for column in CODED_COLUMNS.values()),
    Column("part_of_operation", Boolean),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("outcome_linked", Boolean),
    Column("removal_more_than_outer", Boolean),
    Column("age_years", SmallInteger),
    # Identity (records.md): force, month, fingerprint, occurrence. The fingerprint covers the exact
    # time, which fixes the month, so the key is stored as (force, time, fingerprint, occurrence):
    # files arrive in time order, so the index grows at its end instead of at random places
    # (measured: 1.7x faster inserts). It is the only index: every further one costs a B-tree insert
    # per row, and a full scan of a million narrow rows (~0.1 s) is all a low-selectivity index saves.
    UniqueConstraint("force_id", "occurred_at", "fingerprint", "occurrence", name="uq_search_identity"),
)

# Fields of local extracts only, one row per local record.
LOCAL_DETAIL_FIELDS = tuple(
    name for name, field in FIELD_BY_NAME.items()
    if not field.public and name not in CODED_COLUMNS and name not in PLAIN_COLUMNS and name != "source_ref"
)
_SQL_TYPE = {FieldKind.TEXT: Text, FieldKind.CATEGORY: String(200), FieldKind.BOOL: Boolean,
             FieldKind.INT: Integer, FieldKind.FLOAT: Float, FieldKind.DATETIME: BigInteger}

search_local = Table(
    "search_local", metadata,
    Column("search_id", Integer, ForeignKey("search.id", ondelete="CASCADE"), primary_key=True),
    *(Column(name, _SQL_TYPE[FIELD_BY_NAME[name].kind]) for name in LOCAL_DETAIL_FIELDS),
)
Index("ix_search_local_person_ref", search_local.c.person_ref)

quarantine = Table(
    "quarantine", metadata,
    Column("id", Integer, primary_key=True),
    Column("batch_id", Integer, ForeignKey("import_batch.id"), nullable=False, index=True),
    Column("row_number", Integer, nullable=False),
    Column("raw_text", Text, nullable=False),
    Column("reason", Text, nullable=False),
)

# --- charter checks (migration 0002) -------------------------------------------------------------
# One row per record with the verdicts of every rule packed into one string (one character per rule
# in the run's rule order) and the reasons as one small integer per rule into check_reason: a
# million records x forty rules stay a million narrow rows (measured in bench/bench_checks.py).

check_run = Table(
    "check_run", metadata,
    Column("id", Integer, primary_key=True),
    Column("ruleset_id", String(100), nullable=False),
    Column("ruleset_version", String(40), nullable=False),
    Column("ruleset_hash", String(64), nullable=False),
    Column("ruleset_json", Text, nullable=False),  # the rules as they were: ID, basis, citation, params
    Column("rule_order", Text, nullable=False),  # comma-separated rule IDs: the packed string's order
    Column("run_by", String(200), nullable=False),
    Column("started_at", DateTime(timezone=True), nullable=False),
    Column("seconds", Float, nullable=False),
    Column("records_checked", Integer, nullable=False),
    Column("assessable_rules", Text, nullable=False),  # JSON list
)

check_reason = Table(
    "check_reason", metadata,
    Column("run_id", Integer, ForeignKey("check_run.id", ondelete="CASCADE"), primary_key=True),
    Column("rule_id", String(20), primary_key=True),
    Column("code", Integer, primary_key=True),
    Column("text", Text, nullable=False),
)

record_check = Table(
    "record_check", metadata,
    Column("search_id", Integer, ForeignKey("search.id", ondelete="CASCADE"), primary_key=True),
    Column("run_id", Integer, ForeignKey("check_run.id"), nullable=False),
    Column("verdicts", String(200), nullable=False),
    # One code per rule: a byte each, or two bytes little-endian (store/verdict_store.reason_codes_of;
    # migration 0005).
    Column("reason_codes", LargeBinary, nullable=False),
    Column("priority", SmallInteger, nullable=False),  # 0: nothing to review; higher first (store/checks.py)
)
# Only the records with something to review: about 5% of police.uk records, so the index a check run
# rebuilds is small (migration 0006). Readers filter with TO_REVIEW itself: its 0 is written into the
# SQL, not bound, so PostgreSQL's generic plans can match it to the index's WHERE as well.
TO_REVIEW = record_check.c.priority > literal_column("0")
Index("ix_record_check_priority", record_check.c.priority, sqlite_where=TO_REVIEW, postgresql_where=TO_REVIEW)

# --- coverage (migration 0004) -------------------------------------------------------------------
# One row per force x London month: what the records of that force-month record (shared/spec/
# statistics.md, "Coverage"). Rebuilt for the force-months an import touches; the flags are worked
# out when it is read (domain/coverage.py), because they compare a month with the force's others.
force_month_coverage = Table(
    "force_month_coverage", metadata,
    Column("force", String(200), primary_key=True),
    Column("month", String(7), primary_key=True),
    Column("records", Integer, nullable=False),
    *(Column(f"recorded_{name}", Integer, nullable=False)
      for name in ("age_range", "self_defined_ethnicity", "officer_defined_ethnicity", "location",
                   "outcome_linked", "removal_more_than_outer", "legislation")),
    Column("categories", Text, nullable=False),  # JSON {field: {category: records}}
    Column("first_day", SmallInteger),
    Column("last_day", SmallInteger),
    Column("constant_false", Text, nullable=False),  # JSON list of fields false on every record
    Column("updated_at", DateTime(timezone=True), nullable=False),
)

import stopsearch_app.store.review_schema  # noqa: E402,F401 - review tables (migration 0003)
