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


def invitation_token(secret_key: str, booking_id: int) -> str:
    """Signed, not stored: it opens the claim form of one booking, as its look-up would."""
    return URLSafeTimedSerializer(secret_key, salt=_INVITATION_SALT).dumps(booking_id)


def invited_booking(secret_key: str, token: str) -> int | None:
    """The booking an invitation is for, or None: forged, altered or expired."""
    try:
        booking_id = URLSafeTimedSerializer(secret_key, salt=_INVITATION_SALT).loads(
            token, max_age=INVITATION_SECONDS)
    except BadSignature:
        return None
    return booking_id if isinstance(booking_id, int) else None


def invitation_link(base_url: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/invited/{token}"
