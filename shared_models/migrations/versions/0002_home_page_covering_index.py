"""The home page's index also covers its count: (is_published, published_at, id, site_id).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23
"""

from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade():
    # "Page 1 of N" counts every public post; with site_id in the index, SQLite and
    # PostgreSQL count from the index alone instead of reading every post's row.
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index(
            'ix_posts_published_site', ['is_published', 'published_at', 'id', 'site_id'],
            unique=False,
        )
        batch_op.drop_index('ix_posts_published')


def downgrade():
    with op.batch_alter_table('posts', schema=None) as batch_op:
        batch_op.create_index('ix_posts_published', ['is_published', 'published_at'], unique=False)
        batch_op.drop_index('ix_posts_published_site')
