"""The session cookie and the forms' CSRF tokens, signed as Flask and Flask-WTF sign them,
but never zlib-compressed. itsdangerous tries to compress every payload, which costs a
zlib stream of 256 KB set up and torn down each time: 12 % of the web workers' busy time
while passengers file claims, for a cookie of a few dozen bytes that compression does not
shorten. A cookie or token compressed by an earlier release still loads."""

from __future__ import annotations

from typing import Any

import flask_wtf.csrf
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
    # Flask-WTF makes its serializer inside generate_csrf and validate_csrf from this
    # module's name, and offers no setting for it.
    flask_wtf.csrf.URLSafeTimedSerializer = UncompressedSerializer
