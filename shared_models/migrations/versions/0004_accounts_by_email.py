"""Accounts by email: a confirmed address per user, and the outbox the worker sends from.

Every account that exists before this migration counts as confirmed (its owner
was already using the site), as of when it signed up.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08
"""

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('email_confirmed_at', sa.DateTime(timezone=True), nullable=True))
    users = sa.table(
        'users',
        sa.column('created_at', sa.DateTime(timezone=True)),
        sa.column('email_confirmed_at', sa.DateTime(timezone=True)),
    )
    op.execute(users.update().values(email_confirmed_at=users.c.created_at))

    op.create_table(
        'outbound_emails',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('to_address', sa.String(length=254), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=True),
        sa.Column('data', sa.JSON(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('relay_after', sa.DateTime(timezone=True), nullable=True),
        sa.Column('last_error', sa.String(length=500), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'sending', 'sent', 'failed')",
            name=op.f('ck_outbound_emails_status'),
        ),
        sa.ForeignKeyConstraint(
            ['user_id'], ['users.id'],
            name=op.f('fk_outbound_emails_user_id_users'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_outbound_emails')),
    )
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.create_index(
            'ix_outbound_emails_status_relay_after', ['status', 'relay_after'], unique=False
        )
        batch_op.create_index(batch_op.f('ix_outbound_emails_user_id'), ['user_id'], unique=False)


def downgrade():
    with op.batch_alter_table('outbound_emails', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_outbound_emails_user_id'))
        batch_op.drop_index('ix_outbound_emails_status_relay_after')
    op.drop_table('outbound_emails')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('email_confirmed_at')
