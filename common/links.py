"""Links a passenger can follow without an account: the claim's status page, and the
invitation to file a claim for a journey (the booking found without typing)."""

from __future__ import annotations

from itsdangerous import BadSignature, URLSafeTimedSerializer

# An invitation works as long as the shortest claim deadline (Delay Repay: 28 days).
INVITATION_SECONDS = 28 * 24 * 3600
_INVITATION_SALT = "filing-invitation"


def status_link(base_url: str, token: str) -> str:
    """The one way a claim's status link is written: by the pages (base: the site's root
    as the request reached it) and by the e-mails (base: PUBLIC_URL). The token comes from
    claims.processing.status_links."""
    return f"{base_url.rstrip('/')}/status/{token}"


def invitation_token(secret_key: str, booking_id: int, access_version: int) -> str:
    """Signed, not stored: it opens the claim form of one booking, as its look-up would,
    while the booking's access version is the one it was sent with (a clerk ending the
    passenger's links raises it: claims.processing.status_links)."""
    return URLSafeTimedSerializer(secret_key, salt=_INVITATION_SALT).dumps(
        [booking_id, access_version])


def invited_booking(secret_key: str, token: str) -> tuple[int, int] | None:
    """The booking an invitation is for and the access version it was sent with, or None:
    forged, altered or expired."""
    try:
        payload = URLSafeTimedSerializer(secret_key, salt=_INVITATION_SALT).loads(
            token, max_age=INVITATION_SECONDS)
    except BadSignature:
        return None
    if isinstance(payload, int):  # sent before invitations carried a version
        payload = [payload, 0]
    if isinstance(payload, list) and len(payload) == 2 and \
            all(isinstance(part, int) and not isinstance(part, bool) for part in payload):
        return payload[0], payload[1]
    return None


def invitation_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/invited/{token}"
