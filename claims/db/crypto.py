"""IBANs at rest: encrypted with Fernet (AES-128-CBC with HMAC-SHA256) under a key ring.

The ring's first key encrypts; every key decrypts, so a new key is put first, the stored
values are re-encrypted (`flask keys rotate`), then the old key is dropped. The ring hangs
on the engine's dialect: each database is read with the keys configured for it, and
PostgreSQL's COPY (which converts through the same column type) writes with them too."""

from __future__ import annotations

from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Dialect, Engine

_ATTRIBUTE = "effortless_keyring"


class UnknownKey(RuntimeError):
    """A stored value was encrypted under a key that is not in the ring."""


class Keyring:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise ValueError("a key ring needs at least one key")
        self._ring = MultiFernet([Fernet(key.encode()) for key in keys])

    def encrypt(self, text: str) -> str:
        return self._ring.encrypt(text.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._ring.decrypt(token.encode()).decode()
        except InvalidToken:
            raise UnknownKey("an IBAN in the database was encrypted under a key that is not "
                            "in IBAN_KEYS; add that key (after the first)") from None

    def rotate(self, token: str) -> str:
        """The same value under the first key."""
        try:
            return self._ring.rotate(token.encode()).decode()
        except InvalidToken:
            raise UnknownKey("an IBAN in the database was encrypted under a key that is not "
                            "in IBAN_KEYS") from None


def attach(engine: Engine, keys: Sequence[str]) -> None:
    setattr(engine.dialect, _ATTRIBUTE, Keyring(keys))


def keyring_of(dialect: Dialect) -> Keyring:
    ring = getattr(dialect, _ATTRIBUTE, None)
    if ring is None:
        # An engine made without keys (plain `alembic`, a script): the configured ones.
        from common.settings import load_settings
        ring = Keyring(load_settings().iban_keys)
        setattr(dialect, _ATTRIBUTE, ring)
    return ring


def new_key() -> str:
    return Fernet.generate_key().decode()
