"""A small crawler of the portal's own pages, for tests (issue 44): from a Flask test client
signed in as some role and a few entry pages, it follows the same-site links by GET and
yields every page it reaches, with its parsed HTML; and it reads the forms of a page as a
browser sees them (fields, choices, where they post), so that a test can submit them.

Bounded: at most `max_pages` pages, at most `per_endpoint` pages of one view (the clerk's
hundred claim pages are one kind of page) and `per_query` variants of one path's query
string, besides the entries. It never follows logout, downloads (PDF, CSV, JSON) unless
asked, /static/, or what the caller's `skip` names."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

import lxml.html
from flask.testing import FlaskClient
from werkzeug.exceptions import MethodNotAllowed, NotFound
from werkzeug.routing import RequestRedirect

BASE = "http://localhost"
DOWNLOADS = re.compile(r"\.(pdf|csv|json|xml|zip|eml|png|jpe?g)$", re.IGNORECASE)
NEVER = re.compile(r"(^/static/|logout|sign-?out)", re.IGNORECASE)


@dataclass
class Page:
    url: str  # path and query, as requested
    response: Any
    html: Any  # lxml's root element


def local_path(url: str, base: str = "/") -> str | None:
    """The same-site path and query a link leads to, or None for another site."""
    absolute = urljoin(BASE + base, url)
    parts = urlsplit(absolute)
    if f"{parts.scheme}://{parts.netloc}" != BASE:
        return None
    return parts.path + (f"?{parts.query}" if parts.query else "")


def endpoint_of(client: FlaskClient, url: str,
                method: str = "GET") -> tuple[str, dict[str, Any]] | None:
    """The view (endpoint and its arguments) a URL reaches with the method, or None when
    no route takes it (a 404 or 405 waiting to happen)."""
    adapter = client.application.url_map.bind("localhost")
    path = urlsplit(url).path
    try:
        endpoint, arguments = adapter.match(path, method=method)
    except (NotFound, MethodNotAllowed, RequestRedirect):
        return None
    return str(endpoint), dict(arguments)


def parse(response: Any) -> Any | None:
    if not response.mimetype or response.mimetype != "text/html":
        return None
    text = response.get_data(as_text=True)
    return lxml.html.document_fromstring(text) if text.strip() else None


def crawl(client: FlaskClient, entries: Iterable[str], *, max_pages: int = 150,
          per_endpoint: int = 6, per_query: int = 3, downloads: bool = False,
          skip: Callable[[str], bool] | None = None) -> Iterator[Page]:
    """Every HTML page reached from the entries by same-site GET links, breadth first."""
    queue: deque[str] = deque()
    seen: set[str] = set()
    per_view: Counter[str] = Counter()
    per_path: Counter[str] = Counter()
    fetched = 0

    def offer(url: str) -> None:
        if url in seen or NEVER.search(urlsplit(url).path):
            return
        if (not downloads and DOWNLOADS.search(urlsplit(url).path)) or (skip and skip(url)):
            return
        seen.add(url)
        queue.append(url)

    for entry in entries:
        offer(entry)
    wanted = set(queue)  # the entries are fetched whatever the bounds per view say
    while queue and fetched < max_pages:
        url = queue.popleft()
        view = endpoint_of(client, url)
        kind = view[0] if view else urlsplit(url).path
        path = urlsplit(url).path
        if url not in wanted and (per_view[kind] >= per_endpoint
                                  or ("?" in url and per_path[path] >= per_query)):
            continue
        if url not in wanted:
            per_view[kind] += 1
            if "?" in url:
                per_path[path] += 1
        response = client.get(url)
        fetched += 1
        html = parse(response)
        if html is None:
            continue
        yield Page(url, response, html)
        for anchor in html.iterfind(".//a[@href]"):
            href = anchor.get("href", "")
            if href.startswith(("#", "mailto:", "tel:", "javascript:")):
                continue
            target = local_path(href.split("#")[0], url)
            if target is not None:
                offer(target)


# The forms of a page, as a browser reads them.

TEXTUAL = {"text", "email", "search", "tel", "url", "password", "date", "time", "number",
           "datetime-local", "month", "week", ""}


@dataclass
class Field:
    name: str
    kind: str  # "hidden", a textual input's type, "textarea", "select", "radio",
    #            "checkbox", "submit" (a named button) or "file"
    value: str = ""  # what the browser would send as the page stands
    options: list[str] = field(default_factory=list)  # select, radio, checkbox, submit
    chosen: list[str] = field(default_factory=list)  # the options selected or checked
    maxlength: int | None = None
    multiple: bool = False

    @property
    def typed(self) -> bool:
        """A field the user types into (its value can be kept or lost)."""
        return self.kind in TEXTUAL or self.kind == "textarea"


@dataclass
class Form:
    page: str  # the URL of the page it was found on
    method: str
    action: str  # the path and query it submits to, resolved against the page
    enctype: str
    fields: list[Field]

    @property
    def typed_fields(self) -> list[Field]:
        return [f for f in self.fields if f.typed]

    def named(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def forms_on(html: Any, page: str) -> list[Form]:
    return [_form(element, page) for element in html.iterfind(".//form")]


def _form(element: Any, page: str) -> Form:
    action = element.get("action")
    # No action, or an empty one: the browser posts to the page's own address.
    target = local_path(action, page) if action else page
    fields: dict[str, Field] = {}
    for control in element.iter("input", "textarea", "select", "button"):
        name = control.get("name")
        if not name or control.get("disabled") is not None:
            continue
        tag = control.tag
        kind = (control.get("type") or "").lower() if tag == "input" else tag
        if tag == "button":
            kind = "submit" if (control.get("type") or "submit") == "submit" else "button"
        if kind in ("button", "reset", "image"):
            continue
        limit = control.get("maxlength")
        maxlength = int(limit) if limit and limit.isdigit() else None
        if kind in ("radio", "checkbox", "submit"):
            found = fields.setdefault(name, Field(name, kind))
            value = control.get("value", "on" if kind != "submit" else "")
            found.options.append(value)
            if control.get("checked") is not None:
                found.chosen.append(value)
            found.multiple = found.multiple or kind == "checkbox"
        elif tag == "select":
            options = [o.get("value", o.text_content()) for o in control.iterfind(".//option")]
            chosen = [o.get("value", o.text_content()) for o in control.iterfind(".//option")
                      if o.get("selected") is not None]
            multiple = control.get("multiple") is not None
            if not chosen and options and not multiple:
                chosen = options[:1]
            fields[name] = Field(name, "select", options=options, chosen=chosen,
                                 multiple=multiple)
        elif tag == "textarea":
            fields[name] = Field(name, "textarea", value=control.text or "",
                                 maxlength=maxlength)
        else:
            fields[name] = Field(name, kind or "text", value=control.get("value", ""),
                                 maxlength=maxlength)
    for found in fields.values():
        if found.kind in ("radio", "checkbox", "select", "submit"):
            found.value = found.chosen[0] if found.chosen else ""
    return Form(page, (element.get("method") or "get").lower(), target or page,
                (element.get("enctype") or "application/x-www-form-urlencoded").lower(),
                list(fields.values()))


def shown_value(field_: Field) -> str | list[str]:
    """What a re-rendered field holds: a typed field's text, a choice's selection."""
    if field_.typed:
        return field_.value
    return field_.chosen


def messages_on(html: Any) -> list[str]:
    """The error messages a page shows: its error summary, the fields' errors, alerts."""
    found = []
    for element in html.xpath('//*[@role="alert"] | //*[contains(concat(" ", @class, " "),'
                              ' " error ")] | //*[contains(concat(" ", @class, " "),'
                              ' " error-summary ")]'):
        text = " ".join(element.text_content().split())
        if text:
            found.append(text)
    return found


def error_summary(html: Any) -> bool:
    """The page says something went wrong: an error summary, a field's error, an alert."""
    return bool(html.xpath('//*[contains(concat(" ", @class, " "), " error-summary ")]'
                           ' | //*[contains(concat(" ", @class, " "), " error ")]'
                           ' | //*[@role="alert"]'))
