"""reviews: supervisor and panel findings, append-only audit trail, named dip samples

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-24 10:00:00.000000

Written by hand to match src/stopsearch_app/store/review_schema.py. Besides the tables it adds
triggers that refuse any UPDATE or DELETE of ``audit_event`` (SQLite and PostgreSQL), so the audit
trail stays append-only whatever code touches the database.
"""

from alembic import op
import sqlalchemy as sa


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None

APPEND_ONLY = "audit_event is append-only: record a new event instead"


def upgrade() -> None:
    op.create_table('finding',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=60), nullable=True),
    sa.Column('rules_addressed', sa.Text(), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('bwv_viewed', sa.Boolean(), nullable=True),
    sa.Column('follow_up', sa.Date(), nullable=True),
    sa.Column('grounds_reasonable', sa.String(length=20), nullable=True),
    sa.Column('gowisely_observed', sa.String(length=20), nullable=True),
    sa.Column('child_treated_as_child', sa.String(length=20), nullable=True),
    sa.Column('safeguarding_considered', sa.String(length=20), nullable=True),
    sa.Column('rag', sa.String(length=10), nullable=True),
    sa.Column('learning_note', sa.Text(), nullable=False),
    sa.Column('good_practice_note', sa.Text(), nullable=False),
    sa.Column('police_response', sa.Text(), nullable=False),
    sa.Column('police_response_date', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('vocabulary_version', sa.String(length=40), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_by', sa.String(length=200), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_finding')),
    sa.UniqueConstraint('record_id', 'kind', name='uq_finding_record_id_kind')
    )
    op.create_table('audit_event',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=200), nullable=False),
    sa.Column('finding_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=10), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('who', sa.String(length=200), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('before', sa.Text(), nullable=True),
    sa.Column('after', sa.Text(), nullable=False),
    sa.Column('why', sa.Text(), nullable=False),
    sa.Column('reverts_event_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['finding_id'], ['finding.id'], name=op.f('fk_audit_event_finding_id_finding')),
    sa.ForeignKeyConstraint(['reverts_event_id'], ['audit_event.id'],
                            name=op.f('fk_audit_event_reverts_event_id_audit_event')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_event'))
    )
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_event_finding_id'), ['finding_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_event_record_id'), ['record_id'], unique=False)

    op.create_table('sample',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('seed', sa.Integer(), nullable=False),
    sa.Column('n', sa.Integer(), nullable=False),
    sa.Column('filters', sa.Text(), nullable=False),
    sa.Column('strata', sa.String(length=100), nullable=False),
    sa.Column('allocation', sa.Text(), nullable=False),
    sa.Column('method_version', sa.String(length=40), nullable=False),
    sa.Column('created_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sample')),
    sa.UniqueConstraint('name', name='uq_sample_name')
    )
    op.create_table('sample_member',
    sa.Column('sample_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('record_id', sa.String(length=200), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('stratum', sa.String(length=100), nullable=False),
    sa.ForeignKeyConstraint(['sample_id'], ['sample.id'], name=op.f('fk_sample_member_sample_id_sample'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('sample_id', 'position', name=op.f('pk_sample_member'))
    )
    with op.batch_alter_table('sample_member', schema=None) as batch_op:
        batch_op.create_index('ix_sample_member_record_id', ['record_id'], unique=False)

    _create_append_only_triggers()


def _create_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        for event in ('UPDATE', 'DELETE'):
            op.execute(f"CREATE TRIGGER audit_event_no_{event.lower()} BEFORE {event} ON audit_event "
                       f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END")
    elif dialect == 'postgresql':
        op.execute("CREATE FUNCTION audit_event_append_only() RETURNS trigger AS $$ "
                   f"BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END; $$ LANGUAGE plpgsql")
        op.execute("CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
                   "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()")


def _drop_append_only_triggers() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'sqlite':
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_update")
        op.execute("DROP TRIGGER IF EXISTS audit_event_no_delete")
    elif dialect == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS audit_event_append_only ON audit_event")
        op.execute("DROP FUNCTION IF EXISTS audit_event_append_only()")


def downgrade() -> None:
    _drop_append_only_triggers()
    with op.batch_alter_table('sample_member', schema=None) as batch_op:
        batch_op.drop_index('ix_sample_member_record_id')

    op.drop_table('sample_member')
    op.drop_table('sample')
    with op.batch_alter_table('audit_event', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_event_record_id'))
        batch_op.drop_index(batch_op.f('ix_audit_event_finding_id'))

    op.drop_table('audit_event')
    op.drop_table('finding')
