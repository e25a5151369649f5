"""The passenger's forms. Labels are translated at render time."""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    Optional,
    Regexp,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, ListWidget

from claims.core.iban import IbanError, check_iban
from claims.core.names import (
    REFERENCE_MAX_LENGTH,
    REFERENCE_MIN_LENGTH,
    reference_length_ok,
)
from claims.core.plain_text import NAME_LIMIT
from claims.core.uk_accounts import Problem, UkAccountError, check_uk_account
from portal.fields import AmountField, Form, PersonName
from portal.templating import CAUSE_LABELS

NAME_LENGTH = Length(max=NAME_LIMIT, message=_l("A name is at most %(max)d characters."))


class LookupForm(Form):
    reference = StringField(_l("Booking reference"), description=_l(
        "%(min)d to %(max)d letters and digits, as on your ticket or confirmation e-mail.",
        min=REFERENCE_MIN_LENGTH, max=REFERENCE_MAX_LENGTH), validators=[
        DataRequired(_l("Enter your booking reference.")),
        Length(max=40, message=_l("A booking reference is at most 40 characters.")),
    ], render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})

    def validate_reference(self, field: StringField) -> None:
        # As the operators' records hold them (claims.core.names: one rule for the import,
        # this check and the hint the page shows).
        if not reference_length_ok(field.data or ""):
            raise ValidationError(_l("A booking reference has %(min)d to %(max)d letters and "
                                     "digits, as on your ticket or confirmation e-mail.",
                                     min=REFERENCE_MIN_LENGTH, max=REFERENCE_MAX_LENGTH))
    surname = StringField(_l("Surname"), validators=[
        DataRequired(_l("Enter your surname as on the booking.")),
        Length(max=100, message=_l("A surname is at most 100 characters.")), PersonName(),
    ], render_kw={"autocomplete": "family-name"})
    # Asked only where several operators' bookings answer to the reference and surname:
    # their names are the choices (portal.passenger.views._look_up sets them).
    # A choice that is not among them (an altered page) finds no booking; one that could
    # be no operator's slug is refused here, before it reaches the database.
    operator = RadioField(_l("Which company is your booking with?"), choices=[],
                          validate_choice=False, validators=[Optional(), Regexp(
                              r"^[a-z0-9-]{1,40}$",
                              message=_l("Choose one of the companies shown."))])


def _count(value: str | None) -> int | None:
    """Client counts arrive from a small script; without JavaScript they are unknown."""
    if value is None or not value.isdigit():
        return None
    return min(int(value), 1_000_000)


UK_ACCOUNT = "uk-account"
UK_ACCOUNT_PROBLEMS = {
    Problem.SORT_CODE_FORMAT: _l("A sort code is six digits, such as 12-34-56."),
    Problem.ACCOUNT_FORMAT: _l("A UK account number is 6 to 8 digits."),
    Problem.MODULUS: _l("This sort code and account number do not belong together. "
                        "Please check both."),
}


class _PayoutForm(Form):
    """Where to pay: an IBAN, or a UK sort code and account number (for pounds). Subclasses
    define `payout`, whose choice decides which account is needed."""

    payout: RadioField

    def offer_uk_account(self, offered: bool) -> None:
        """Only pounds may be paid to a UK sort code and account number: elsewhere the
        choice is not offered (and a submit naming it is refused as not a choice)."""
        if not offered:
            self.payout.choices = [c for c in self.payout.choices if c.value != UK_ACCOUNT]

    def validate_account_number(self, field: StringField) -> None:
        """A UK sort code and account number, checked together (Vocalink's modulus
        rules); the error shows at the account number, and what was typed stays."""
        if self.payout.data != UK_ACCOUNT:
            return
        try:
            account = check_uk_account(self.sort_code.data or "", field.data or "")
        except UkAccountError as error:
            raise ValidationError(UK_ACCOUNT_PROBLEMS[error.problem]) from None
        self.sort_code.data, field.data = account.sort_code, account.account_number

    def validate_iban(self, field: StringField) -> None:
        if self.payout.data != "iban":
            return
        if not (field.data or "").strip():
            raise ValidationError(_l("Enter the IBAN we should pay to."))
        _compact_iban(field)

    def validate_account_holder(self, field: StringField) -> None:
        if self.payout.data in ("iban", UK_ACCOUNT) and not (field.data or "").strip():
            raise ValidationError(_l("Enter the name of the account holder."))

    # Not Optional(): that would stop the chain before validate_iban, and an empty IBAN
    # with "to this bank account" chosen would pass (money with nowhere to go).
    iban = StringField(_l("IBAN"), validators=[Length(max=42)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    account_holder = StringField(_l("Account holder"), validators=[NAME_LENGTH, PersonName()],
                                 render_kw={"autocomplete": "name"})
    sort_code = StringField(_l("Sort code"), validators=[Length(max=8)],
                            render_kw={"autocomplete": "off", "inputmode": "numeric"})
    account_number = StringField(_l("Account number"), validators=[Length(max=10)],
                                 render_kw={"autocomplete": "off", "inputmode": "numeric"})


class OfferForm(_PayoutForm):
    """Accepting an offer: with an account on file, nothing to choose (one click);
    without, a travel voucher or a bank account the passenger enters (for pounds, a UK
    sort code and account number too)."""

    def __init__(self, *args: Any, account_on_file: bool, uk_account: bool = False,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer_uk_account(uk_account)
        if account_on_file:
            self.payout.choices = [SelectChoice("account", _l("To the account on file"))]
            self.payout.data = "account"

    payout = RadioField(_l("How should we pay you?"), choices=[
        SelectChoice("iban", _l("To this bank account")),
        SelectChoice(UK_ACCOUNT, _l("UK bank account: sort code + account number")),
        SelectChoice("voucher", _l("As a travel voucher")),
    ], validators=[InputRequired(_l("Choose how we should pay you."))])
    field_order = ("payout", "iban", "account_holder", "sort_code", "account_number")


class DeclineForm(Form):
    """No fields: the page renders its CSRF token, which the app checks on every POST."""


class _PassengerAndPayoutForm(_PayoutForm):
    """What both claim forms ask of the passenger: who they are, what to add, and where to
    pay."""

    passenger_name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Enter your name.")), NAME_LENGTH, PersonName(),
    ], render_kw={"autocomplete": "name"})
    passenger_email = EmailField(_l("E-mail for the decision"), validators=[
        Optional(),
        Email(_l("Enter an e-mail address such as name@example.org."),
              check_deliverability=False),
        Length(max=254),
    ], render_kw={"autocomplete": "email"})
    statement = TextAreaField(_l("Anything we should know? (optional)"), validators=[
        Optional(),
        Length(max=2500, message=_l("At most 2,500 characters, please.")),
    ])


DIRECTION_LABELS = {"outbound": _l("Outbound"), "return": _l("Return")}
ACCOUNT_ON_FILE = "account"


def choices_text(account_on_file: bool, journeys: Sequence[str]) -> str:
    """ClaimForm's choices as its hidden field carries them: "account outbound return"."""
    return " ".join(([ACCOUNT_ON_FILE] if account_on_file else []) + list(journeys))


def read_choices(text: str | None) -> tuple[bool, tuple[str, ...]] | None:
    """(account on file, journeys) from choices_text, or None where it is not one."""
    words = (text or "").split()
    journeys = tuple(word for word in words if word in DIRECTION_LABELS)
    if not journeys or len(set(journeys)) < len(journeys) or \
            len(journeys) + words.count(ACCOUNT_ON_FILE) != len(words) or \
            words.count(ACCOUNT_ON_FILE) > 1:
        return None
    return ACCOUNT_ON_FILE in words, journeys


class ClaimForm(_PassengerAndPayoutForm):
    def __init__(self, *args: Any, account_on_file: bool, journeys: Sequence[str],
                 uk_account: bool = False, **kwargs: Any) -> None:
        """journeys: the booking's journeys not yet claimed (both directions of a return);
        the passenger files for either or both, all chosen at first."""
        super().__init__(*args, **kwargs)
        # The choices go with the form, so that its submit is built as the page was
        # without reading the booking for them, nor keeping them in the session cookie
        # (which each request would then rewrite). Trusted for nothing: the submit checks
        # the account and the journeys against the booking in its own statement.
        self.shown_choices.data = choices_text(account_on_file, journeys)
        if not account_on_file:
            self.payout.choices = [c for c in self.payout.choices
                                   if c.value != "account"]
            if self.payout.data == "account":
                self.payout.data = "iban"
        self.offer_uk_account(uk_account)
        self.journeys.choices = [SelectChoice(j, DIRECTION_LABELS[j]) for j in journeys]
        if not self.journeys.data:
            self.journeys.data = list(journeys) if not self.is_submitted() or \
                len(journeys) == 1 else []

    field_order = ("journeys", "passenger_name", "passenger_email", "payout", "iban",
                   "account_holder", "sort_code", "account_number", "arrived_with_service",
                   "statement")

    journeys = SelectMultipleField(_l("Claim for"), widget=ListWidget(prefix_label=False),
                                   option_widget=CheckboxInput())
    shown_choices = HiddenField()

    def validate_journeys(self, field: SelectMultipleField) -> None:
        if not field.data:
            raise ValidationError(_l("Choose the journey you claim for."))

    arrived_with_service = StringField(_l("Did you arrive with another train or flight?"),
                                       validators=[
        Optional(),
        Length(max=40, message=_l("A service is at most 40 characters.")),
        Regexp(r"^[\w .\-/]+$", message=_l("Use letters, digits and spaces, such as ICE 597.")),
    ])
    payout = RadioField(_l("How should we pay you?"), choices=[
        SelectChoice("account", _l("To the account on file")),
        SelectChoice("iban", _l("To this bank account")),
        SelectChoice(UK_ACCOUNT, _l("UK bank account: sort code + account number")),
        SelectChoice("voucher", _l("As a travel voucher")),
    ], default="account")
    keystrokes = HiddenField(filters=[_count])
    clicks = HiddenField(filters=[_count])
    active_ms = HiddenField(filters=[_count])


def _compact_iban(field: StringField) -> None:
    try:
        field.data = check_iban(field.data).compact
    except IbanError:
        raise ValidationError(_l("This is not a valid IBAN. Please check it.")) from None


DOCUMENT_LABEL = _l("A photo or PDF (ticket, receipt), at most 5 MB")
DOCUMENT_TYPES = {"accept": "application/pdf,image/jpeg,image/png"}


class InfoForm(Form):
    """Just what the clerk asked for: the other fields are removed. The clerk's own
    question is the label of the answer's box; a file asked for is optional unless it is
    all that was asked. A file sent with a form that had other errors is kept
    (kept_document), as on the form without a booking."""

    def __init__(self, *args: Any, asked: tuple[str, ...], question: str | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name in ("arrived_with_service", "arrival_time", "price", "cause", "statement",
                     "iban", "document"):
            if name not in asked:
                del self[name]
                if name == "iban":
                    del self["account_holder"]
                if name == "document":
                    del self["kept_document"]
        if "question" not in asked:
            del self["answer"]
        elif question:
            self.answer.label.text = question
        self.document_required = tuple(asked) == ("document",)

    def validate_iban(self, field: StringField) -> None:
        _compact_iban(field)

    # First: the clerk's own question is what the passenger reads first.
    answer = TextAreaField(_l("Your answer"), validators=[
        DataRequired(_l("Please answer the question.")),
        Length(max=2500, message=_l("At most 2,500 characters, please.")),
    ])
    arrived_with_service = StringField(_l("Which train or flight did you arrive with?"),
                                       validators=[
        DataRequired(_l("Enter the train or flight, such as ICE 597.")),
        Length(max=40, message=_l("A service is at most 40 characters.")),
        Regexp(r"^[\w .\-/]+$", message=_l("Use letters, digits and spaces, such as ICE 597.")),
    ])
    arrival_time = StringField(_l("When did you arrive? (hh:mm)"), validators=[
        DataRequired(_l("Enter the time you arrived, such as 13:42.")),
        Regexp(r"^([01]?\d|2[0-3]):[0-5]\d$",
               message=_l("Enter the time you arrived, such as 13:42.")),
    ])
    price = AmountField(_l("What did your ticket cost?"), validators=[
        InputRequired(_l("Enter what the ticket cost."))], high=Decimal("10000"),
        message=_l("Enter the price, such as 59.90."))
    cause = SelectField(_l("What reason for the delay were you given?"), choices=[
        SelectChoice("", _l("Choose…")),
        *(SelectChoice(code, words) for code, words in CAUSE_LABELS.items())],
        validators=[DataRequired(_l("Choose the reason you were given."))])
    statement = TextAreaField(_l("What happened?"), validators=[
        DataRequired(_l("Tell us briefly what happened.")),
        Length(max=2500, message=_l("At most 2,500 characters, please.")),
    ])
    iban = StringField(_l("IBAN"), validators=[DataRequired(_l("Enter the IBAN we should pay to.")),
                                              Length(max=42)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    account_holder = StringField(_l("Account holder"), validators=[
        DataRequired(_l("Enter the name of the account holder.")), NAME_LENGTH, PersonName()],
        render_kw={"autocomplete": "name"})
    document = FileField(DOCUMENT_LABEL, render_kw=DOCUMENT_TYPES)
    kept_document = HiddenField()


class NewAccountForm(_PayoutForm):
    """After the bank sent the money back: the account to pay to instead, held by the
    passenger, whose name the claim has. An IBAN; for pounds, a UK sort code and account
    number instead (as the claim forms take them)."""

    def __init__(self, *args: Any, uk_account: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.offer_uk_account(uk_account)

    payout = RadioField(_l("Which account?"), choices=[
        SelectChoice("iban", _l("A bank account with an IBAN")),
        SelectChoice(UK_ACCOUNT, _l("UK bank account: sort code + account number")),
    ], default="iban")  # an IBAN where nothing is chosen: the page without the choice
    iban = StringField(_l("IBAN of another account in your name"), validators=[Length(max=42)],
                       render_kw={"autocomplete": "off", "spellcheck": "false"})
    account_holder = None  # the passenger's own account: the claim's name is the holder


class AppealForm(Form):
    objection = TextAreaField(_l("Why do you disagree?"), validators=[
        DataRequired(_l("Tell us briefly why you disagree.")),
        Length(max=2500, message=_l("At most 2,500 characters, please.")),
    ])
    document = FileField(DOCUMENT_LABEL, render_kw=DOCUMENT_TYPES)  # the page says: optional
    kept_document = HiddenField()
    document_required = False


class ManualClaimForm(_PassengerAndPayoutForm):
    """No booking: the journey, the price and the ticket, typed and uploaded. A UK sort
    code and account number is always a choice (the page works without a script that
    would show it as the operator is chosen), and refused for an operator paying in
    euros."""

    def __init__(self, *args: Any, operators: Sequence[tuple[str, str, str]],
                 **kwargs: Any) -> None:
        """operators: (slug, name, currency) of each, as the choice shows them."""
        super().__init__(*args, **kwargs)
        # No operator chosen for the passenger; each names the currency its tickets are in.
        self.operator.choices = [SelectChoice("", _l("Choose…"))] + [
            SelectChoice(slug, f"{name} ({currency})") for slug, name, currency in operators]
        self._in_pounds = {slug for slug, _name, currency in operators if currency == "GBP"}

    field_order = ("operator", "service", "origin", "destination", "travel_date",
                   "scheduled_arrival", "actual_arrival", "price", "ticket", "passenger_name",
                   "passenger_email", "payout", "iban", "account_holder", "sort_code",
                   "account_number", "statement")

    def validate_payout(self, field: RadioField) -> None:
        if field.data == UK_ACCOUNT and self.operator.data and \
                self.operator.data not in self._in_pounds:
            raise ValidationError(_l("A UK bank account can take pounds only, and this "
                                     "railway or airline pays in euros: please give an "
                                     "IBAN or choose a travel voucher."))

    operator = SelectField(_l("Railway or airline"), validate_choice=True, validators=[
        DataRequired(_l("Choose the railway or airline."))])
    service = StringField(_l("Train or flight"), validators=[
        DataRequired(_l("Enter the train or flight, such as ICE 597.")),
        Length(max=40, message=_l("A service is at most 40 characters.")),
        Regexp(r"^[\w .\-/]+$", message=_l("Use letters, digits and spaces, such as ICE 597.")),
    ])
    origin = StringField(_l("From"), validators=[
        DataRequired(_l("Enter where you started.")), Length(max=120)])
    destination = StringField(_l("To"), validators=[
        DataRequired(_l("Enter where you were going.")), Length(max=120)])
    travel_date = DateField(_l("Date of travel"), validators=[
        InputRequired(_l("Enter the date of travel."))])
    scheduled_arrival = TimeField(_l("Scheduled arrival"), validators=[
        InputRequired(_l("Enter the scheduled arrival time, such as 13:42."))])
    actual_arrival = TimeField(_l("When did you actually arrive? (optional)"), validators=[
        Optional()])
    price = AmountField(_l("Ticket price"), validators=[
        InputRequired(_l("Enter what the ticket cost."))], high=Decimal("10000"),
        message=_l("Enter the price, such as 59.90."))
    payout = RadioField(_l("How should we pay you?"), choices=[
        SelectChoice("iban", _l("To this bank account")),
        SelectChoice(UK_ACCOUNT, _l("UK bank account: sort code + account number")),
        SelectChoice("voucher", _l("As a travel voucher")),
    ], default="iban")
    ticket = FileField(_l("Your ticket: a photo or PDF, at most 5 MB"),
                       render_kw={"accept": "application/pdf,image/jpeg,image/png"})
    # A ticket sent with a form that had other errors is kept: the passenger does not
    # attach it again (the token names the kept file; it is ours, not a path).
    kept_ticket = HiddenField()


class SurveyForm(Form):
    """CES 2.0, asked once after the decision."""

    score = RadioField(_l("How much do you agree?"), choices=[
        SelectChoice("1", _l("1 (strongly disagree)")), SelectChoice("2", "2"),
        SelectChoice("3", "3"), SelectChoice("4", "4"), SelectChoice("5", "5"),
        SelectChoice("6", "6"), SelectChoice("7", _l("7 (strongly agree)"))],
        validators=[InputRequired(_l("Choose a number from 1 to 7."))])
    comment = TextAreaField(_l("Anything to add? (optional)"), validators=[
        Optional(), Length(max=1000, message=_l("At most 1,000 characters, please."))])
