"""The form base and the fields the passenger's and the clerk's forms share."""

from __future__ import annotations

from decimal import Decimal
from functools import cache
from gettext import NullTranslations
from typing import Any

from babel.support import Translations
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError

from claims.core.amounts import AmountError, parse_amount


class Form(FlaskForm):
    """Every form of the portal. WTForms' own messages ("Not a valid choice") in the page's
    language, read from disk once per language: Flask-WTF reads them for every request."""

    class Meta:
        def get_translations(self, form: Any) -> NullTranslations:
            return _wtforms_messages(str(get_locale()))


@cache
def _wtforms_messages(locale: str) -> NullTranslations:
    return Translations.load(messages_path(), [locale], domain="wtforms")


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
