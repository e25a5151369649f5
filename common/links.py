"""Links a passenger can follow without an account: the claim's status page."""

from __future__ import annotations


def status_link(base_url: str, token: str) -> str:
    """The one way a claim's status link is written: by the pages (base: the site's root
    as the request reached it) and by the e-mails (base: PUBLIC_URL). The token comes from
    claims.processing.status_links."""
    return f"{base_url.rstrip('/')}/status/{token}"
