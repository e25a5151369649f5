"""reason codes of a claim as a JSON array instead of space-separated words

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import json

import sqlalchemy as sa
from alembic import op

revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

claims = sa.table('claims', sa.column('id', sa.Integer()), sa.column('reason_codes', sa.String()),
                  sa.column('reason_list', sa.JSON(none_as_null=True)))


def upgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.add_column(sa.Column('reason_list', sa.JSON(none_as_null=True), nullable=True))
    connection = op.get_bind()
    if connection.dialect.name == 'postgresql':
        connection.execute(sa.text(
            "UPDATE claims SET reason_list = to_json(regexp_split_to_array(reason_codes, ' '))"
            " WHERE reason_codes IS NOT NULL AND reason_codes <> ''"))
    else:
        rows = connection.execute(sa.select(claims.c.id, claims.c.reason_codes)
                                  .where(claims.c.reason_codes.is_not(None))).all()
        for claim_id, codes in rows:
            if codes.split():
                connection.execute(sa.update(claims).where(claims.c.id == claim_id)
                                   .values(reason_list=codes.split()))
    with op.batch_alter_table('claims') as batch:
        batch.drop_column('reason_codes')
        batch.alter_column('reason_list', new_column_name='reason_codes')


def downgrade() -> None:
    with op.batch_alter_table('claims') as batch:
        batch.alter_column('reason_codes', new_column_name='reason_list')
        batch.add_column(sa.Column('reason_codes', sa.String(length=200), nullable=True))
    connection = op.get_bind()
    rows = connection.execute(sa.select(claims.c.id, claims.c.reason_list)
                              .where(claims.c.reason_list.is_not(None))).all()
    for claim_id, codes in rows:
        if isinstance(codes, str):
            codes = json.loads(codes)
        connection.execute(sa.update(claims).where(claims.c.id == claim_id)
                           .values(reason_codes=" ".join(codes)))
    with op.batch_alter_table('claims') as batch:
        batch.drop_column('reason_list')
