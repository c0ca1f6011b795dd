"""Why each API token was revoked: by its owner, or by a new password.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-14
"""

import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.add_column(sa.Column('revoked_because', sa.String(length=20), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_api_tokens_revoked_because'),
            "revoked_because IN ('owner', 'password_changed')",
        )


def downgrade():
    with op.batch_alter_table('api_tokens', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_api_tokens_revoked_because'), type_='check')
        batch_op.drop_column('revoked_because')
