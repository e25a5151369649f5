"""The passenger's claim after filing: status, letters, the EU form, answers to a clerk,
an objection, and the CES question."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import time
from pathlib import Path
from typing import Any, NoReturn

from flask import (
    abort,
    current_app,
    redirect,
    render_template,
    url_for,
)
from flask_babel import format_date
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from claims.core.uk_accounts import UkAccount
from claims.core.vocabulary import DECIDED, ClaimStatus, NoticeKind
from claims.db.types import utcnow
from claims.passengers import answers, filing, offers, status_view
from claims.passengers.data_export import personal_data
from claims.processing import bank_feedback, status_links
from common.files import write_private
from portal.extensions import limiter, runtime
from portal.passenger import blueprint
from portal.passenger.common import link_ended, page_language, status_url
from portal.passenger.forms import (
    DIRECTION_LABELS,
    UK_ACCOUNT,
    AppealForm,
    DeclineForm,
    InfoForm,
    NewAccountForm,
    OfferForm,
    SurveyForm,
)
from portal.passenger.uploads import (
    attached_file,
    forget_kept,
    keep_for_next_try,
    uploads_directory,
)
from portal.pdf import render_pdf
from workflows.pipeline import dispatch_assessment, notify


def _claim_id(token: str) -> int:
    checked = status_links.check(runtime().session_factory, token)
    if checked.claim_id is None:
        _refuse(checked.problem)
    return checked.claim_id


def _refuse(problem: status_links.LinkProblem | None) -> NoReturn:
    """The answer to a link that opens no claim: expired or ended (410), or not valid."""
    if problem == status_links.LinkProblem.EXPIRED:
        abort(410, _("This status link has expired. Look your booking up again, or ask "
                     "for a new link by e-mail."))
    if problem == status_links.LinkProblem.REVOKED:
        link_ended()
    abort(404, _("This status link is not valid. Look your booking up again."))


def _view(claim: int | str, *, record_view: bool = True) -> status_view.ClaimView:
    """By the claim's id, or by the link's token: checked in the view's own transaction."""
    try:
        return status_view.claim_view(runtime().session_factory, claim,
                                   language=page_language(), record_view=record_view)
    except status_links.LinkRefused as refused:
        _refuse(refused.problem)
    except filing.ClaimNotFound:
        _refuse(status_links.LinkProblem.UNKNOWN)


@blueprint.get("/status/<token>/data.json")
def data_export(token: str) -> Response:
    """Everything stored about the claim, to keep or to take elsewhere (DSGVO Art. 15)."""
    claim_id = _claim_id(token)
    try:
        data = personal_data(runtime().session_factory, claim_id)
    except filing.ClaimNotFound:
        _refuse(status_links.LinkProblem.UNKNOWN)
    return Response(json.dumps(data, ensure_ascii=False, indent=2),
                    mimetype="application/json", headers={
                        "Content-Disposition": f'attachment; filename="claim-{claim_id}.json"'})


@blueprint.get("/status/<token>")
def status(token: str) -> str:
    return _status_page(token, _view(token))


@blueprint.post("/status/<token>/journey/<direction>")
@limiter.limit("30 per minute")  # each makes a link: bounded like the look-up
def other_journey(token: str, direction: str) -> Response:
    """The claim for the booking's other journey (the return of a return ticket), by a
    link made for the passenger who asks (a POST: showing a page makes no link)."""
    sibling = status_links.journey_claim(runtime().session_factory, direction,
                                         claim_id=_claim_id(token))
    if sibling is None:
        abort(404, _("There is no claim for this journey."))
    return redirect(status_url(sibling))


@blueprint.get("/status/<token>/journey/<direction>")
def other_journey_page(token: str, direction: str) -> Response:
    """The address of the button above, opened: the status page, where the button is."""
    _claim_id(token)
    return redirect(url_for("passenger.status", token=token))


def _status_page(token: str, view: status_view.ClaimView, *, info: InfoForm | None = None,
                 appeal: AppealForm | None = None, survey: SurveyForm | None = None,
                 offer: OfferForm | None = None, account: NewAccountForm | None = None) -> str:
    failed = None
    if view.status == ClaimStatus.PAYOUT_FAILED:
        failed = bank_feedback.failed_payment_of(runtime().session_factory, view.claim_id)
        account = account or NewAccountForm(formdata=None, uk_account=view.currency == "GBP")
    if offer is None and view.status == ClaimStatus.OFFERED:
        offer = OfferForm(formdata=None, account_on_file=view.account_on_file is not None,
                          uk_account=view.currency == "GBP")
    if info is None and view.requested_info:
        info = _info_form(view, formdata=None)
    if appeal is None and view.can_appeal:
        appeal = AppealForm(formdata=None)
    if survey is None and view.can_answer_survey:
        survey = SurveyForm(formdata=None)
    # The other journey's page gets its token only when the passenger goes there.
    others = [(DIRECTION_LABELS[d], url_for("passenger.other_journey", token=token,
                                            direction=d)) for d, _i in view.other_journeys]
    # The page's own address for its forms and links: shown again after an error (at
    # /status/<token>/accept, say), its forms still post where they did.
    return render_template("passenger/status.html", page=url_for("passenger.status",
                                                                 token=token),
                           claim=view, info=info, appeal=appeal,
                           survey=survey, offer=offer, decline=DeclineForm(), others=others,
                           failed=failed, account=account,
                           bank_reason=failed.reason(page_language()) if failed else None,
                           direction=DIRECTION_LABELS.get(view.direction or ""))


def _offer_closed() -> NoReturn:
    abort(409, _("This offer is no longer open: this page shows where it stands."))


@blueprint.post("/status/<token>/accept")
def accept(token: str) -> Response | tuple[str, int]:
    """One click: the offer accepted, paid to the account on file, or to the voucher or
    account chosen here where there is none."""
    claim_id = _claim_id(token)
    view = _view(claim_id, record_view=False)
    if view.status != ClaimStatus.OFFERED:
        _offer_closed()
    form = OfferForm(account_on_file=view.account_on_file is not None,
                     uk_account=view.currency == "GBP")
    if not form.validate_on_submit():
        return _status_page(token, view, offer=form), 422
    to_uk_account = form.payout.data == UK_ACCOUNT
    try:
        status = offers.accept_offer(runtime().session_factory, claim_id, offers.Acceptance(
            form.payout.data or "", (form.iban.data or "").strip() or None,
            (form.account_holder.data or "").strip() or None,
            sort_code=form.sort_code.data if to_uk_account else None,
            account_number=form.account_number.data if to_uk_account else None))
    except offers.OfferRefused:
        _offer_closed()
    if status == ClaimStatus.APPROVED:
        notify(runtime().redis, claim_id, NoticeKind.DECISION)
    return redirect(url_for("passenger.status", token=token))


@blueprint.post("/status/<token>/decline")
def decline(token: str) -> Response:
    claim_id = _claim_id(token)  # the app's CSRF protection has checked the token
    try:
        offers.decline_offer(runtime().session_factory, claim_id)
    except offers.OfferRefused:
        _offer_closed()
    return redirect(url_for("passenger.status", token=token))


@blueprint.post("/status/<token>/survey")
def survey(token: str) -> Response | tuple[str, int]:
    claim_id = _claim_id(token)
    view = _view(claim_id, record_view=False)
    if not view.can_answer_survey:
        abort(409, _("Thank you: we have your answer already."))
    form = SurveyForm()
    if not form.validate_on_submit():
        return _status_page(token, view, survey=form), 422
    try:
        status_view.answer_survey(runtime().session_factory, claim_id, int(form.score.data or 0),
                               form.comment.data)
    except status_view.SurveyRefused:
        abort(409, _("Thank you: we have your answer already."))
    return redirect(url_for("passenger.status", token=token) + "#survey")


def _info_form(view: status_view.ClaimView, **kwargs: Any) -> InfoForm:
    question = (answers.open_question(runtime().session_factory, view.claim_id)
                if "question" in view.requested_info else None)
    return InfoForm(asked=view.requested_info, question=question, **kwargs)


@blueprint.post("/status/<token>/info")
def provide_info(token: str) -> Response | tuple[str, int]:
    """The answer to a clerk's question, a file with it where one was asked for. An error
    shows the page again with what was typed, and the file kept."""
    claim_id = _claim_id(token)
    view = _view(claim_id, record_view=False)
    if not view.requested_info:
        abort(409, _("Nothing is being asked of you for this claim."))
    form = _info_form(view)
    valid = form.validate_on_submit()
    uploads = uploads_directory()
    document = None
    if "document" in form:
        document = attached_file(form.document, form.kept_document, uploads, missing=str(
            _("Add a photo or PDF.")) if form.document_required else None)
    if not valid or ("document" in form and form.document.errors):
        if "document" in form:
            keep_for_next_try(form.kept_document, uploads, document)
        return _status_page(token, view, info=form), 422
    try:
        rerun = answers.provide_info(runtime().session_factory, claim_id, _answer(form),
                                     uploads=uploads, document=document)
    except answers.AnswerRefused:
        abort(409, _("Nothing is being asked of you for this claim."))
    if "document" in form:
        forget_kept(form.kept_document, uploads)
    if rerun:
        dispatch_assessment(runtime().session_factory, runtime().redis, claim_id)
    return redirect(url_for("passenger.status", token=token))


def _answer(form: InfoForm) -> answers.InfoAnswer:
    def text(name: str) -> str | None:
        if name not in form:
            return None
        return str(form[name].data or "").strip() or None

    typed = text("arrival_time")
    hours, _colon, minutes = (typed or "").partition(":")
    return answers.InfoAnswer(
        arrived_with_service=text("arrived_with_service"),
        arrival_time=time(int(hours), int(minutes)) if typed else None,
        price=form.price.checked() if "price" in form else None, cause=text("cause"),
        statement=text("statement"), answer=text("answer"), iban=text("iban"),
        holder=text("account_holder"))


@blueprint.post("/status/<token>/account")
def new_account(token: str) -> Response | tuple[str, int]:
    """The bank sent the money back: the account to pay to instead. An error shows the
    page again with what was typed."""
    claim_id = _claim_id(token)
    view = _view(claim_id, record_view=False)
    if view.status != ClaimStatus.PAYOUT_FAILED:
        abort(409, _("We are not waiting for an account for this claim (any more)."))
    form = NewAccountForm(uk_account=view.currency == "GBP")
    if not form.validate_on_submit():
        return _status_page(token, view, account=form), 422
    to_uk_account = form.payout.data == UK_ACCOUNT
    try:
        bank_feedback.give_new_account(
            runtime().session_factory, claim_id,
            iban=None if to_uk_account else form.iban.data or "",
            uk_account=UkAccount(form.sort_code.data or "", form.account_number.data or "")
            if to_uk_account else None)
    except bank_feedback.AccountRefused as refused:
        if str(refused) != "same-account":
            abort(409, _("We are not waiting for an account for this claim (any more)."))
        (form.account_number if to_uk_account else form.iban).errors = [
            _("Your bank sent the money back from this account. Please give another one.")]
        return _status_page(token, view, account=form), 422
    return redirect(url_for("passenger.status", token=token))


@blueprint.post("/status/<token>/appeal")
def appeal(token: str) -> Response | tuple[str, int]:
    claim_id = _claim_id(token)
    view = _view(claim_id, record_view=False)
    if not view.can_appeal:
        abort(409, _("This claim cannot be objected to (again)."))
    form = AppealForm()
    valid = form.validate_on_submit()
    uploads = uploads_directory()
    document = attached_file(form.document, form.kept_document, uploads)
    if not valid or form.document.errors:
        keep_for_next_try(form.kept_document, uploads, document)
        return _status_page(token, view, appeal=form), 422
    try:
        answers.appeal(runtime().session_factory, claim_id, form.objection.data or "",
                       uploads=uploads, document=document)
    except answers.AnswerRefused:
        abort(409, _("This claim cannot be objected to (again)."))
    forget_kept(form.kept_document, uploads)
    return redirect(url_for("passenger.status", token=token))


@blueprint.get("/status/<token>/letter.pdf")
def letter(token: str) -> Response:
    """Rendered on first request and kept: most claims never need their letter."""
    claim_id = _claim_id(token)
    language = page_language()
    view = _view(claim_id, record_view=False)
    if view.status not in DECIDED or view.decided_at is None:
        abort(409, _("The letter is ready once your claim is decided."))
    stamp = int(view.decided_at.timestamp())
    # The letter links to the page it was asked from, and says whether an objection is
    # still open: a letter per link and per stage (open, or final) of the decision.
    link = hashlib.sha256(token.encode()).hexdigest()[:16]
    stage = "final" if view.final_rejection else "open" if view.objection_by else "closed"
    document = _cached_pdf(
        f"claim-{claim_id}-{view.status.value}-{stamp}-{stage}-{link}-{language}.pdf",
        lambda: render_template(
            "pdf/decision_letter.html", claim=view, language=language,
            decided_on=format_date(view.decided_at, format="long"),
            objection_by=format_date(view.objection_by, format="long")
            if view.objection_by else None,
            status_link=url_for("passenger.status", token=token, _external=True)))
    return Response(document, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="decision-{claim_id}.pdf"'})


@blueprint.get("/status/<token>/form.pdf")
def eu_form(token: str) -> Response:
    """The claim on the common form of Implementing Regulation (EU) 2024/949, prefilled:
    for a passenger who wants it on paper, or to send elsewhere. Made once a day per state
    of the claim: an anonymous link must not make the server render at will."""
    claim_id = _claim_id(token)
    language = page_language()
    view = _view(claim_id, record_view=False)
    if not view.common_form:
        abort(404, _("The EU common form is for rail journeys under the EU's rail passenger "
                     "rights only. Your claim page has your claim and its decision letter."))
    today = utcnow()
    stamp = int(view.decided_at.timestamp()) if view.decided_at else 0
    document = _cached_pdf(
        f"claim-{claim_id}-form-{view.status.value}-{stamp}-{today:%Y%m%d}-{language}.pdf",
        lambda: render_template("pdf/eu_form.html", claim=view, language=language,
                                today=format_date(today, format="long")))
    return Response(document, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="claim-{claim_id}-eu-form.pdf"'})


def _cached_pdf(name: str, html: Callable[[], str]) -> bytes:
    """The PDF under instance/letters/, rendered on first request and kept (mode 0600): a
    few dozen kilobytes, read whole."""
    path = Path(current_app.instance_path) / "letters" / name
    if not path.exists():
        write_private(path, render_pdf(html()))
    return path.read_bytes()
