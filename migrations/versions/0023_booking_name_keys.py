"""bookings.passenger_name_key (the name's words folded, claims.core.names.name_key),
filled for every booking here, and an index on bookings.reference: the passenger's
look-up finds the booking and matches the typed surname in one statement, by the index
instead of reading the whole table.

Revision ID: 0023
Revises: 0022
"""

from __future__ import annotations

import re
import unicodedata

import sqlalchemy as sa
from alembic import op

revision = '0023'
down_revision = '0022'
branch_labels = None
depends_on = None

BATCH = 5000


def upgrade() -> None:
    # Added NOT NULL with an empty default, then filled: SQLite adds such a column in
    # place, where making a column NOT NULL afterwards copies the table, and dropping the
    # old bookings table fails on the claims that refer to it. PostgreSQL then drops the
    # default (SQLite keeps it: changing it copies the table too), so that a write that
    # forgets the key fails there.
    op.add_column('bookings', sa.Column('passenger_name_key', sa.Text(), nullable=False,
                                        server_default=''))
    _fill_keys(op.get_bind())
    if op.get_bind().dialect.name != "sqlite":
        op.alter_column('bookings', 'passenger_name_key', server_default=None)
    op.create_index(op.f('ix_bookings_reference'), 'bookings', ['reference'], unique=False)


def _fill_keys(connection: sa.Connection) -> None:
    """In batches by id: a million bookings are not held in memory at once."""
    bookings = sa.table('bookings', sa.column('id', sa.Integer),
                        sa.column('passenger_name', sa.String),
                        sa.column('passenger_name_key', sa.Text))
    write = sa.update(bookings).where(bookings.c.id == sa.bindparam('booking_id')).values(
        passenger_name_key=sa.bindparam('key'))
    last = 0
    while True:
        rows = connection.execute(
            sa.select(bookings.c.id, bookings.c.passenger_name)
            .where(bookings.c.id > last).order_by(bookings.c.id).limit(BATCH)).all()
        if not rows:
            return
        connection.execute(write, [{"booking_id": booking_id, "key": name_key(name)}
                                   for booking_id, name in rows])
        last = rows[-1][0]


# claims.core.names.name_key as it was when this migration was written, copied: a
# migration runs as written whatever the domain's code becomes (a change to the key is a
# migration of its own that writes the keys again).
_GERMAN = str.maketrans({"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue",
                         "ß": "ss", "ẞ": "SS"})
_NOT_ALNUM = re.compile(r"[^A-Z0-9]+")


def name_key(text: str) -> str:
    spelled = text.translate(_GERMAN)
    folded = "".join(c for c in unicodedata.normalize("NFKD", spelled)
                     if not unicodedata.combining(c)).upper()
    return " ".join(token for token in _NOT_ALNUM.split(folded) if token)


def downgrade() -> None:
    op.drop_index(op.f('ix_bookings_reference'), table_name='bookings')
    # In place on SQLite too (3.35 and newer): a batch copy of the table would drop the
    # bookings the claims refer to.
    op.drop_column('bookings', 'passenger_name_key')
