"""Clerk sign-in, the queue of claims that need a person, the claim file and decisions."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from flask import (
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response

from claims.clerks import decisions, review, staff
from claims.clerks import second_approvals as second_approval_list
from claims.clerks.rejections import reason_the_rules_found, standard_explanation
from claims.core.vocabulary import NoticeKind
from claims.db.types import utcnow
from claims.passengers import manual
from claims.processing import bank_feedback, status_links
from claims.processing import erasure as erasure_rules
from claims.processing.lifecycle import ClaimNotFound
from portal.auth import role_required, sign_in, sign_out
from portal.clerk import blueprint
from portal.clerk.forms import (
    INFO_LABELS,
    REJECTION_LABELS,
    ApproveForm,
    CohortForm,
    ErasureForm,
    InfoRequestForm,
    LoginForm,
    RejectForm,
)
from portal.extensions import limiter, runtime
from portal.security import DOCUMENT_POLICY
from workflows.pipeline import forget_erased, notify

# Refusals that are a field's mistake, not the claim's state: shown at that field.
REFUSED_AT = {review.Refusal.AMOUNT_CHANGE_NEEDS_REASON: "note"}
REFUSALS = {
    review.Refusal.AMOUNT_NOT_POSITIVE: _l("Enter an amount above zero."),
    review.Refusal.AMOUNT_NOT_CENTS: _l("Enter the amount with at most two decimals."),
    review.Refusal.AMOUNT_CHANGE_NEEDS_REASON: _l("Give a reason for changing the amount."),
    review.Refusal.UNKNOWN_REASON: _l("Choose a reason from the list."),
    review.Refusal.EXPLANATION_NEEDED: _l("Explain the decision."),
    review.Refusal.CHOOSE_INFO: _l("Choose at least one item or write your question."),
    review.Refusal.QUESTION_NEEDED: _l("Write your question."),
    review.Refusal.NOT_OPEN: _l("This claim is no longer waiting for a decision."),
    review.Refusal.AMOUNT_NEEDS_REASON: _l(
        "The rules computed no amount for this claim: give the reason for this one."),
    review.Refusal.SECOND_APPROVER_NEEDED: _l(
        "You proposed this amount: another person must approve it."),
    review.Refusal.TAKEN_BY_ANOTHER: _l("Another clerk has taken this claim. Take it over first."),
    review.Refusal.BELOW_AMOUNT_PAID: _l(
        "Part of this claim has been paid already: approve at least the amount paid."),
    review.Refusal.TWIN_PAID_NEEDS_REASON: _l(
        "The same journey was paid on the linked claim: give a reason to pay it again."),
}
STAFF = ("clerk", "manager")


@blueprint.route("/login", methods=["GET", "POST"])
@limiter.limit("10 per minute", methods=["POST"])
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            return render_template("clerk/login.html", form=form), 422
        account = staff.authenticate(runtime().session_factory, form.email.data or "",
                                     form.password.data or "",
                                     address=request.remote_addr or "unknown")
        if account is None:
            return render_template("clerk/login.html", form=form, failed=True), 401
        sign_in(account)
        home = "reports.overview" if account.role == "manager" else "clerk.queue"
        return redirect(url_for(home))
    return render_template("clerk/login.html", form=form,
                           idle="idle" in request.args)


@blueprint.post("/logout")
def logout() -> Response:
    sign_out()
    return redirect(url_for("clerk.login"))


def _queue_filter() -> review.QueueFilter:
    day = None
    if request.args.get("date"):
        try:
            day = date.fromisoformat(request.args["date"])
        except ValueError:
            abort(400, _("The date must look like 2026-11-20."))
    return review.QueueFilter(reason=request.args.get("reason") or None,
                              operator=request.args.get("operator") or None,
                              service=(request.args.get("service") or "").strip() or None,
                              day=day)


@blueprint.get("/")
@role_required(*STAFF)
def queue() -> str:
    wanted = _queue_filter()
    number = request.args.get("page", "1")
    page = review.review_queue(runtime().session_factory, wanted,
                               page=int(number) if number.isdigit() else 1)
    returned_count, returned = bank_feedback.returned_payments(runtime().session_factory,
                                                               operator=wanted.operator)
    return render_template("clerk/queue.html", page=page, wanted=wanted, now=utcnow(),
                           returned=returned, returned_count=returned_count,
                           operators=staff.operator_choices(runtime().session_factory))


@blueprint.post("/next")
@role_required(*STAFF)
def take_next() -> Response:
    claim_id = review.take_next(runtime().session_factory, _clerk_id(), _queue_filter())
    if claim_id is None:
        flash(_("Nothing left to take in this queue."))
        query = request.query_string.decode()
        return redirect(url_for("clerk.queue") + (f"?{query}" if query else ""))
    return redirect(url_for("clerk.claim", claim_id=claim_id))


@blueprint.get("/claims/<int:claim_id>")
@role_required(*STAFF)
def claim(claim_id: int) -> str:
    """Only shows the claim: taking it is a POST (the Take button, Take next, or deciding
    it, which takes an untaken claim in the decision's own transaction)."""
    evidence = _file(claim_id)
    review.note_file_opened(runtime().session_factory, claim_id, _clerk_id())
    return _render_claim(evidence)


# A timeline shows its newest steps; a claim taken and put back a thousand times has
# thousands, which the clerk can still ask for (and the audit keeps).
TIMELINE_SHOWN = 50


def _render_claim(evidence: review.ClaimFile, *, approve: ApproveForm | None = None,
                  reject: RejectForm | None = None, info: InfoRequestForm | None = None,
                  erasure: ErasureForm | None = None, problem: str | None = None,
                  posted: str | None = None) -> str:
    # Only an amount the rules found owed is a proposal; nothing owed proposes nothing.
    owed = evidence.amount if evidence.eligible and evidence.amount else None
    suggested = evidence.suggestion.amount if evidence.suggestion else None
    approve = approve or ApproveForm(formdata=None,
                                     amount=evidence.proposed_amount or owed or suggested,
                                     note=evidence.proposed_note)
    # Found not eligible by the rules: rejecting for their reason is what the form offers
    # first; approving anyway is folded away and needs its amount typed. Not where another
    # person already proposed paying: that proposal is what waits for an answer.
    rules_reason = reason_the_rules_found(evidence.eligible, evidence.rule) \
        if evidence.proposed_amount is None else None
    reject = reject or RejectForm(formdata=None, reason=rules_reason)
    computed = bool(evidence.eligible and evidence.amount and evidence.reference
                    and "appeal" not in evidence.reason_codes)
    if not computed:
        # Nothing to change from: the box asks why this amount, from the start.
        approve.note.label.text = _("Why this amount (the passenger does not see it)")
    whole = request.args.get("timeline") == "all"
    return render_template("clerk/claim.html", claim=evidence, approve=approve,
                           timeline=evidence.timeline if whole
                           else evidence.timeline[-TIMELINE_SHOWN:],
                           reject=reject, info=info or InfoRequestForm(formdata=None),
                           mine=evidence.assigned_to == _clerk_id(), problem=problem,
                           info_labels=INFO_LABELS, rejection_labels=REJECTION_LABELS,
                           standard={code: standard_explanation(code, evidence.language)
                                     for code in review.REJECTION_REASONS},
                           erasure=erasure or ErasureForm(formdata=None),
                           closed=evidence.status in erasure_rules.CLOSED,
                           reject_first=rules_reason is not None, posted=posted)


@blueprint.post("/claims/<int:claim_id>/take")
@role_required(*STAFF)
def take(claim_id: int) -> Response:
    with _claim_or_404(claim_id):
        taken = review.take_claim(runtime().session_factory, claim_id, _clerk_id())
    if not taken:
        flash(_("This claim is no longer waiting for a decision."))
    return redirect(url_for("clerk.claim", claim_id=claim_id))


@blueprint.post("/claims/<int:claim_id>/release")
@role_required(*STAFF)
def release(claim_id: int) -> Response:
    with _claim_or_404(claim_id):
        review.release_claim(runtime().session_factory, claim_id, _clerk_id())
    return redirect(url_for("clerk.queue"))


@blueprint.post("/claims/<int:claim_id>/revoke-links")
@role_required(*STAFF)
def revoke_links(claim_id: int) -> Response:
    with _claim_or_404(claim_id):
        ended = status_links.revoke_all(runtime().session_factory, claim_id,
                                        staff_id=_clerk_id())
    flash(ngettext("Claim %(id)s: %(num)d status link ended.",
                   "Claim %(id)s: %(num)d status links ended.", ended, id=claim_id))
    return redirect(url_for("clerk.claim", claim_id=claim_id))


@blueprint.post("/claims/<int:claim_id>/erase")
@role_required(*STAFF)
def erase(claim_id: int) -> Response | tuple[str, int]:
    """The passenger's right to erasure, carried out by staff on request."""
    evidence = _file(claim_id)
    form = ErasureForm()
    if not form.validate_on_submit():
        return _render_claim(evidence, erasure=form), 422
    try:
        erased = erasure_rules.erase_on_request(runtime().session_factory, claim_id,
                                          staff_id=_clerk_id())
    except erasure_rules.NotClosed:
        return _render_claim(evidence, erasure=form, problem=_(
            "This claim (or another on its booking) is still open: decide or pay it first, "
            "then erase.")), 409
    forget_erased(runtime().settings, runtime().redis, erased)
    flash(_("Personal data erased from claims %(ids)s.",
            ids=", ".join(f"#{i}" for i in erased.claim_ids)))
    return redirect(url_for("clerk.claim", claim_id=claim_id))


@blueprint.post("/claims/<int:claim_id>/approve")
@role_required(*STAFF)
def approve(claim_id: int) -> Response | tuple[str, int]:
    form = ApproveForm()
    return _decide(claim_id, form, lambda: decisions.approve(
        runtime().session_factory, claim_id, _clerk_id(), amount=form.amount.checked(),
        note=form.note.data), NoticeKind.DECISION, approve=form)


@blueprint.post("/claims/<int:claim_id>/reject")
@role_required(*STAFF)
def reject(claim_id: int) -> Response | tuple[str, int]:
    form = RejectForm()
    return _decide(claim_id, form, lambda: decisions.reject(
        runtime().session_factory, claim_id, _clerk_id(), reason=form.reason.data or "",
        explanation=form.explanation.data or ""), NoticeKind.DECISION, reject=form)


@blueprint.post("/claims/<int:claim_id>/request-info")
@role_required(*STAFF)
def request_info(claim_id: int) -> Response | tuple[str, int]:
    form = InfoRequestForm()
    return _decide(claim_id, form, lambda: decisions.request_info(
        runtime().session_factory, claim_id, _clerk_id(), form.items.data or [],
        form.question.data or ""), NoticeKind.INFO_REQUEST, info=form)


def _decide(claim_id: int, form: FlaskForm, action: Callable[[], object], notice: NoticeKind,
            **forms: FlaskForm) -> Response | tuple[str, int]:
    evidence = _file(claim_id)
    posted = next(iter(forms))
    if not form.validate_on_submit():
        return _render_claim(evidence, posted=posted, **forms), 422
    try:
        outcome = action()
    except review.ReviewError as refused:
        if refused.code == review.Refusal.TAKEN_BY_ANOTHER:
            flash(str(REFUSALS[refused.code]))
            return redirect(url_for("clerk.claim", claim_id=claim_id))
        field = REFUSED_AT.get(refused.code)
        if field is not None and field in form:
            # A mistake in what was typed: shown at its field, its fold open (422).
            form[field].errors = [*form[field].errors, str(REFUSALS[refused.code])]
            return _render_claim(evidence, posted=posted, **forms), 422
        return _render_claim(evidence, problem=str(REFUSALS[refused.code]), posted=posted,
                             **forms), 409
    # A proposal answered (approved, rejected, another amount proposed): back to the
    # proposals, never on to the next claim of the queue, which is others' work.
    after = url_for("clerk.second_approvals" if evidence.proposed_amount is not None
                    else "clerk.queue")
    if outcome == decisions.Approval.AWAITING_SECOND:
        flash(_("Claim %(id)s: the amount is proposed; another person approves it.",
                id=claim_id))
        return redirect(after)
    notify(runtime().redis, claim_id, notice)
    flash(_("Claim %(id)s: done.", id=claim_id))
    if request.form.get("then") == "next" and evidence.proposed_amount is None:
        return take_next()
    return redirect(after)


@blueprint.get("/second-approvals")
@role_required(*STAFF)
def second_approvals() -> str:
    return render_template("clerk/second_approvals.html",
                           waiting=second_approval_list.waiting_for_second_approval(
                               runtime().session_factory, _clerk_id()))


@blueprint.get("/claims/<int:claim_id>/documents/<int:document_id>")
@role_required(*STAFF)
def document(claim_id: int, document_id: int) -> Response:
    """A passenger's upload, for staff only; served as what we found it to be."""
    for found in manual.documents(runtime().session_factory, claim_id):
        if found.id == document_id:
            path = Path(current_app.instance_path) / "uploads" / found.stored_name
            if not path.is_file():
                break
            extension = path.suffix
            response = send_file(path, mimetype=found.content_type,
                                 download_name=f"claim-{claim_id}-{found.kind}{extension}",
                                 max_age=0)
            # Shown on the claim's own page beside the journey (an image, a PDF in a
            # frame): our pages may frame it, no other site may.
            response.headers["Content-Security-Policy"] = DOCUMENT_POLICY
            response.headers["X-Frame-Options"] = "SAMEORIGIN"
            return response
    abort(404, _("There is no such document."))


@blueprint.get("/cohorts")
@role_required(*STAFF)
def cohorts() -> str:
    return render_template("clerk/cohorts.html",
                           cohorts=decisions.cohorts(runtime().session_factory))


@blueprint.route("/cohorts/<operator>/<service>/<day>", methods=["GET", "POST"])
@role_required(*STAFF)
def cohort(operator: str, service: str, day: str) -> Response | str | tuple[str, int]:
    try:
        service_day = date.fromisoformat(day)
    except ValueError:
        abort(404)
    factory = runtime().session_factory
    members = decisions.cohort_claims(factory, operator, service, service_day)
    shown = [*members.together, *members.contradicted][:500]
    if not shown and not members.held:
        abort(404, _("No open claims for this service on this date."))
    form = CohortForm()
    form.chosen.choices = [(claim_id, f"#{claim_id}") for claim_id in shown]
    files = {claim_id: _file(claim_id) for claim_id in shown}

    def page() -> str:
        form.claims.data = " ".join(str(claim_id) for claim_id in shown)
        if not form.is_submitted():
            form.cause.data = _reported_cause(list(files.values()))
            # What the passenger said is read before their claim is chosen.
            form.chosen.data = list(members.together)
        held = [(_file(claim_id), reasons) for claim_id, reasons in members.held[:500]]
        # The operator's name from a claim of either list: one of them holds a claim.
        named = next(iter(files.values())) if files else held[0][0]
        return render_template(
            "clerk/cohort.html", form=form,
            together=[files[i] for i in members.together if i in files],
            contradicted=[files[i] for i in members.contradicted if i in files],
            operator_name=named.operator, held=held, service=service, day=service_day)

    if request.method == "POST":
        if not form.validate_on_submit():
            return page(), 422
        seen = {int(word) for word in (form.claims.data or "").split() if word.isdigit()}
        picked = set(form.chosen.data or ())
        chosen = [claim_id for claim_id in shown if claim_id in seen and claim_id in picked]
        if not chosen:
            form.chosen.errors = [_("These claims have been decided meanwhile.")]
            return page(), 422
        result = decisions.decide_cohort(
            factory, chosen, _clerk_id(), cause=form.cause.data or "",
            statements_read=set(chosen) & set(members.contradicted))
        for claim_id, _status in result.decided:
            notify(runtime().redis, claim_id, NoticeKind.DECISION)
        open_before = len(members.together) + len(members.contradicted) + len(members.held)
        flash(_("%(decided)s claims decided; %(left)s left for one-by-one review.",
                decided=len(result.decided), left=open_before - len(result.decided)))
        return redirect(url_for("clerk.queue"))
    return page()


def _reported_cause(files: list[review.ClaimFile]) -> str:
    """The cause the operations data report for the train, if they report one."""
    causes = Counter(f.legs[-1].cause for f in files
                     if f.legs and f.legs[-1].cause and f.legs[-1].cause != "unknown")
    return causes.most_common(1)[0][0] if causes else ""


def _file(claim_id: int) -> review.ClaimFile:
    with _claim_or_404(claim_id):
        return review.claim_file(runtime().session_factory, claim_id)


@contextmanager
def _claim_or_404(claim_id: int) -> Iterator[None]:
    """An action on a claim that is not there answers 404. The action finds that out
    itself, in its own transaction: reading the whole claim file first only to check
    was three quarters of putting a claim back (measured)."""
    try:
        yield
    except ClaimNotFound:
        abort(404, _("There is no claim %(id)s.", id=claim_id))


def _clerk_id() -> int:
    return int(current_user.account.id)
