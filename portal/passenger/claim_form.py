"""The claim page's form, rendered once per language and shape, and served with each
passenger's own values put in.

Every passenger who files opens the claim page, and its form reads the same for everyone
who has the same choices in one language. Building and rendering its fields (WTForms:
thirteen fields, their labels and the payout's choices) was 0.75 ms of the page's 2.6 ms
(test client, 1,000 claim pages on PostgreSQL). What changes the form's markup besides
the passenger's values is its shape (FormShape); the values are the CSRF token, the name
and e-mail from the booking and the account on file, masked. A form sent back with
errors is the passenger's own, and is rendered as usual (the template includes the same
partial)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from portal.passenger.forms import ClaimForm
from portal.templating import page_language

TEMPLATE = "passenger/claim_form.html"

# A value's place in the rendered form: private-use characters, which markupsafe and
# WTForms leave as they are and which no translation holds.
_PLACE = "\ue000{}\ue001"
_PLACES = re.compile("\ue000(\\w+)\ue001")


@dataclass(frozen=True)
class FormShape:
    """All that changes the form's markup but the values: the choices it offers, and
    whether 'Something was different?' starts open."""

    account_on_file: bool
    journeys: tuple[str, ...]
    details_open: bool
    uk_account: bool = False  # a GBP booking: a UK sort code and account number too


def claim_form_html(shape: FormShape, *, name: str, email: str | None,
                    account: str) -> Markup:
    """The form, as `render_template(TEMPLATE, form=..., ...)` would write it for a new
    ClaimForm with these values (tests/integration/test_claim_form.py holds it to that)."""
    token = generate_csrf()
    cache: dict[tuple[str, FormShape], list[str]] = current_app.extensions.setdefault(
        "effortless_claim_forms", {})
    key = (page_language(), shape)
    pieces = cache.get(key)
    if pieces is None:
        pieces = cache[key] = _pieces(shape, token)
    values = {"token": token, "name": escape(name), "email": escape(email or ""),
              "account": escape(account)}
    # Text, a value's name, text, ...: re.split keeps the names it split at.
    return Markup("".join(piece if index % 2 == 0 else values[piece]
                          for index, piece in enumerate(pieces)))


def new_claim_form(shape: FormShape, *, name: str, email: str | None) -> ClaimForm:
    """The form as the claim page first shows it: every open journey chosen, paid to the
    account on file if there is one."""
    return ClaimForm(account_on_file=shape.account_on_file, journeys=shape.journeys,
                     uk_account=shape.uk_account, data={
        "passenger_name": name, "passenger_email": email,
        "payout": "account" if shape.account_on_file else "iban"})


def render_form(form: ClaimForm, shape: FormShape, account: str) -> str:
    return render_template(TEMPLATE, form=form, details_open=shape.details_open,
                           account_on_file=account)


def _pieces(shape: FormShape, token: str) -> list[str]:
    form = new_claim_form(shape, name=_PLACE.format("name"), email=_PLACE.format("email"))
    html = render_form(form, shape, _PLACE.format("account"))
    if html.count(token) != 1:
        raise RuntimeError("the claim form shows its CSRF token other than once")
    return _PLACES.split(html.replace(token, _PLACE.format("token")))
