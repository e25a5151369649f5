"""Claims without a booking: the journey typed, the ticket uploaded."""

from __future__ import annotations

from pathlib import Path

from flask import (
    current_app,
    redirect,
    render_template,
    request,
)
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response

from claims.core.vocabulary import EventKind, NoticeKind
from claims.passengers import filing, manual
from portal.extensions import limiter, runtime
from portal.passenger import blueprint
from portal.passenger.common import page_language, status_url
from portal.passenger.forms import (
    UK_ACCOUNT,
    ManualClaimForm,
)
from portal.passenger.uploads import attached_file, keep_for_next_try
from workflows.pipeline import dispatch_assessment, notify


@blueprint.route("/manual", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def manual_claim() -> Response | str | tuple[str, int]:
    """No booking reference: the journey typed, the ticket uploaded, a clerk decides."""
    factory = runtime().session_factory
    form = ManualClaimForm(operators=manual.manual_operators(factory))
    if request.method == "GET":
        filing.note_form_shown(factory, EventKind.MANUAL_FORM_SHOWN,
                               fields_shown=len(manual.MANUAL_FIELDS), fields_prefilled=0)
        return render_template("passenger/manual.html", form=form)
    uploads = Path(current_app.instance_path) / "uploads"
    valid = form.validate_on_submit()
    ticket = _ticket(form, uploads)
    if valid and ticket is not None:
        typed = sum(1 for name in manual.MANUAL_FIELDS if str(form[name].data or "").strip())
        claim_id = manual.file_manual_claim(factory, uploads, _manual_input(form), ticket,
                                            typed_fields=typed)
        manual.forget_ticket(uploads, form.kept_ticket.data)
        dispatch_assessment(factory, runtime().redis, claim_id)
        notify(runtime().redis, claim_id, NoticeKind.RECEIPT)
        return redirect(status_url(claim_id))
    keep_for_next_try(form.kept_ticket, uploads, ticket)
    filing.note_form_event(factory, EventKind.CLAIM_FORM_REJECTED,
                             errors=sum(len(e) for e in form.errors.values()), manual=1)
    return render_template("passenger/manual.html", form=form,
                           ticket_kept=bool(form.kept_ticket.data)), 422


def _ticket(form: ManualClaimForm, uploads: Path) -> bytes | None:
    """The ticket just attached (checked by its content), or the one kept from the last
    try; None with the reason on the field."""
    return attached_file(form.ticket, form.kept_ticket, uploads,
                         missing=str(_l("Add a photo or PDF of your ticket.")))


def _manual_input(form: ManualClaimForm) -> manual.ManualClaimInput:
    paid_to_account = form.payout.data == "iban"
    paid_to_uk_account = form.payout.data == UK_ACCOUNT
    return manual.ManualClaimInput(
        operator=form.operator.data or "", service=form.service.data.strip(),
        origin=form.origin.data.strip(), destination=form.destination.data.strip(),
        travel_date=form.travel_date.data, scheduled_arrival=form.scheduled_arrival.data,
        actual_arrival=form.actual_arrival.data,
        price=form.price.checked(), passenger_name=form.passenger_name.data.strip(),
        passenger_email=(form.passenger_email.data or "").strip() or None,
        payout_method=form.payout.data if paid_to_account or paid_to_uk_account
        else "voucher",
        payout_iban=form.iban.data if paid_to_account else None,
        payout_holder=(form.account_holder.data or "").strip()
        if paid_to_account or paid_to_uk_account else None,
        payout_sort_code=form.sort_code.data if paid_to_uk_account else None,
        payout_account_number=form.account_number.data if paid_to_uk_account else None,
        statement=(form.statement.data or "").strip() or None, language=page_language())


