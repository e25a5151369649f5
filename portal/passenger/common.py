"""What the passenger modules share: the status link and the page's language."""

from __future__ import annotations

from flask import current_app, request

from common.links import status_link
from portal.templating import page_language

__all__ = ["page_language", "status_url"]


def status_url(claim_id: int) -> str:
    return status_link(request.script_root, current_app.config["SECRET_KEY"], claim_id)


