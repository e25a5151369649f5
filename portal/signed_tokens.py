"""The session cookie, signed as Flask signs it, but never zlib-compressed, through
Flask's documented `session_interface`. itsdangerous tries to compress every payload,
which costs a zlib stream of 256 KB set up and torn down each time, for a cookie of a few
dozen bytes that compression does not shorten. A cookie compressed by an earlier release
still loads.

The forms' CSRF tokens are Flask-WTF's own: it makes its serializer inside generate_csrf
and offers no setting for it, so they are compressed as it does (14 µs a token made,
measured; replacing its module's serializer, as an earlier release did, would break
silently with an upgrade)."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from itsdangerous.encoding import base64_encode
from itsdangerous.serializer import Serializer


class UncompressedSerializer(URLSafeTimedSerializer):
    """URL-safe and timed, its payload base64 only; loads compressed ones too."""

    def dump_payload(self, obj: Any) -> bytes:
        return base64_encode(Serializer.dump_payload(self, obj))


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed session cookie, with its keys and fallbacks, uncompressed. Its
    serializer is made once per set of keys, not twice a request as Flask makes it (2 %
    of the web workers' time): it holds nothing that changes from one cookie to the next."""

    def __init__(self) -> None:
        self._serializers: dict[tuple[str | bytes, ...], UncompressedSerializer] = {}

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        if not app.secret_key:
            return None
        # The current key last: itsdangerous signs with the last and accepts them all.
        keys = (*(app.config.get("SECRET_KEY_FALLBACKS") or ()), app.secret_key)
        serializer = self._serializers.get(keys)
        if serializer is None:
            serializer = self._serializers[keys] = UncompressedSerializer(
                list(keys), salt=self.salt, serializer=self.serializer,
                signer_kwargs={"key_derivation": self.key_derivation,
                               "digest_method": self.digest_method})
        return serializer


def init_app(app: Flask) -> None:
    app.session_interface = SessionCookies()
