"""No page shows a code: every page of the three audiences, in German and in English, read
as its reader sees it (the visible text, not attributes or URLs), holds none of the
vocabulary's codes as a word of its own.

The codes come from the vocabulary itself (its enums, the causes, the reports' paths) and
from the data (operator slugs, rule ids), so a code added later is checked without a
change here. The pages come from `site_pages`, one function that a crawler may replace."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from html.parser import HTMLParser
from typing import Any, ClassVar, NamedTuple

import pytest
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from pypdf import PdfReader
from sqlalchemy import select
from werkzeug.datastructures import FileStorage
from werkzeug.test import encode_multipart

from claims.core import vocabulary
from claims.core.rules.causes import CAUSES
from claims.db.models import Claim, ClaimDocument, EffortDriverDay, Operator
from claims.reporting import effort_catch_up
from claims.reporting.reports import PATHS
from tests.helpers import csrf_token, run_worker, sign_in, status_path
from tests.integration.site_crawl import crawl

LANGUAGES = ("de", "en")
PNG = (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
       b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xff\xff?\x03\x00\x08\xfc\x02\xfe"
       b"\xa7\x9a\xa0\xa0\x00\x00\x00\x00IEND\xaeB`\x82")


def vocabulary_codes() -> set[str]:
    """Every code of every StrEnum of the vocabulary, the causes and the reports' paths."""
    codes = {member.value for value in vars(vocabulary).values()
             if isinstance(value, type) and issubclass(value, StrEnum) and value is not StrEnum
             for member in value}
    return codes | set(CAUSES) | set(PATHS)


def data_codes(app: Flask) -> set[str]:
    """The codes only the data know: operator slugs, the rules' ids, and the form fields
    the effort report's drivers name ("field:statement", "asked:arrival_time")."""
    with app.extensions["effortless"].session_factory() as session:
        slugs = set(session.scalars(select(Operator.slug)))
        rules = {rule for rule in session.scalars(select(Claim.rule).distinct()) if rule}
        drivers = {driver.partition(":")[2]
                   for driver in session.scalars(select(EffortDriverDay.driver).distinct())}
    return slugs | rules | drivers


# A code of one word ("paid", "system") is also an English word: it counts where the
# text is German (German prose never writes it in lower case), or where it stands alone in
# any language, as a cell of its own or in brackets: "(passenger)". A code with a hyphen,
# an underscore or a dot is a code wherever it stands.
def is_compound(code: str) -> bool:
    return bool(re.search(r"[-_.]", code))


def _as_word(code: str) -> str:
    return rf"(?<![\w\-.@]){re.escape(code)}(?![\w\-@])"


class Passage(NamedTuple):
    language: str
    text: str
    # Quoted for the reader (what the passenger reads, in the clerk's file).
    quoted: bool = False


def leaks(passages: list[Passage], codes: set[str]) -> set[str]:
    """The codes in a page's text."""
    text = " ".join(passage.text for passage in passages)
    found = {code for code in codes if is_compound(code) and re.search(_as_word(code), text)}
    for language, part, _quoted in passages:
        alone = part.strip().strip("()")
        found |= {code for code in codes - found
                  if code == alone or f"({code})" in part
                  or (language == "de" and re.search(_as_word(code), part))}
    return found


VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source",
        "track", "wbr"}


class _VisibleText(HTMLParser):
    """The text a reader sees, each passage with the language it is marked as (the page's
    `lang`, or an element's own, as a passage quoted in the passenger's language)."""

    HIDDEN: ClassVar[frozenset[str]] = frozenset({"script", "style", "template", "head",
                                                  "title"})

    def __init__(self) -> None:
        super().__init__()
        self.passages: list[Passage] = []
        self.open: list[tuple[str, str]] = [("", "en")]
        self.skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in VOID:
            return
        language = dict(attrs).get("lang") or self.open[-1][1]
        self.open.append((tag, language[:2]))
        if tag in self.HIDDEN:
            self.skipping += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in VOID or all(name != tag for name, _language in self.open[1:]):
            return
        while self.open[-1][0] != tag:
            self.open.pop()
        self.open.pop()
        if tag in self.HIDDEN and self.skipping:
            self.skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self.skipping and data.strip():
            quoted = any(tag == "q" for tag, _language in self.open)
            self.passages.append(Passage(self.open[-1][1], data, quoted))


def visible_text(body: bytes, content_type: str, language: str) -> list[Passage]:
    if content_type.startswith("application/pdf"):
        return [Passage(language, page.extract_text() or "")
                for page in PdfReader(io.BytesIO(body)).pages]
    parser = _VisibleText()
    parser.feed(body.decode())
    return parser.passages


def wording_problems(audience: str, language: str, passages: list[Passage]) -> list[str]:
    """Beyond codes: amounts as the reader writes them, the law's name in the reader's
    language, and staff pages that speak about the passenger, not to them (what the
    passenger reads, quoted in another language or as a quotation, aside)."""
    text = " ".join(passage.text for passage in passages
                    if passage.language == language and not passage.quoted)
    problems = []
    if language == "de" and (match := re.search(r"\b\d+\.\d\d (EUR|GBP)\b", text)):
        problems.append(f"an English amount {match.group(0)!r}")
    if language == "en" and "DSGVO" in text:
        problems.append("DSGVO on an English page")
    if audience != "passenger" and (match := re.search(
            r"\b(You|you) (objected|sent|asked|accepted|declined|gave|told)\b|"
            r"\bSie haben\b", text)):
        problems.append(f"a staff page speaks to the passenger: {match.group(0)!r}")
    return problems


@dataclass(frozen=True)
class Page:
    audience: str
    path: str
    client: FlaskClient


def _upload_a_ticket(client: FlaskClient) -> None:
    """A passenger without a booking files with a photo of the ticket."""
    fields: dict[str, Any] = {
        "csrf_token": csrf_token(client.get("/manual").get_data(as_text=True)),
        "operator": "demo-rail", "service": "RE 4711", "origin": "Köln Hbf",
        "destination": "Bonn Hbf", "travel_date": "2026-11-02", "scheduled_arrival": "13:42",
        "price": "36.90", "passenger_name": "Jana Nowak",
        "passenger_email": "jana@example.org", "payout": "iban",
        "iban": "DE89 3704 0044 0532 0130 00", "account_holder": "Jana Nowak",
        "ticket": FileStorage(stream=io.BytesIO(PNG), filename="ticket.png")}
    boundary, body = encode_multipart(fields)
    with client.post("/manual", data=body,
                     content_type=f"multipart/form-data; boundary={boundary}") as response:
        assert response.status_code == 302, response.get_data(as_text=True)


def _object(passenger: FlaskClient, link: str) -> None:
    page = passenger.get(link).get_data(as_text=True)
    response = passenger.post(link + "/appeal", data={
        "csrf_token": csrf_token(page), "objection": "Der Zug kam viel später an."})
    assert response.status_code == 302, response.get_data(as_text=True)


def _seed(app: Flask, runner: FlaskCliRunner) -> dict[str, int]:
    """The demo (every regime, a storm cohort, a returned transfer, an offer, half a year of
    history), a claim with an uploaded ticket, an objection and a clerk's question: one
    claim per status the pages show, by name."""
    result = runner.invoke(args=["demo", "seed", "--bookings", "120"])
    assert result.exit_code == 0, result.output
    _upload_a_ticket(app.test_client())
    run_worker(app)
    factory = app.extensions["effortless"].session_factory
    with factory() as session:
        upload = session.scalars(select(ClaimDocument.claim_id)).first()
        by_status = dict(session.execute(
            select(Claim.status, Claim.id).where(Claim.booking_id.is_not(None))
            .order_by(Claim.id)).all())
    assert upload is not None
    # The passenger's page in each state it words differently.
    assert {"needs_review", "approved", "rejected", "paid", "offered",
            "payout_failed"} <= set(by_status)
    claims = {f"status:{status}": claim_id for status, claim_id in by_status.items()}
    claims["upload"] = upload
    with factory() as session:
        claims["objected"] = session.scalars(
            select(Claim.id).where(Claim.status == "rejected", Claim.booking_id.is_not(None),
                                   Claim.id != claims["status:rejected"])
            .order_by(Claim.id)).first() or 0
    _object(app.test_client(), status_path(app, claims["objected"]))
    run_worker(app)
    effort_catch_up.refresh_all(factory)
    return claims


def site_pages(app: Flask, claims: dict[str, int]) -> Iterator[Page]:
    """Every page kind of the three audiences, each with a client signed in as its reader.
    The one place the page list lives: a site crawler may take its place."""
    passenger = app.test_client()
    for name, claim_id in sorted(claims.items()):
        if name.startswith("status:") or name == "objected":
            link = status_path(app, claim_id)
            yield Page("passenger", link, passenger)
            page = passenger.get(link).get_data(as_text=True)
            for document in sorted(set(re.findall(r'href="(/status/[^"]+\.pdf)"', page))):
                yield Page("passenger", document, passenger)
    clerk = app.test_client()
    sign_in(clerk, "clerk@demo.example", "demo-clerk-2026")
    yield Page("clerk", "/clerk/", clerk)
    yield Page("clerk", "/clerk/?reason=no-booking&operator=demo-rail", clerk)
    yield Page("clerk", "/clerk/cohorts", clerk)
    cohorts = clerk.get("/clerk/cohorts").get_data(as_text=True)
    found = sorted(set(re.findall(r'href="(/clerk/cohorts/[^"]+)"', cohorts)))
    assert found, "the demo has a storm's cohort"
    for cohort in found[:3]:
        yield Page("clerk", cohort, clerk)
    shown = sorted(set(claims.values()))
    with app.extensions["effortless"].session_factory() as session:
        # One claim per reason a claim can wait for a clerk with, and the storm's rejections.
        first_with: dict[str, int] = {}
        for claim_id, reasons in session.execute(select(Claim.id, Claim.reason_codes)
                                                 .order_by(Claim.id)):
            for code in reasons or ():
                first_with.setdefault(code, claim_id)
        shown += first_with.values()
        shown += list(session.scalars(select(Claim.id).where(
            Claim.assigned_to.is_not(None)).order_by(Claim.id.desc()).limit(5)))
    for claim_id in sorted(set(shown)):
        yield Page("clerk", f"/clerk/claims/{claim_id}?timeline=all", clerk)
    manager = app.test_client()
    sign_in(manager, "manager@demo.example", "demo-manager-2026")
    for path in ("/reports/", "/reports/audit", "/reports/report.pdf",
                 "/reports/what-if?limit=1000&off=passenger-statement",
                 "/reports/what-if.pdf?limit=1000&off=passenger-statement"):
        yield Page("manager", path, manager)
        # Filtered: the filter is named on the page (an operator, a regime).
        if path != "/reports/audit":
            joined = "&" if "?" in path else "?"
            yield Page("manager", f"{path}{joined}operator=demo-uk&regime=uk-rail", manager)
    # And every other staff page their links reach (a list added later is covered too).
    for audience, client, entry in (("clerk", clerk, "/clerk/"),
                                    ("manager", manager, "/reports/")):
        for reached in crawl(client, [entry], max_pages=60, per_endpoint=2,
                             skip=lambda url: url.startswith("/language/")
                             or "lang=" in url or "/claims/" in url):
            yield Page(audience, reached.url, client)


def test_no_page_in_either_language_shows_a_code(app: Flask, runner: FlaskCliRunner) -> None:
    claims = _seed(app, runner)
    codes = vocabulary_codes() | data_codes(app)
    assert {"own-staff-strike", "document_uploaded", "eu-rail", "demo-uk",
            "touchless", "passenger"} <= codes
    found: list[str] = []
    pages = list(site_pages(app, claims))
    assert {page.audience for page in pages} == {"passenger", "clerk", "manager"}
    for page in pages:
        for language in LANGUAGES:
            separator = "&" if "?" in page.path else "?"
            response = page.client.get(f"{page.path}{separator}lang={language}")
            assert response.status_code == 200, (page.path, response.status_code)
            passages = visible_text(response.data, response.content_type, language)
            text = " ".join(passage.text for passage in passages)
            found += [f"{language} {page.path}: {code!r} in …{_around(text, code)}…"
                      for code in sorted(leaks(passages, codes))]
            found += [f"{language} {page.path}: {problem}"
                      for problem in wording_problems(page.audience, language, passages)]
    assert not found, "\n".join(found)


def test_the_clerk_reads_about_the_passenger_the_passenger_reads_about_themselves(
        app: Flask, runner: FlaskCliRunner) -> None:
    claims = _seed(app, runner)
    passenger = app.test_client()
    link = status_path(app, claims["objected"])
    assert "You objected to the decision" in passenger.get(link).get_data(as_text=True)
    clerk = app.test_client()
    sign_in(clerk, "clerk@demo.example", "demo-clerk-2026")
    page = clerk.get(f"/clerk/claims/{claims['objected']}").get_data(as_text=True)
    assert "The passenger objected to the decision (by the passenger)" in page
    german = clerk.get(f"/clerk/claims/{claims['objected']}?lang=de").get_data(as_text=True)
    assert "Die Fahrgastperson hat der Entscheidung widersprochen" in german


def _around(text: str, code: str) -> str:
    at = re.search(rf"(?<![\w\-.]){re.escape(code)}", text)
    start = at.start() if at else 0
    return " ".join(text[max(0, start - 40):start + len(code) + 40].split())


@pytest.mark.parametrize(("html", "expected"), [
    ('<p lang="de">Ursache own-staff-strike.</p>', {"own-staff-strike"}),
    ('<p lang="en">Ursache own-staff-strike.</p>', {"own-staff-strike"}),
    ('<li lang="de">Antrag eingereicht (passenger)</li>', {"passenger"}),
    ('<li lang="en">Claim submitted (passenger)</li>', {"passenger"}),
    ('<p lang="en">The passenger objected.</p>', set()),
    ('<p lang="de">Die Entscheidung <span lang="en">the passenger reads</span></p>', set()),
    ('<p lang="de">Der Fahrgast passenger</p>', {"passenger"}),
    ('<p lang="en">Regel (eu-rail.19-1)</p>', {"eu-rail", "eu-rail.19-1"}),
    ('<th lang="de">touchless/clerk/no-booking</th>', {"touchless", "clerk", "no-booking"}),
    ('<table lang="en"><tr><th>touchless</th></tr></table>', {"touchless"}),
    ('<p lang="en">a non-booking page by clerk@demo.example</p>', set()),
    ('<p lang="en"><a href="/x?reason=no-booking" title="no-booking">x</a></p>', set()),
    ('<p lang="en"><script>"no-booking"</script></p>', set()),
])
def test_a_code_is_found_as_a_word_of_its_own(html: str, expected: set[str]) -> None:
    codes = {"own-staff-strike", "passenger", "eu-rail", "eu-rail.19-1", "touchless", "clerk",
             "no-booking", "booking"}
    assert leaks(visible_text(html.encode(), "text/html", "en"), codes) == expected


def test_the_codes_come_from_the_vocabulary() -> None:
    codes = vocabulary_codes()
    assert {member.value for member in vocabulary.ReasonCode} <= codes
    assert {"claim_file_opened", "needs_review", "uk-rail", "system", "extreme-weather",
            "no-booking"} <= codes
