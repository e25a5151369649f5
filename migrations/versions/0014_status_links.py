"""status links: random per-claim tokens, kept as digests, expiring and revocable (the
signed claim-id links they replace never expired)

Revision ID: 0014
Revises: 0013
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'status_links',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('digest', sa.String(length=64), nullable=False),
        sa.Column('created_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('expires_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('revoked_at', claims.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_status_links_claim_id_claims')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_status_links')),
        sa.UniqueConstraint('digest', name=op.f('uq_status_links_digest')),
    )
    op.create_index(op.f('ix_status_links_claim_id'), 'status_links', ['claim_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_status_links_claim_id'), table_name='status_links')
    op.drop_table('status_links')
