"""Staff password hashes: argon2id with the current parameters; older hashes still verify
and are marked for replacement."""

from __future__ import annotations

from argon2 import PasswordHasher

from claims.core.passwords import check_password, hash_password, needs_rehash


def test_a_new_hash_verifies_the_right_password_only() -> None:
    stored = hash_password("correct horse battery")
    assert stored.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert check_password(stored, "correct horse battery")
    assert not check_password(stored, "correct horse battery!")
    assert not needs_rehash(stored)


def test_a_hash_with_the_old_parameters_verifies_and_is_replaced() -> None:
    older = PasswordHasher(time_cost=3, memory_cost=64 * 1024, parallelism=4).hash("s3cret-pass")
    assert check_password(older, "s3cret-pass")
    assert not check_password(older, "wrong")
    assert needs_rehash(older)
