"""Signed links a passenger can follow without an account: the claim's status page."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeSerializer

SALT = "claim-status"


def status_token(secret_key: str, claim_id: int) -> str:
    return URLSafeSerializer(secret_key, salt=SALT).dumps(claim_id)


def status_link(base_url: str, secret_key: str, claim_id: int) -> str:
    """The one way a claim's status link is written: by the pages (base: the site's root
    as the request reached it) and by the e-mails (base: PUBLIC_URL)."""
    return f"{base_url.rstrip('/')}/status/{status_token(secret_key, claim_id)}"


def claim_id_from_token(secret_key: str, token: str) -> int | None:
    try:
        value = URLSafeSerializer(secret_key, salt=SALT).loads(token)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None
