"""reason codes one byte per rule: no table changes, a revision older builds refuse

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 17:45:00.000000

From this revision `record_check.reason_codes` holds one byte per rule when a check slice's codes
fit in a byte (two bytes little-endian otherwise, as every row before). Readers tell the width from
the blob's length (`store/verdict_store.reason_codes_of`), so rows written before stay readable. A
build that knows only up to 0004 would read the one-byte rows as two-byte codes and show the wrong
reasons; this revision makes such a build refuse the database ("made by a newer version") instead.
Nothing to convert, so the upgrade and the downgrade only move the revision (a downgrade leaves
one-byte rows that an 0004 build misreads: run `stopsearch check` after downgrading).
"""

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
