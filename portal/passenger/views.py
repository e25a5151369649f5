"""The passenger path: look up, confirm the prefilled claim, follow its status."""

from __future__ import annotations

from flask import (
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from claims.core.iban import mask_iban
from claims.core.names import normalise_reference
from claims.core.vocabulary import Direction, EventKind, NoticeKind
from claims.passengers import filing
from claims.processing import status_links
from common.links import invited_booking
from portal.extensions import limiter, runtime
from portal.passenger import blueprint
from portal.passenger.claim_form import FormShape, claim_form_html
from portal.passenger.common import (
    booking_in_session,
    link_ended,
    link_url,
    page_language,
    remember_booking,
    status_url,
)
from portal.passenger.forms import (
    DIRECTION_LABELS,
    UK_ACCOUNT,
    ClaimForm,
    LookupForm,
    choices_text,
    read_choices,
)
from portal.passenger.start_page import start_page
from portal.security import same_site_path
from workflows.pipeline import dispatch_assessment, notify


def _lookup_key() -> str:
    """One counter per booking, however its reference is typed: folded exactly as the
    look-up folds it ("DEMO-01", "d.e.m.o.0.1" and full-width letters are one booking)."""
    return "reference:" + normalise_reference(request.form.get("reference", ""))[:40]


@blueprint.get("/")
def start() -> str:
    return start_page()


@blueprint.post("/")
@limiter.limit("20 per minute; 200 per day")
@limiter.limit("10 per hour", key_func=_lookup_key)
def lookup() -> Response | tuple[str, int]:
    form = LookupForm()
    if not form.validate_on_submit():
        return render_template("passenger/start.html", form=form), 422
    found = _look_up(form)
    if found.operators:
        return render_template("passenger/start.html", form=form), 200
    if found.booking_id is None:
        # Which of the two did not match is not said: that would help guess references.
        return render_template("passenger/start.html", form=form, not_found=True), 404
    version = found.access_version
    remember_booking(found.booking_id, version)
    if found.claimed:
        # Coming back with every journey claimed: straight to the claim, by a link this
        # POST makes (the claim page, a GET, only shows a button for it).
        options = filing.filing_options(runtime().session_factory, found.booking_id)
        if not options.open_journeys and options.first_claim_id is not None:
            return redirect(status_url(options.first_claim_id, version))
    return redirect(url_for("passenger.claim"))


def _look_up(form: LookupForm, *, record_lookup: bool = True) -> filing.LookUp:
    """The booking the form names; where several operators' bookings answer to it, their
    names set as the form's choices (the passenger is asked, with nothing of anyone's
    booking shown), with a reminder if the page asked already and none was chosen."""
    found = filing.look_up(runtime().session_factory, form.reference.data or "",
                           form.surname.data or "", operator=form.operator.data or None,
                           record_lookup=record_lookup)
    form.operator.choices = list(found.operators)
    if found.operators and request.form.get("operator_asked"):
        form.operator.errors = [_("Choose the company your booking is with.")]
    return found


@blueprint.get("/invited/<token>")
@limiter.limit("20 per minute; 200 per day")
def invited(token: str) -> Response | tuple[str, int]:
    """The link in an invitation to file: the booking found without typing, its claim
    form prefilled. Signed and time-limited (common.links), and ended with the booking's
    other links."""
    invited = invited_booking(runtime().settings.secret_key, token)
    if invited is None:
        return render_template("passenger/start.html", form=LookupForm(),
                               invitation_expired=True), 410
    booking_id, version = invited
    if status_links.access_version(runtime().session_factory, booking_id) != version:
        link_ended()
    remember_booking(booking_id, version)
    return redirect(url_for("passenger.claim"))


@blueprint.route("/claim", methods=["GET", "POST"])
def claim() -> Response | str | tuple[str, int]:
    looked_up = booking_in_session()
    if looked_up is None:
        return redirect(url_for("passenger.start"))
    booking_id, version = looked_up
    factory = runtime().session_factory
    if request.method == "GET":
        # Every journey claimed: the page says so, with a button to each claim's status
        # (a POST makes its link: a GET writes no link, however often it is asked).
        return _claim_page(filing.prepare_claim(factory, booking_id))

    shown = read_choices(request.form.get("shown_choices"))
    if shown is None:
        # Sent without the page's choices (an old page, a script): read from the booking.
        options = filing.filing_options(factory, booking_id)
        if not options.open_journeys and options.first_claim_id is not None:
            return redirect(status_url(options.first_claim_id, version))
        shown = options.account_on_file, options.open_journeys
    # A UK account is accepted here for any booking; filing refuses it but for pounds.
    form = ClaimForm(account_on_file=shown[0], journeys=shown[1], uk_account=True)
    if form.validate_on_submit():
        try:
            results = _submit(factory, booking_id, form)
        except filing.NoAccountOnFile:
            return _sent_back(factory, looked_up, form, "payout", _(
                "Choose how we should pay you: to a bank account you enter, or as a travel "
                "voucher."))
        except filing.ClaimNotFound:
            # A journey the booking does not have: the page was altered, or the booking
            # changed under it. Shown again as the booking stands.
            return _sent_back(factory, looked_up, form, "journeys", _(
                "Please check which journey you claim for, and submit again."))
        for result in results:
            if result.created:
                dispatch_assessment(factory, runtime().redis, result.claim_id)
                if form.passenger_email.data:
                    # Without an address there is no receipt to send: no job for nothing.
                    notify(runtime().redis, result.claim_id, NoticeKind.RECEIPT)
        token = results[0].status_token
        if token is None or not results[0].created:
            # A journey filed before: its link goes by the session's rule, like a visit.
            return redirect(status_url(results[0].claim_id, version))
        return redirect(link_url(token))
    # Effort: each form sent back counts, with how many errors it showed.
    filing.note_form_event(factory, EventKind.CLAIM_FORM_REJECTED, booking_id=booking_id,
                             errors=sum(len(e) for e in form.errors.values()))
    return _sent_back(factory, looked_up, form)


def _sent_back(factory: filing.SessionFactory, looked_up: tuple[int, int], form: ClaimForm,
               refused_field: str | None = None,
               refused: str = "") -> Response | tuple[str, int]:
    """The page again with the passenger's form, its choices as the booking now stands:
    the page it was sent from may be older (a journey filed from another tab, the account
    on file removed by an import), or altered. refused: why the submit was not filed, shown
    at refused_field."""
    booking_id, version = looked_up
    draft = filing.prepare_claim(factory, booking_id, record_view=False)
    if draft.existing_claim_id is not None:
        return redirect(status_url(draft.existing_claim_id, version))
    account_on_file, journeys = draft.payment_iban is not None, tuple(_open(draft))
    in_pounds = draft.fare_currency == "GBP"
    if form.shown_choices.data != choices_text(account_on_file, journeys):
        form = ClaimForm(account_on_file=account_on_file, journeys=journeys,
                         uk_account=in_pounds)
        if refused_field is None:
            form.validate()
    elif form.payout.data != UK_ACCOUNT:
        # Read with every choice open (filing refuses a UK account but for pounds); shown
        # again with the choices the booking has, unless the passenger chose that one.
        form.offer_uk_account(in_pounds)
    if refused_field is not None:
        form[refused_field].errors = [*form[refused_field].errors, refused]
    return _claim_page(draft, form), 422


def _submit(factory: filing.SessionFactory, booking_id: int,
            form: ClaimForm) -> list[filing.SubmitResult]:
    to_iban = form.payout.data == "iban"
    to_uk_account = form.payout.data == UK_ACCOUNT
    return filing.submit_claims(
        factory, booking_id, [Direction(d) for d in form.journeys.data or ()],
        filing.ClaimInput(
            passenger_name=(form.passenger_name.data or "").strip(),
            passenger_email=(form.passenger_email.data or "").strip() or None,
            arrived_with_service=(form.arrived_with_service.data or "").strip() or None,
            statement=(form.statement.data or "").strip() or None,
            language=page_language(),
            payout_method=form.payout.data or "account",
            payout_iban=form.iban.data if to_iban else None,
            payout_holder=(form.account_holder.data or "").strip() or None
            if to_iban or to_uk_account else None,
            payout_sort_code=form.sort_code.data if to_uk_account else None,
            payout_account_number=form.account_number.data if to_uk_account else None,
        ), effort={"keystrokes": form.keystrokes.data, "clicks": form.clicks.data,
                   "active_ms": form.active_ms.data},
        link_days=runtime().settings.status_link_days)


def _open(draft: filing.ClaimDraft) -> list[str]:
    return [journey.direction for journey in draft.open_journeys]


def _claim_page(draft: filing.ClaimDraft, form: ClaimForm | None = None) -> str:
    """The page with a new form (form None: the form as first shown, from
    portal.passenger.claim_form), or with the form the passenger sent back."""
    claimed = {journey.direction: url_for("passenger.claimed_journey",
                                          direction=journey.direction)
               for journey in draft.journeys if journey.existing_claim_id is not None}
    shape = FormShape(account_on_file=draft.payment_iban is not None,
                      journeys=tuple(_open(draft)), details_open=_details_open(draft),
                      uk_account=draft.fare_currency == "GBP")
    account = mask_iban(draft.payment_iban)
    form_html = None if form is not None or not draft.open_journeys else claim_form_html(
        shape, name=draft.passenger_name, email=draft.passenger_email, account=account)
    return render_template("passenger/claim.html", form=form, form_html=form_html,
                           draft=draft, claimed_links=claimed,
                           direction_labels=DIRECTION_LABELS,
                           details_open=shape.details_open, account_on_file=account)


def _details_open(draft: filing.ClaimDraft) -> bool:
    """'Something was different?' opens where the rules say no compensation is due, or
    where a connection was probably missed: what the passenger may want to tell us."""
    return any((journey.preview.assessment is not None
                and not journey.preview.assessment.eligible)
               or journey.facts.missed_connection_at for journey in draft.open_journeys)


@blueprint.post("/claim/<direction>/status")
@limiter.limit("30 per minute")  # each makes a link: bounded like the look-up
def claimed_journey(direction: str) -> Response:
    """A journey of the looked-up booking that is claimed already: its status page, by a
    link made for the passenger who asks (a POST: showing a page makes no link)."""
    looked_up = booking_in_session()
    if looked_up is None:
        return redirect(url_for("passenger.start"))
    booking_id, version = looked_up
    claim_id = status_links.journey_claim(runtime().session_factory, direction,
                                          booking_id=booking_id)
    return redirect(status_url(claim_id, version) if claim_id
                    else url_for("passenger.claim"))


@blueprint.get("/claim/<direction>/status")
def claimed_journey_page(direction: str) -> Response:
    """The address of the button above, opened: the claim page, where the button is
    (without a looked-up booking, the start)."""
    looked_up = booking_in_session() is not None
    return redirect(url_for("passenger.claim" if looked_up else "passenger.start"))


@blueprint.route("/new-link", methods=["GET", "POST"])
@limiter.limit("20 per minute; 200 per day", methods=["POST"])
@limiter.limit("5 per hour", key_func=_lookup_key, methods=["POST"])
def new_link() -> Response | str | tuple[str, int]:
    """A new status link by e-mail, to the address on the claim. The answer is the same
    whether or not the booking exists: the page must not confirm a guessed reference."""
    form = LookupForm()
    if request.method == "GET" or not form.validate_on_submit():
        status = 422 if request.method == "POST" else 200
        return render_template("passenger/new_link.html", form=form), status
    found = _look_up(form, record_lookup=False)
    if found.operators:
        return render_template("passenger/new_link.html", form=form)
    if found.booking_id is not None:
        factory = runtime().session_factory
        for claim_id in status_links.request_new_links(factory, found.booking_id):
            notify(runtime().redis, claim_id, NoticeKind.NEW_LINK)
    return render_template("passenger/new_link.html", form=None, sent=True)


@blueprint.get("/language/<code>")
def language(code: str) -> Response:
    if code in ("en", "de"):
        session["lang"] = code
    # Only paths on this site: an open redirect would help phishing.
    target = same_site_path(request.args.get("next", "")) or url_for("passenger.start")
    return redirect(target)

