"""The passenger path: look up, confirm the prefilled claim, follow its status."""

from __future__ import annotations

from pathlib import Path

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.wrappers import Response
from wtforms.fields.choices import SelectChoice

from claims import manual, review, services
from claims.models import EventKind
from claims.notices import DECIDED, NoticeKind
from claims.types import utcnow
from portal.extensions import limiter, runtime
from portal.links import claim_id_from_token, status_token
from portal.passenger import blueprint
from portal.passenger.forms import (
    AppealForm,
    ClaimForm,
    InfoForm,
    LookupForm,
    ManualClaimForm,
    SurveyForm,
)
from portal.pdf import render_pdf
from workflows.pipeline import dispatch_assessment, notify


def status_url(claim_id: int) -> str:
    return url_for("passenger.status",
                   token=status_token(current_app.config["SECRET_KEY"], claim_id))


def _language() -> str:
    return str(get_locale() or "en")


def _lookup_key() -> str:
    reference = request.form.get("reference", "")
    return "reference:" + "".join(reference.split()).upper()[:40]


@blueprint.get("/")
def start() -> str:
    return render_template("passenger/start.html", form=LookupForm())


@blueprint.post("/")
@limiter.limit("20 per minute; 200 per day")
@limiter.limit("10 per hour", key_func=_lookup_key)
def lookup() -> Response | tuple[str, int]:
    form = LookupForm()
    if not form.validate_on_submit():
        return render_template("passenger/start.html", form=form), 422
    booking_id = services.find_booking(runtime().session_factory, form.reference.data or "",
                                       form.surname.data or "")
    if booking_id is None:
        # Which of the two did not match is not said: that would help guess references.
        return render_template("passenger/start.html", form=form, not_found=True), 404
    session["booking_id"] = booking_id
    return redirect(url_for("passenger.claim"))


@blueprint.route("/claim", methods=["GET", "POST"])
def claim() -> Response | str | tuple[str, int]:
    booking_id = session.get("booking_id")
    if not isinstance(booking_id, int):
        return redirect(url_for("passenger.start"))
    factory = runtime().session_factory
    if request.method == "GET":
        draft = services.prepare_claim(factory, booking_id)
        if draft.existing_claim_id is not None:
            return redirect(status_url(draft.existing_claim_id))
        account_on_file = draft.payment_iban is not None
        form = ClaimForm(account_on_file=account_on_file, data={
            "passenger_name": draft.passenger_name, "passenger_email": draft.passenger_email,
            "payout": "account" if account_on_file else "iban"})
        return render_template("passenger/claim.html", form=form, draft=draft)

    # A valid submit needs only this; the whole draft is loaded to show the form again.
    form = ClaimForm(account_on_file=services.has_account_on_file(factory, booking_id))
    if form.validate_on_submit():
        result = services.submit_claim(factory, booking_id, services.ClaimInput(
            passenger_name=(form.passenger_name.data or "").strip(),
            passenger_email=(form.passenger_email.data or "").strip() or None,
            arrived_with_service=(form.arrived_with_service.data or "").strip() or None,
            statement=(form.statement.data or "").strip() or None,
            language=_language(),
            payout_method=form.payout.data or "account",
            payout_iban=form.iban.data if form.payout.data == "iban" else None,
            payout_holder=(form.account_holder.data or "").strip() or None
            if form.payout.data == "iban" else None,
        ), effort={"keystrokes": form.keystrokes.data, "clicks": form.clicks.data,
                   "active_ms": form.active_ms.data})
        if result.created:
            dispatch_assessment(factory, runtime().redis, result.claim_id)
            notify(runtime().redis, result.claim_id, NoticeKind.RECEIPT)
        return redirect(status_url(result.claim_id))
    draft = services.prepare_claim(factory, booking_id, record_view=False)
    if draft.existing_claim_id is not None:
        return redirect(status_url(draft.existing_claim_id))
    # Effort: each form sent back counts, with how many errors it showed.
    services.note_form_event(factory, EventKind.CLAIM_FORM_REJECTED, booking_id=booking_id,
                             errors=sum(len(e) for e in form.errors.values()))
    return render_template("passenger/claim.html", form=form, draft=draft), 422


def _claim_id(token: str) -> int:
    claim_id = claim_id_from_token(current_app.config["SECRET_KEY"], token)
    if claim_id is None:
        abort(404, _("This status link is not valid. Look your booking up again."))
    return claim_id


def _view(claim_id: int, *, record_view: bool = True) -> services.ClaimView:
    try:
        return services.claim_view(runtime().session_factory, claim_id,
                                   language=_language(), record_view=record_view)
    except services.ClaimNotFound:
        abort(404, _("This status link is not valid. Look your booking up again."))


@blueprint.get("/status/<token>")
def status(token: str) -> str:
    view = _view(_claim_id(token))
    return _status_page(view)


def _status_page(view: services.ClaimView, *, info: InfoForm | None = None,
                 appeal: AppealForm | None = None, survey: SurveyForm | None = None) -> str:
    if info is None and view.requested_info:
        info = InfoForm(formdata=None, asked=view.requested_info)
    if appeal is None and view.can_appeal:
        appeal = AppealForm(formdata=None)
    if survey is None and view.can_answer_survey:
        survey = SurveyForm(formdata=None)
    return render_template("passenger/status.html", claim=view, info=info, appeal=appeal,
                           survey=survey)


@blueprint.post("/status/<token>/survey")
def survey(token: str) -> Response | tuple[str, int]:
    claim_id = _claim_id(token)
    view = _view(claim_id, record_view=False)
    if not view.can_answer_survey:
        abort(409, _("Thank you: we have your answer already."))
    form = SurveyForm()
    if not form.validate_on_submit():
        return _status_page(view, survey=form), 422
    try:
        services.answer_survey(runtime().session_factory, claim_id, int(form.score.data or 0),
                               form.comment.data)
    except services.SurveyRefused:
        abort(409, _("Thank you: we have your answer already."))
    return redirect(url_for("passenger.status", token=token) + "#survey")


@blueprint.post("/status/<token>/info")
def provide_info(token: str) -> Response | tuple[str, int]:
    claim_id = _claim_id(token)
    view = _view(claim_id, record_view=False)
    if not view.requested_info:
        abort(409, _("Nothing is being asked of you for this claim."))
    form = InfoForm(asked=view.requested_info)
    if not form.validate_on_submit():
        return _status_page(view, info=form), 422
    answers = {name: str(form[name].data).strip() for name in
               ("arrived_with_service", "arrival_time", "statement", "iban", "account_holder")
               if name in form}
    answers["holder"] = answers.pop("account_holder", "")
    try:
        review.provide_info(runtime().session_factory, claim_id, answers)
    except review.ReviewError:
        abort(409, _("Nothing is being asked of you for this claim."))
    return redirect(url_for("passenger.status", token=token))


@blueprint.post("/status/<token>/appeal")
def appeal(token: str) -> Response | tuple[str, int]:
    claim_id = _claim_id(token)
    view = _view(claim_id, record_view=False)
    if not view.can_appeal:
        abort(409, _("This claim cannot be objected to (again)."))
    form = AppealForm()
    if not form.validate_on_submit():
        return _status_page(view, appeal=form), 422
    try:
        review.appeal(runtime().session_factory, claim_id, form.objection.data or "")
    except review.ReviewError:
        abort(409, _("This claim cannot be objected to (again)."))
    return redirect(url_for("passenger.status", token=token))


@blueprint.get("/status/<token>/letter.pdf")
def letter(token: str) -> Response:
    """Rendered on first request and kept: most claims never need their letter."""
    claim_id = _claim_id(token)
    language = _language()
    view = _view(claim_id, record_view=False)
    if view.status not in DECIDED or view.decided_at is None:
        abort(409, _("The letter is ready once your claim is decided."))
    stamp = int(view.decided_at.timestamp())
    path = Path(current_app.instance_path) / "letters" / (
        f"claim-{claim_id}-{view.status.value}-{stamp}-{language}.pdf")
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        html = render_template("pdf/decision_letter.html", claim=view, language=language,
                               decided_on=format_date(view.decided_at, format="long"))
        temporary = path.with_suffix(".partial")
        temporary.write_bytes(render_pdf(html))
        temporary.replace(path)
    # A few dozen kilobytes: read whole rather than streamed from an open file.
    return Response(path.read_bytes(), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="decision-{claim_id}.pdf"',
        "Cache-Control": "private, max-age=300"})


DOCUMENT_ERRORS = {
    "empty": _l("The file is empty. Choose the photo or PDF of your ticket."),
    "too-large": _l("The file is too large: at most 5 MB, please."),
    "wrong-type": _l("Upload a PDF, JPEG or PNG file."),
}


@blueprint.route("/manual", methods=["GET", "POST"])
@limiter.limit("10 per hour", methods=["POST"])
def manual_claim() -> Response | str | tuple[str, int]:
    """No booking reference: the journey typed, the ticket uploaded, a clerk decides."""
    factory = runtime().session_factory
    form = ManualClaimForm()
    form.operator.choices = [SelectChoice(slug, name) for slug, name in manual.operators(factory)]
    if request.method == "GET":
        services.note_form_event(factory, EventKind.MANUAL_FORM_SHOWN,
                                 fields_shown=len(manual.MANUAL_FIELDS), fields_prefilled=0)
        return render_template("passenger/manual.html", form=form)
    if form.validate_on_submit():
        ticket = form.ticket.data.read(manual.MAX_DOCUMENT_BYTES + 1)
        typed = sum(1 for name in manual.MANUAL_FIELDS if str(form[name].data or "").strip())
        try:
            claim_id = manual.file_manual_claim(
                factory, Path(current_app.instance_path) / "uploads", _manual_input(form),
                ticket, typed_fields=typed)
        except manual.DocumentRejected as rejected:
            form.ticket.errors = [str(DOCUMENT_ERRORS[str(rejected)])]
        else:
            dispatch_assessment(factory, runtime().redis, claim_id)
            notify(runtime().redis, claim_id, NoticeKind.RECEIPT)
            return redirect(status_url(claim_id))
    services.note_form_event(factory, EventKind.CLAIM_FORM_REJECTED,
                             errors=sum(len(e) for e in form.errors.values()), manual=1)
    return render_template("passenger/manual.html", form=form), 422


def _manual_input(form: ManualClaimForm) -> manual.ManualClaimInput:
    paid_to_account = form.payout.data == "iban"
    return manual.ManualClaimInput(
        operator=form.operator.data or "", service=form.service.data.strip(),
        origin=form.origin.data.strip(), destination=form.destination.data.strip(),
        travel_date=form.travel_date.data, scheduled_arrival=form.scheduled_arrival.data,
        price=form.price.data, passenger_name=form.passenger_name.data.strip(),
        passenger_email=(form.passenger_email.data or "").strip() or None,
        payout_method="iban" if paid_to_account else "voucher",
        payout_iban=form.iban.data if paid_to_account else None,
        payout_holder=(form.account_holder.data or "").strip() if paid_to_account else None,
        statement=(form.statement.data or "").strip() or None, language=_language())


@blueprint.get("/status/<token>/form.pdf")
def eu_form(token: str) -> Response:
    """The claim on the common form of Implementing Regulation (EU) 2024/949, prefilled:
    for a passenger who wants it on paper, or to send elsewhere. Small; made each time."""
    claim_id = _claim_id(token)
    language = _language()
    view = _view(claim_id, record_view=False)
    html = render_template("pdf/eu_form.html", claim=view, language=language,
                           today=format_date(utcnow(), format="long"))
    return Response(render_pdf(html), mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="claim-{claim_id}-eu-form.pdf"',
        "Cache-Control": "private, no-store"})


@blueprint.get("/language/<code>")
def language(code: str) -> Response:
    if code in ("en", "de"):
        session["lang"] = code
    target = request.args.get("next", "")
    # Only paths on this site: an open redirect would help phishing.
    if not target.startswith("/") or target.startswith("//"):
        target = url_for("passenger.start")
    return redirect(target)
