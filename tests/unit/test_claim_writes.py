"""The passenger's claim written in one statement on PostgreSQL gives every column itself:
SQLAlchemy computes no Python-side default for an INSERT inside a WITH."""

from __future__ import annotations

from typing import cast

from sqlalchemy import Table

from claims.db.models import Claim
from claims.passengers.claim_writes import CLAIM_COLUMNS


def test_every_claim_column_with_a_python_default_is_given() -> None:
    table = cast(Table, Claim.__table__)
    defaulted = {column.name for column in table.columns
                 if column.default is not None and not column.primary_key}
    assert defaulted <= set(CLAIM_COLUMNS), defaulted - set(CLAIM_COLUMNS)
