"""The clerk's forms: sign-in, the three decisions on a claim, and a cohort's cause."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    RadioField,
    SelectField,
    SelectMultipleField,
    TextAreaField,
    widgets,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from claims.clerks.review import INFO_ITEMS, REJECTION_REASONS
from claims.core.rules.causes import CAUSES
from portal.fields import AmountField, Form
from portal.templating import CAUSE_LABELS

INFO_LABELS = {
    "arrived_with_service": _l("The service they actually arrived with"),
    "arrival_time": _l("The time they actually arrived"),
    "statement": _l("A short statement of what happened"),
    "iban": _l("An IBAN for the payment"),
    "price": _l("What the ticket cost"),
    "cause": _l("The reason they were given for the delay"),
    "document": _l("A document (ticket, receipt): the passenger may attach a photo or PDF"),
    "question": _l("Your own question"),
}
# The fixed items a clerk ticks; their own question is the text box below them.
PRESET_ITEMS = tuple(item for item in INFO_ITEMS if item != "question")
REJECTION_LABELS = {
    "not-eligible": _l("Not eligible under the rules"),
    "extraordinary-circumstances": _l("Extraordinary circumstances"),
    "past-deadline": _l("Filed after the deadline"),
    "duplicate": _l("Already claimed"),
    "no-evidence": _l("No evidence of the journey"),
}


class LoginForm(Form):
    email = EmailField(_l("E-mail"), validators=[DataRequired(_l("Enter your e-mail."))],
                       render_kw={"autocomplete": "username"})
    password = PasswordField(_l("Password"),
                             validators=[DataRequired(_l("Enter your password."))],
                             render_kw={"autocomplete": "current-password"})


class ApproveForm(Form):
    amount = AmountField(_l("Amount"), validators=[InputRequired(_l("Enter the amount."))],
                         message=_l("Enter an amount above zero, such as 19.75."))
    note = TextAreaField(_l("Reason for changing the amount"),
                         validators=[Length(max=1000)])


class RejectForm(Form):
    reason = RadioField(_l("Reason"), choices=[SelectChoice(code, REJECTION_LABELS[code])
                                               for code in REJECTION_REASONS],
                        validators=[InputRequired(_l("Choose the reason."))])
    explanation = TextAreaField(_l("Your own words instead (optional), in the passenger's "
                                   "language"), validators=[Optional(), Length(max=2000)])


class ErasureForm(Form):
    confirmed = BooleanField(_l("The passenger asked us to erase their personal data"),
                             validators=[DataRequired(_l(
                                 "Confirm that the passenger asked for it: erasing cannot be "
                                 "undone."))])


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # WTForms' own message repeats what was sent ("'x' is not a valid choice"), and
        # its German catalogue has no words for it.
        kwargs.setdefault("invalid_choice_message", _l("Choose from the items shown."))
        super().__init__(*args, **kwargs)


class InfoRequestForm(Form):
    items = MultiCheckboxField(_l("What do you need from the passenger?"),
                               choices=[SelectChoice(item, INFO_LABELS[item])
                                        for item in PRESET_ITEMS])
    question = TextAreaField(_l("Or ask in your own words (the passenger reads it: write in "
                                "their language)"),
                             validators=[Optional(), Length(max=1000, message=_l(
                                 "At most 1,000 characters, please."))])

    def validate_items(self, field: MultiCheckboxField) -> None:
        if not field.data and not (self.question.data or "").strip():
            raise ValidationError(_l("Choose at least one item or write your question."))


class CohortForm(Form):
    # The claims the clerk saw when confirming: the decision is for these, not for
    # whatever is open by the time the form is sent.
    claims = HiddenField()
    # Of those, the ones the clerk chose (the page's choices: the claims shown); a claim
    # whose passenger says otherwise starts unchosen.
    # Not checked against the choices: one decided meanwhile is left out, not an error.
    chosen = MultiCheckboxField(_l("Decide"), coerce=int, choices=[], validate_choice=False,
                                validators=[DataRequired(_l("Choose at least one claim."))])
    # Nothing chosen unless the operations data name a cause: a default the data do not
    # support would decide every claim of the train with the wrong one.
    cause = SelectField(_l("Confirmed cause of the disruption"),
                        choices=[SelectChoice("", _l("Choose the confirmed cause…"))] + [
                            SelectChoice(cause, CAUSE_LABELS[cause])
                            for cause in sorted(CAUSES - {"unknown"})],
                        validators=[DataRequired(_l("Choose the confirmed cause."))])
