"""Each post's excerpt stored with its HTML; versions of what the public pages show, for caching.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None

# Posts are read and updated this many at a time: a large site's back-fill never
# holds every post's HTML in memory at once.
BATCH = 500


def upgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('excerpt', sa.String(length=221), server_default='', nullable=False)
        )
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('content_version', sa.Integer(), server_default='0', nullable=False)
        )
    public_version = op.create_table(
        'public_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('number', sa.Integer(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_public_version')),
    )
    op.bulk_insert(public_version, [{'id': 1, 'number': 0}])
    backfill_excerpts()
    # The default only filled the existing rows; new posts are given their excerpt.
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.alter_column('excerpt', server_default=None)


def backfill_excerpts():
    """Every existing post's excerpt, made by the domain's own function, as saving makes it."""
    # Imported here, not at the top: only this step needs the domain's code.
    from shared_models.publishing import excerpt_of

    posts = sa.table(
        'posts', sa.column('id', sa.Integer), sa.column('body_html', sa.Text),
        sa.column('excerpt', sa.String),
    )
    connection = op.get_bind()
    last_id = 0
    while True:
        rows = connection.execute(
            sa.select(posts.c.id, posts.c.body_html)
            .where(posts.c.id > last_id)
            .order_by(posts.c.id)
            .limit(BATCH)
        ).all()
        if not rows:
            break
        connection.execute(
            posts.update().where(posts.c.id == sa.bindparam('post_id')),
            [{'post_id': row.id, 'excerpt': excerpt_of(row.body_html)} for row in rows],
        )
        last_id = rows[-1].id


def downgrade():
    op.drop_table('public_version')
    with op.batch_alter_table('sites', schema=None) as batch_op:
        batch_op.drop_column('content_version')
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.drop_column('excerpt')
