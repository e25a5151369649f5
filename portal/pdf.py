"""The one way this portal makes PDFs: WeasyPrint with a URL fetcher that fetches only
data: URIs. A letter never reads a local file or calls out to the network, whatever a
passenger managed to put into it."""

from __future__ import annotations

from weasyprint import HTML
from weasyprint.urls import URLFetcher

from common.collector import collector_paused


def safe_fetcher() -> URLFetcher:
    return URLFetcher(allowed_protocols={"data"}, allow_redirects=False, timeout=1)


def render_pdf(html: str) -> bytes:
    # A render makes hundreds of thousands of boxes and text layouts that are garbage at
    # its end; collections during it scanned them again and again: 0.40-0.43 s for the
    # effort report's PDF with the collector on, 0.33-0.36 s with it paused.
    with collector_paused():
        document: bytes = HTML(string=html, base_url="about:blank",
                               url_fetcher=safe_fetcher()).write_pdf()
    return document
