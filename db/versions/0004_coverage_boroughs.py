"""coverage and boroughs: the force x month coverage table, and each record's borough from its coordinates

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 02:00:00.000000

Existing databases get both filled in: every located record is placed in a London borough
(stopsearch_app.domain.places, as the importer now does) and every force-month is counted
(stopsearch_app.store.coverage.rebuild_all). One thing cannot be recovered for data imported before
this revision: which force-months had "outcome linked" false on every record (the importer had
already stored it as not recorded); those months show the field as not recorded, without the flag.
"""

from alembic import op
import sqlalchemy as sa
import numpy as np


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_BATCH = 50_000


def upgrade() -> None:
    with op.batch_alter_table('search') as batch:
        batch.add_column(sa.Column('geo_borough_id', sa.Integer(), nullable=True))
    op.create_table('force_month_coverage',
    sa.Column('force', sa.String(length=200), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('records', sa.Integer(), nullable=False),
    sa.Column('recorded_age_range', sa.Integer(), nullable=False),
    sa.Column('recorded_self_defined_ethnicity', sa.Integer(), nullable=False),
    sa.Column('recorded_officer_defined_ethnicity', sa.Integer(), nullable=False),
    sa.Column('recorded_location', sa.Integer(), nullable=False),
    sa.Column('recorded_outcome_linked', sa.Integer(), nullable=False),
    sa.Column('recorded_removal_more_than_outer', sa.Integer(), nullable=False),
    sa.Column('recorded_legislation', sa.Integer(), nullable=False),
    sa.Column('categories', sa.Text(), nullable=False),
    sa.Column('first_day', sa.SmallInteger(), nullable=True),
    sa.Column('last_day', sa.SmallInteger(), nullable=True),
    sa.Column('constant_false', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('force', 'month', name=op.f('pk_force_month_coverage'))
    )
    connection = op.get_bind()
    _place_existing_records(connection)
    from stopsearch_app.store import coverage
    coverage.rebuild_all(connection)


def _place_existing_records(connection) -> None:
    from stopsearch_app.domain.places import london_boroughs

    search = sa.table('search', sa.column('id'), sa.column('latitude'), sa.column('longitude'),
                      sa.column('geo_borough_id'))
    vocabulary = sa.table('vocabulary', sa.column('id'), sa.column('field'), sa.column('value'))
    index = london_boroughs()
    ids: dict[str, int] = {}
    last_id = 0
    while True:
        rows = connection.execute(sa.select(search.c.id, search.c.latitude, search.c.longitude)
                                  .where(search.c.id > last_id, search.c.latitude.is_not(None))
                                  .order_by(search.c.id).limit(_BATCH)).all()
        if not rows:
            return
        last_id = rows[-1][0]
        table = np.array(rows, dtype=np.float64)
        places = index.place(table[:, 1], table[:, 2])
        for position in np.unique(places[places >= 0]):
            name = index.boroughs[int(position)].name
            if name not in ids:
                found = connection.execute(sa.select(vocabulary.c.id).where(
                    vocabulary.c.field == 'geo_borough', vocabulary.c.value == name)).scalar()
                if found is None:
                    connection.execute(vocabulary.insert().values(field='geo_borough', value=name))
                    found = connection.execute(sa.select(vocabulary.c.id).where(
                        vocabulary.c.field == 'geo_borough', vocabulary.c.value == name)).scalar()
                ids[name] = found
            members = table[places == position, 0].astype(np.int64).tolist()
            for start in range(0, len(members), 500):
                connection.execute(search.update().where(search.c.id.in_(members[start:start + 500]))
                                   .values(geo_borough_id=ids[name]))


def downgrade() -> None:
    op.drop_table('force_month_coverage')
    with op.batch_alter_table('search') as batch:
        batch.drop_column('geo_borough_id')
