"""claims without a booking, their uploaded documents, and the CES survey

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('manual_journey', sa.JSON(), nullable=True))
        batch.add_column(sa.Column('ces_score', sa.Integer(), nullable=True))
        batch.add_column(sa.Column('ces_comment', sa.Text(), nullable=True))
    op.create_table(
        'claim_documents',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('stored_name', sa.String(length=80), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=False),
        sa.Column('size', sa.Integer(), nullable=False),
        sa.Column('uploaded_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_claim_documents_claim_id_claims')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_claim_documents')),
        sa.UniqueConstraint('stored_name', name=op.f('uq_claim_documents_stored_name')),
    )
    op.create_index(op.f('ix_claim_documents_claim_id'), 'claim_documents', ['claim_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_claim_documents_claim_id'), table_name='claim_documents')
    op.drop_table('claim_documents')
    with op.batch_alter_table('claims') as batch:
        for column in ('ces_comment', 'ces_score', 'manual_journey'):
            batch.drop_column(column)
