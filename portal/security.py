"""Security headers and cookie settings for every response."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response, request

from common.settings import Settings

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)
# A passenger's upload, served to staff: nothing in it runs or loads anything, and only the
# portal's own claim page may show it in a frame.
DOCUMENT_POLICY = "default-src 'none'; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"

# What is the same for everyone and may be kept: the style sheets and scripts, and the
# start page (its form and, put in per visitor, a CSRF token; nothing of a passenger's).
SHARED_PAGES = frozenset({"static", "passenger.start"})


def same_site_path(target: str) -> str | None:
    """The target if it is a path on this site, else None: no scheme, no host, no control
    characters or backslashes (browsers read "/\t/evil.example" and "/\\evil.example" as
    another host, and a line break would split the Location header)."""
    if not target.startswith("/") or any(c < " " or c in "\\\x7f" for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or target.startswith("//"):
        return None
    return target


def init_app(app: Flask, settings: Settings) -> None:
    app.config.update(
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=settings.environment == "production",
        REMEMBER_COOKIE_HTTPONLY=True,
        REMEMBER_COOKIE_SECURE=settings.environment == "production",
        # Every page's form, a ticket upload (at most 5 MB) included; anything larger is
        # refused at once. The operators' imports have their own limit (portal/api).
        MAX_CONTENT_LENGTH=6 * 1024 * 1024,
    )

    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # Status links carry their token in the path: no page tells another site its URL.
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("X-Frame-Options", "DENY")
        if request.endpoint not in SHARED_PAGES:
            # Status pages, data.json, letters, the claim form and the clerks' pages carry
            # personal data, and an error page may show what was typed: kept by no
            # browser or proxy. Every response but the few for everyone, so that a new
            # route cannot forget it.
            response.headers["Cache-Control"] = "no-store"
        return response
