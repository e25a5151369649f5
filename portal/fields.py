"""The form base and the fields the passenger's and the clerk's forms share."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from gettext import NullTranslations
from pathlib import Path
from typing import Any

from babel.support import Translations
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field, HiddenField, PasswordField, StringField, TextAreaField
from wtforms.i18n import messages_path
from wtforms.meta import DefaultMeta
from wtforms.validators import ValidationError

from claims.core.amounts import AmountError, parse_amount
from claims.core.plain_text import TextProblem, free_text_problem, line_problem, name_problem

ONE_LINE_MESSAGE = _l("Use one line, without line breaks or control characters.")


class Form(FlaskForm):
    """Every form of the portal. WTForms' own messages ("Not a valid choice") in the page's
    language, read from disk once per language: Flask-WTF reads them for every request.

    Every text field a person fills in refuses control characters, here once rather than
    field by field, so that none is forgotten: a one-line field (a name, a service, an
    IBAN) any line break, a text area all but its line breaks and tabs. What is typed is
    printed again in pages, letters, payment files and e-mails."""

    class Meta(DefaultMeta):
        def get_translations(self, form: Any) -> NullTranslations:
            return _wtforms_messages(str(get_locale()))

        def bind_field(self, form: Any, unbound_field: Any, options: Any) -> Field:
            field = super().bind_field(form, unbound_field, options)
            if isinstance(field, TextAreaField):
                field.validators = [*field.validators, FreeText()]
            elif isinstance(field, StringField) and \
                    not isinstance(field, HiddenField | PasswordField):
                field.validators = [*field.validators, OneLine()]
            return field

    # The fields in the order the page shows them, where that is not the order they were
    # declared in (fields inherited from a base class come first): the error summary
    # lists the errors in this order, so that it reads as the page does.
    field_order: tuple[str, ...] = ()

    def errors_in_order(self) -> list[tuple[str, list[str]]]:
        errors = {name: list(messages) for name, messages in self.errors.items()}
        place = {name: index for index, name in enumerate(self.field_order)}
        return sorted(errors.items(), key=lambda item: place.get(item[0], len(place)))


OUR_CATALOGUES = Path(__file__).parent / "translations"


@cache
def _wtforms_messages(locale: str) -> NullTranslations:
    """WTForms' catalogue, and ours where it has no translation: its German one lacks
    "Not a valid time value." (a wrong time on /manual was refused in English)."""
    translations = Translations.load(messages_path(), [locale], domain="wtforms")
    translations.add_fallback(Translations.load(str(OUR_CATALOGUES), [locale]))
    return translations


class OneLine:
    """No line break, control character or direction override in a one-line text."""

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str) and line_problem(field.data):
            raise ValidationError(ONE_LINE_MESSAGE)


class FreeText:
    """A free text keeps its line breaks and tabs, and nothing else of the kind."""

    def __call__(self, form: Any, field: Field) -> None:
        if isinstance(field.data, str) and free_text_problem(field.data):
            raise ValidationError(_l("Remove the control characters (such as direction "
                                     "marks) from this text."))


class PersonName:
    """A person's name, as our e-mails and payment files print it: one line, and neither a
    web address nor an e-mail address in it. The length: a Length validator beside it (it
    also sets the field's maxlength)."""

    def __call__(self, form: Any, field: Field) -> None:
        problem = name_problem(field.data) if isinstance(field.data, str) else None
        if problem == TextProblem.LINK:
            raise ValidationError(_l("A name cannot contain a web address or an "
                                     "e-mail address."))
        if problem == TextProblem.CONTROL:
            raise ValidationError(ONE_LINE_MESSAGE)


class AmountField(StringField):
    """An amount of money as a person types it: "49,90" and "49.90" alike, at most two
    decimals, within [low, high]; anything else is refused with a message, never read as
    another number (WTForms' DecimalField took "49,90" for 4990 and kept 25.999)."""

    def __init__(self, label: Any = None, validators: Any = None, *,
                 low: Decimal = Decimal("0.01"), high: Decimal = Decimal("100000"),
                 message: Any = None, **kwargs: Any) -> None:
        kwargs.setdefault("render_kw", {"inputmode": "decimal", "autocomplete": "off"})
        super().__init__(label, validators, **kwargs)
        self.low, self.high = low, high
        self.message = message or _l("Enter an amount such as 59.90.")
        self.amount: Decimal | None = None

    def pre_validate(self, form: Any) -> None:
        self.amount = None
        text = (self.data or "").strip()
        if not text:
            return  # InputRequired / Optional decide whether empty is allowed
        try:
            amount = parse_amount(text, decimal_comma=True, largest=self.high)
        except AmountError:
            raise ValidationError(self.message) from None
        if amount < self.low:
            raise ValidationError(self.message)
        self.amount = amount

    def checked(self) -> Decimal:
        """The amount, once the form has validated."""
        if self.amount is None:
            raise ValueError(f"{self.name}: the form was not validated")
        return self.amount
