"""What the passenger modules share: the status link and the page's language."""

from __future__ import annotations

from flask import current_app, url_for

from portal.links import status_token
from portal.templating import page_language

__all__ = ["page_language", "status_url"]


def status_url(claim_id: int) -> str:
    return url_for("passenger.status",
                   token=status_token(current_app.config["SECRET_KEY"], claim_id))


