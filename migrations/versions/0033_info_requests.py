"""info_requests: what a clerk asked a passenger (fixed items, a question of their own, a
document) and the answer as data, each fact in a typed column, with the rules' outcome
before an answer that made them run again (issue 44). Claims waiting for an answer keep
their claims.requested_info; their row is made when the passenger answers.

Revision ID: 0033
Revises: 0032
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import claims.db.types

revision = '0033'
down_revision = '0032'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'info_requests',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('claim_id', sa.Integer(), nullable=False),
        sa.Column('asked_by', sa.Integer(), nullable=True),
        sa.Column('asked_at', claims.db.types.UtcDateTime(timezone=True), nullable=False),
        sa.Column('items', sa.String(length=100), nullable=False),
        sa.Column('question', sa.Text(), nullable=True),
        sa.Column('answered_at', claims.db.types.UtcDateTime(timezone=True), nullable=True),
        sa.Column('arrived_with_service', sa.String(length=40), nullable=True),
        sa.Column('actual_arrival', claims.db.types.LocalDateTime(length=32), nullable=True),
        sa.Column('price', claims.db.types.Money(), nullable=True),
        sa.Column('cause', sa.String(length=40), nullable=True),
        sa.Column('statement', sa.Text(), nullable=True),
        sa.Column('answer', sa.Text(), nullable=True),
        sa.Column('document_id', sa.Integer(), nullable=True),
        sa.Column('rerun', sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column('before_eligible', sa.Boolean(), nullable=True),
        sa.Column('before_delay_minutes', sa.Integer(), nullable=True),
        sa.Column('before_percent', sa.Integer(), nullable=True),
        sa.Column('before_amount', claims.db.types.Money(), nullable=True),
        sa.Column('before_currency', sa.String(length=3), nullable=True),
        sa.ForeignKeyConstraint(['claim_id'], ['claims.id'],
                                name=op.f('fk_info_requests_claim_id_claims')),
        sa.ForeignKeyConstraint(['asked_by'], ['users.id'],
                                name=op.f('fk_info_requests_asked_by_users')),
        sa.ForeignKeyConstraint(['document_id'], ['claim_documents.id'],
                                name=op.f('fk_info_requests_document_id_claim_documents')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_info_requests')),
    )
    op.create_index(op.f('ix_info_requests_claim_id'), 'info_requests', ['claim_id'])


def downgrade() -> None:
    op.drop_index(op.f('ix_info_requests_claim_id'), table_name='info_requests')
    op.drop_table('info_requests')
