"""Staff passwords: argon2id (argon2-cffi) with its current parameters; hashes of an older
scheme (scrypt) still verify, and are replaced at the next sign-in."""

from __future__ import annotations

import hashlib
import hmac
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

# OWASP's argon2id baseline (Password Storage Cheat Sheet): 19 MiB, two passes, one lane,
# 29 ms of one core here. argon2-cffi's default (64 MiB, three passes, four lanes) took
# 195 ms of CPU on both of this machine's cores for every sign-in, right or wrong: ten
# attempts a second would have held the whole server, and staff signing in at once
# waited 0.5 s. Hashes with other parameters still verify and are replaced at the next
# sign-in (needs_rehash).
_HASHER = PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)
_SCRYPT = {"n": 2**14, "r": 8, "p": 1}


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def check_password(password_hash: str, password: str) -> bool:
    if password_hash.startswith("scrypt$"):
        _scheme, salt, digest = password_hash.split("$")
        candidate = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), **_SCRYPT)
        return hmac.compare_digest(candidate.hex(), digest)
    try:
        return _HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return password_hash.startswith("scrypt$") or _HASHER.check_needs_rehash(password_hash)


@cache
def _decoy() -> str:
    return hash_password("a password no account has")


def spend_the_same_time(password: str) -> None:
    """For an unknown e-mail or a locked account: the work of one verification, so that
    the time of the answer does not tell which accounts exist."""
    check_password(_decoy(), password)
