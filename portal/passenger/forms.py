"""The passenger's forms. Labels are translated at render time."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp


class LookupForm(FlaskForm):
    reference = StringField(_l("Booking reference"), validators=[
        DataRequired(_l("Enter your booking reference.")),
        Length(max=40, message=_l("A booking reference is at most 40 characters.")),
    ], render_kw={"autocomplete": "off", "autocapitalize": "characters", "spellcheck": "false"})
    surname = StringField(_l("Surname"), validators=[
        DataRequired(_l("Enter your surname as on the booking.")),
        Length(max=100, message=_l("A surname is at most 100 characters.")),
    ], render_kw={"autocomplete": "family-name"})


def _count(value: str | None) -> int | None:
    """Client counts arrive from a small script; without JavaScript they are unknown."""
    if value is None or not value.isdigit():
        return None
    return min(int(value), 1_000_000)


class ClaimForm(FlaskForm):
    passenger_name = StringField(_l("Your name"), validators=[
        DataRequired(_l("Enter your name.")),
        Length(max=200, message=_l("A name is at most 200 characters.")),
    ], render_kw={"autocomplete": "name"})
    passenger_email = EmailField(_l("E-mail for the decision"), validators=[
        Optional(),
        Email(_l("Enter an e-mail address such as name@example.org."),
              check_deliverability=False),
        Length(max=254),
    ], render_kw={"autocomplete": "email"})
    arrived_with_service = StringField(_l("Did you arrive with another train or flight?"),
                                       validators=[
        Optional(),
        Length(max=40, message=_l("A service is at most 40 characters.")),
        Regexp(r"^[\w .\-/]+$", message=_l("Use letters, digits and spaces, such as ICE 597.")),
    ])
    statement = TextAreaField(_l("Anything we should know? (optional)"), validators=[
        Optional(),
        Length(max=2500, message=_l("At most 2,500 characters, please.")),
    ])
    keystrokes = HiddenField(filters=[_count])
    clicks = HiddenField(filters=[_count])
    active_ms = HiddenField(filters=[_count])
