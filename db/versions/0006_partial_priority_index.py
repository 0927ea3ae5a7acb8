"""the review-priority index holds only the records with something to review (priority > 0)

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 19:00:00.000000

Every reader of the index asks for `priority > 0` (the review queue, the "has findings" filter), and
about 5% of police.uk records have a priority above 0, so the index a full check run rebuilds is a
twentieth of the size (measured on the shared police.uk files: 1,851 of 35,541 records). The same
index name, a partial index on SQLite and PostgreSQL alike; the downgrade puts the full one back.
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None

_NAME = 'ix_record_check_priority'


def upgrade() -> None:
    op.drop_index(_NAME, table_name='record_check')
    op.create_index(_NAME, 'record_check', ['priority'], unique=False,
                    sqlite_where=sa.text('priority > 0'), postgresql_where=sa.text('priority > 0'))


def downgrade() -> None:
    op.drop_index(_NAME, table_name='record_check')
    op.create_index(_NAME, 'record_check', ['priority'], unique=False)
