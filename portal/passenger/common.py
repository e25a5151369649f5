"""What the passenger modules share: the status link and the page's language."""

from __future__ import annotations

from flask import request

from claims.processing.status_links import issue_link
from common.links import status_link
from portal.extensions import runtime
from portal.templating import page_language

__all__ = ["link_url", "page_language", "status_url"]


def status_url(claim_id: int) -> str:
    """A fresh link for a passenger who has just shown who they are (filed, or looked the
    booking up): a token of its own, which a clerk can end."""
    current = runtime()
    return link_url(issue_link(current.session_factory, claim_id,
                               days=current.settings.status_link_days))


def link_url(token: str) -> str:
    """The status page's address for a token issued already."""
    return status_link(request.script_root, token)
