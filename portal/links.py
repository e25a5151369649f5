"""Signed links a passenger can follow without an account: the claim's status page."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "claim-status"


def status_token(secret_key: str, claim_id: int) -> str:
    return URLSafeSerializer(secret_key, salt=SALT).dumps(claim_id)


def claim_id_from_token(secret_key: str, token: str) -> int | None:
    try:
        value = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None
