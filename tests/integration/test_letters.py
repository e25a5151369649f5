"""The decision letter: a PDF made on first request, kept, and made without fetching
anything from disk or network."""

import gc
import sys
from pathlib import Path
from types import FrameType

import pytest
from flask import Flask
from flask.testing import FlaskClient
from weasyprint.urls import URLFetcher

from portal.pdf import render_pdf, safe_fetcher
from tests.helpers import create_operator, load, look_up, run_worker, submit
from tests.records import arrival, rail_booking


def test_the_letter_is_rendered_once_and_then_served_from_the_cache(
        app: Flask, client: FlaskClient) -> None:
    create_operator(app)
    load(app, [rail_booking(passenger={"name": "Hans Müller"})], [arrival()])
    look_up(client, "Q7K2LM", "Müller")
    status_url = submit(client).location
    assert client.get(status_url + "/letter.pdf").status_code == 409  # not decided yet
    run_worker(app)
    assert 'id="letter"' in client.get(status_url).get_data(as_text=True)
    letters = Path(app.instance_path) / "letters"
    assert not letters.exists()  # nothing rendered eagerly

    first = client.get(status_url + "/letter.pdf")
    assert first.status_code == 200 and first.mimetype == "application/pdf"
    assert first.data.startswith(b"%PDF-")
    cached = list(letters.glob("*.pdf"))
    assert len(cached) == 1
    stamp = cached[0].stat().st_mtime_ns
    second = client.get(status_url + "/letter.pdf")
    assert second.data == first.data
    assert cached[0].stat().st_mtime_ns == stamp

    german = client.get(status_url + "/letter.pdf", headers={"Accept-Language": "de"})
    assert german.status_code == 200 and len(list(letters.glob("*.pdf"))) == 2


def test_a_forged_letter_link_is_a_404(client: FlaskClient) -> None:
    assert client.get("/status/forged/letter.pdf").status_code == 404


@pytest.mark.parametrize("url", ["file:///etc/hostname", "http://127.0.0.1:1/x.png",
                                 "https://example.org/logo.png", "ftp://example.org/x"])
def test_the_fetcher_refuses_files_and_remote_urls(url: str) -> None:
    fetcher: URLFetcher = safe_fetcher()
    with pytest.raises(ValueError, match="disallowed protocol"):
        fetcher.fetch(url)


def test_a_letter_with_a_local_file_in_it_renders_without_it() -> None:
    pdf = render_pdf('<p>ok</p><img src="file:///etc/hostname">'
                     '<link rel="stylesheet" href="file:///etc/passwd">')
    assert pdf.startswith(b"%PDF-")


def test_a_render_runs_without_the_cycle_collector_and_leaves_it_on() -> None:
    collections: list[str] = []

    def count(phase: str, _info: dict[str, int]) -> None:
        # Only those in WeasyPrint's code: the one due when the collector is back on
        # after the render comes afterwards, as it should.
        frame: FrameType | None = sys._getframe(1)
        while frame is not None and phase == "start":
            if "weasyprint" in frame.f_code.co_filename:
                collections.append(frame.f_code.co_name)
                break
            frame = frame.f_back

    table = "".join(f"<tr><td>{i}</td><td>{i * i}</td></tr>" for i in range(2000))
    gc.callbacks.append(count)
    try:
        pdf = render_pdf(f"<table>{table}</table>")
    finally:
        gc.callbacks.remove(count)
    assert pdf.startswith(b"%PDF-") and collections == []
    assert gc.isenabled()
