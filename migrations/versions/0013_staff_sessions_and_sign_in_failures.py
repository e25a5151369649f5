"""staff: a session version (logout ends every copy of the session) and failed sign-ins
counted per account and address (nobody can lock another clerk out)

Revision ID: 0013
Revises: 0012
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('session_version', sa.Integer(), server_default='0',
                                   nullable=False))
    op.create_table(
        'sign_in_failures',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=45), nullable=False),
        sa.Column('failures', sa.Integer(), nullable=False),
        sa.Column('locked_until', claims.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_sign_in_failures_user_id_users')),
        sa.PrimaryKeyConstraint('user_id', 'address', name=op.f('pk_sign_in_failures')),
    )


def downgrade() -> None:
    op.drop_table('sign_in_failures')
    with op.batch_alter_table('users') as batch:
        batch.drop_column('session_version')
