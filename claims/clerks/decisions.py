"""A clerk's decisions on a claim, one by one or for a whole cohort (one service on one
date) at once. Each is a transition in its own transaction with an event carrying the
clerk's id; the caller queues the passenger's notice after the commit."""


from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from enum import StrEnum

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from claims.clerks.rejections import standard_explanation
from claims.clerks.review import (
    INFO_ITEMS,
    REJECTION_REASONS,
    QueueFilter,
    Refusal,
    ReviewError,
    end_work,
    open_claims_query,
    take_into_work,
)
from claims.core.amounts import CENT, amount_text
from claims.core.approvals import may_give_second_approval, persons_needed
from claims.core.journey import service_day
from claims.core.rules.result import Assessment
from claims.core.vocabulary import (
    AWAITING_CLERK,
    PERSONAL_REASONS,
    Actor,
    ClaimStatus,
    EventKind,
    ReasonCode,
)
from claims.db.events import record_event
from claims.db.models import Booking, Claim, InfoRequest
from claims.db.types import utcnow
from claims.processing.assessment import (
    amount_limits,
    claim_journeys,
    decision_for,
    facts_for,
    passenger_says_otherwise,
    record_assessment,
)
from claims.processing.lifecycle import lock_claim, move
from claims.processing.payouts import paid_so_far
from claims.processing.twins import journey_of, twins_of

SessionFactory = sessionmaker[Session]


# Decisions --------------------------------------------------------------------------

class Approval(StrEnum):
    APPROVED = "approved"
    # Above the second-approval limit: proposed, waiting for another person's approval.
    AWAITING_SECOND = "awaiting-second"


def approve(session_factory: SessionFactory, claim_id: int, clerk_id: int, *,
            amount: Decimal, note: str | None = None) -> Approval:
    """needs_review -> approved at the rules' amount, or at another with a reason; an
    amount no rule computed (no booking, no data, an appeal) always needs a reason. Where
    the policy asks two persons for the amount (claims.core.approvals), one clerk proposes
    and another approves the same amount. Every amount set or proposed is an event with the
    old and the new amount and why."""
    with session_factory.begin() as session:
        claim = _open_claim(session, claim_id, clerk_id)
        return _approve_open(session, claim, clerk_id, amount, (note or "").strip())


def _approve_open(session: Session, claim: Claim, clerk_id: int, amount: Decimal,
                  reason: str, **counts: int) -> Approval:
    """The approval inside the caller's transaction, the claim locked and open to this
    clerk: one clerk's or a cohort's, under the same checks and the same four eyes."""
    if amount <= 0:
        raise ReviewError(Refusal.AMOUNT_NOT_POSITIVE)
    if amount != amount.quantize(CENT):
        # Stored as typed, 25.999 would be paid 25.99 and printed 26.00.
        raise ReviewError(Refusal.AMOUNT_NOT_CENTS)
    if claim.proposed_amount == amount and not reason:
        reason = claim.proposed_note or ""  # confirming a proposal confirms its reason
    computed = _rules_amount(claim)
    if computed is None and not reason:
        raise ReviewError(Refusal.AMOUNT_NEEDS_REASON)
    if computed is not None and amount != computed and not reason:
        raise ReviewError(Refusal.AMOUNT_CHANGE_NEEDS_REASON)
    if amount < paid_so_far(session, claim.id):
        raise ReviewError(Refusal.BELOW_AMOUNT_PAID)  # nothing is ever taken back
    if not reason and _twin_paid(session, claim):
        raise ReviewError(Refusal.TWIN_PAID_NEEDS_REASON)
    if persons_needed(amount, amount_limits(claim.operator)) > 1:
        confirmed = claim.proposed_amount == amount and claim.proposed_by is not None
        if confirmed and not may_give_second_approval(claim.proposed_by, clerk_id):
            raise ReviewError(Refusal.SECOND_APPROVER_NEEDED)
        if not confirmed:
            _propose(session, claim, amount, reason, clerk_id)
            return Approval.AWAITING_SECOND
    changed = amount != claim.amount or claim.eligible is not True
    if changed or reason:
        record_event(session, EventKind.AMOUNT_SET, Actor.CLERK, claim_id=claim.id,
                     actor_id=clerk_id, old=amount_text(claim.amount), new=amount_text(amount),
                     why=reason or None, proposed_by=claim.proposed_by)
    claim.amount = amount
    claim.currency = claim.currency or _fare_currency(claim)
    claim.eligible = True
    if reason:
        claim.clerk_note = reason
    claim.proposed_amount = claim.proposed_by = claim.proposed_note = None
    _decide(session, claim, ClaimStatus.APPROVED, clerk_id,
            amount_changed=int(computed is None or amount != computed), **counts)
    return Approval.APPROVED


def _twin_paid(session: Session, claim: Claim) -> bool:
    """The journey was paid on another claim: a second ticket may be owed its own, but a
    clerk says why (the reason is kept with the amount)."""
    twin = session.get(Claim, claim.twin_claim_id) if claim.twin_claim_id else None
    return twin is not None and paid_so_far(session, twin.id) > 0


def _rules_amount(claim: Claim) -> Decimal | None:
    """The amount the rules computed for this claim, if they computed one: not for a claim
    without a booking or without data, nor for one the passenger appealed."""
    if claim.booking is None or claim.eligible is not True or claim.amount is None:
        return None
    if ReasonCode.APPEAL in (claim.reason_codes or ()):
        return None
    return claim.amount


def _propose(session: Session, claim: Claim, amount: Decimal, reason: str,
             clerk_id: int) -> None:
    record_event(session, EventKind.AMOUNT_PROPOSED, Actor.CLERK, claim_id=claim.id,
                 actor_id=clerk_id, old=amount_text(claim.amount), new=amount_text(amount),
                 why=reason or None)
    claim.proposed_amount, claim.proposed_by = amount, clerk_id
    claim.proposed_note = reason or None
    # Back in the queue, for another person to take and approve.
    claim.assigned_to = claim.assigned_at = None
    end_work(session, claim.id, clerk_id)


def reject(session_factory: SessionFactory, claim_id: int, clerk_id: int, *, reason: str,
           explanation: str = "") -> None:
    """needs_review -> rejected, with a reason code and an explanation: the clerk's own
    words (in the passenger's language; they replace the rules' explanation in both), or
    without them the reason's standard explanation in both languages."""
    if reason not in REJECTION_REASONS:
        raise ReviewError(Refusal.UNKNOWN_REASON)
    own_words = explanation.strip()
    with session_factory.begin() as session:
        claim = _open_claim(session, claim_id, clerk_id)
        _reject_open(session, claim, clerk_id, rule=f"clerk.{reason}",
                     explanation_en=own_words or standard_explanation(reason, "en"),
                     explanation_de=own_words or standard_explanation(reason, "de"))


def _reject_open(session: Session, claim: Claim, clerk_id: int, *, rule: str,
                 explanation_en: str, explanation_de: str, **counts: int) -> None:
    """The rejection inside the caller's transaction, the claim locked and open to this
    clerk: one clerk's or a cohort's, under the same checks."""
    if paid_so_far(session, claim.id):
        # A raise after payment: keeping what was paid is an approval of that amount.
        raise ReviewError(Refusal.BELOW_AMOUNT_PAID)
    # The rules' amount stays on record: an appeal starts from it.
    claim.eligible = False
    claim.rule = rule
    claim.explanation_en, claim.explanation_de = explanation_en, explanation_de
    _decide(session, claim, ClaimStatus.REJECTED, clerk_id, **counts)


def request_info(session_factory: SessionFactory, claim_id: int, clerk_id: int,
                 items: Sequence[str], question: str = "") -> None:
    """needs_review -> info_requested: the passenger gets a form with just these items,
    and the clerk's own question where there is one (a question written asks it)."""
    question = question.strip()
    wanted = set(items) | ({"question"} if question else set())
    chosen = [item for item in INFO_ITEMS if item in wanted]
    if not chosen or len(chosen) != len(wanted):
        raise ReviewError(Refusal.CHOOSE_INFO)
    if "question" in chosen and not question:
        raise ReviewError(Refusal.QUESTION_NEEDED)
    with session_factory.begin() as session:
        claim = _open_claim(session, claim_id, clerk_id)
        move(claim, ClaimStatus.INFO_REQUESTED)
        claim.requested_info = " ".join(chosen)
        session.add(InfoRequest(claim_id=claim.id, asked_by=clerk_id, items=" ".join(chosen),
                                question=question or None))
        record_event(session, EventKind.INFO_REQUESTED, Actor.CLERK, claim_id=claim.id,
                     actor_id=clerk_id, items=len(chosen), asked=" ".join(chosen))
        end_work(session, claim.id, clerk_id)


def _open_claim(session: Session, claim_id: int, clerk_id: int) -> Claim:
    """The claim, locked, if this clerk may decide it now: checked under the lock, so that
    two clerks deciding at once cannot both pass."""
    claim = lock_claim(session, claim_id)
    _check_open(claim, clerk_id)
    if claim.assigned_to is None:
        # Decided straight from the claim file: taken now, so the work is on record.
        take_into_work(session, claim, clerk_id)
    return claim


def _check_open(claim: Claim, clerk_id: int) -> None:
    if claim.status not in AWAITING_CLERK:
        raise ReviewError(Refusal.NOT_OPEN)
    if claim.assigned_to not in (None, clerk_id):
        raise ReviewError(Refusal.TAKEN_BY_ANOTHER)


def _fare_currency(claim: Claim) -> str | None:
    if claim.booking is not None:
        return claim.booking.fare_currency
    return (claim.manual_journey or {}).get("currency")


def _decide(session: Session, claim: Claim, status: ClaimStatus, clerk_id: int,
            **counts: int) -> None:
    move(claim, status)
    claim.decided_at = utcnow()
    claim.assigned_to = clerk_id
    record_event(session, EventKind.CLAIM_DECIDED, Actor.CLERK, claim_id=claim.id,
                 actor_id=clerk_id, decision=status.value, **counts)
    end_work(session, claim.id, clerk_id)


# Cohorts: one service on one date, decided together after one review -----------------

@dataclass(frozen=True)
class Cohort:
    operator: str
    service: str
    day: date
    claims: int
    operator_name: str = ""


@dataclass(frozen=True)
class CohortResult:
    decided: tuple[tuple[int, ClaimStatus], ...]
    left: tuple[int, ...]  # claims the rules cannot decide even with the cause confirmed


def cohorts(session_factory: SessionFactory, minimum: int = 2) -> list[Cohort]:
    """Open claims grouped by the service and service day of their last leg (one train),
    largest first."""
    with session_factory() as session:
        claims = session.scalars(select(Claim).where(Claim.status.in_(AWAITING_CLERK))
                                 .options(selectinload(Claim.booking)
                                          .selectinload(Booking.legs),
                                          selectinload(Claim.operator))).all()
        groups: Counter[tuple[str, str, date]] = Counter()
        names: dict[str, str] = {}
        for claim in claims:
            if claim.journey_legs:
                last = claim.journey_legs[-1]
                names[claim.operator.slug] = claim.operator.name
                groups[(claim.operator.slug, last.service, service_day(last))] += 1
    return [Cohort(operator, service, day, n, names[operator])
            for (operator, service, day), n in groups.most_common() if n >= minimum]


@dataclass(frozen=True)
class CohortMembers:
    together: tuple[int, ...]                 # decided with the cause the clerk confirms
    held: tuple[tuple[int, tuple[str, ...]], ...]  # keep their own review, and why
    # The passenger says otherwise (a statement, another train): shown with their words,
    # and decided with the cohort only where the clerk read them and chose the claim.
    contradicted: tuple[int, ...] = ()


def cohort_claims(session_factory: SessionFactory, operator: str, service: str,
                  day: date) -> CohortMembers:
    """The open claims of one train on one day: those the cohort may decide, those whose
    passenger says otherwise (decided with it only when the clerk chooses them one by one),
    and those a personal flag (PERSONAL_REASONS) keeps in one-by-one review."""
    wanted = QueueFilter(operator=operator, service=service, day=day)
    together, contradicted, held = [], [], []
    with session_factory() as session:
        for claim in session.scalars(open_claims_query(select(Claim), wanted)
                                     .options(selectinload(Claim.booking)
                                              .selectinload(Booking.legs))
                                     .order_by(Claim.id)):
            last = claim.journey_legs[-1] if claim.journey_legs else None
            if last is None or (last.service, service_day(last)) != (service, day):
                continue  # the booking's other journey took that train, not this claim's
            personal = tuple(code for code in claim.reason_codes or ()
                             if code in PERSONAL_REASONS)
            if personal:
                held.append((claim.id, personal))
            elif passenger_says_otherwise(claim):
                contradicted.append(claim.id)
            else:
                together.append(claim.id)
    return CohortMembers(tuple(together), tuple(held), tuple(contradicted))


def decide_cohort(session_factory: SessionFactory, claim_ids: Sequence[int], clerk_id: int,
                  *, cause: str, statements_read: Collection[int] = ()) -> CohortResult:
    """The clerk confirmed the cause of the disruption for these claims (the ones shown to
    them): the rules and the whole policy decide each again with that cause, each in its
    own transaction, with its own event (and so its own notice and letter), through the
    same approval and rejection as a single decision (its checks and four eyes). A claim
    the policy still sends to a person (a personal flag, an unknown arrival, a claim another
    clerk holds or no longer open, an amount for two persons) is left for one-by-one
    review; so is one whose passenger says otherwise, unless the clerk read what they said
    and chose it (`statements_read`): a confirmed cause never overrules a passenger
    unseen."""
    decided: list[tuple[int, ClaimStatus]] = []
    left: list[int] = []
    for claim_id in claim_ids:
        try:
            with session_factory.begin() as session:
                status = _decide_in_cohort(session, claim_id, clerk_id, cause,
                                           statement_read=claim_id in statements_read,
                                           size=len(claim_ids))
        except ReviewError:
            status = None  # refused and rolled back: as it was, in the queue
        if status is None:
            left.append(claim_id)
        else:
            decided.append((claim_id, status))
    return CohortResult(tuple(decided), tuple(left))


def _decide_in_cohort(session: Session, claim_id: int, clerk_id: int, cause: str, *,
                      statement_read: bool, size: int) -> ClaimStatus | None:
    claim = lock_claim(session, claim_id)
    _check_open(claim, clerk_id)
    outcome = _cohort_outcome(session, claim, cause, statement_read=statement_read)
    if outcome is None:
        return None
    record_assessment(claim, outcome)
    if not outcome.eligible:
        _reject_open(session, claim, clerk_id, rule=outcome.rule,
                     explanation_en=outcome.explanation_en,
                     explanation_de=outcome.explanation_de, cohort=size)
        return ClaimStatus.REJECTED
    if _approve_open(session, claim, clerk_id, outcome.amount, "",
                     cohort=size) != Approval.APPROVED:
        raise ReviewError(Refusal.SECOND_APPROVER_NEEDED)  # no proposal from a cohort
    return ClaimStatus.APPROVED


def _cohort_outcome(session: Session, claim: Claim, cause: str, *,
                    statement_read: bool) -> Assessment | None:
    """The rules' answer with the confirmed cause, or None where the claim keeps its own
    review."""
    if (claim.booking is None
            # A proposal waiting for a second person is decided by that person, and a
            # raise after payment by a clerk who sees what was paid.
            or claim.proposed_amount is not None or paid_so_far(session, claim.id)
            or set(claim.reason_codes or ()) & PERSONAL_REASONS
            or (passenger_says_otherwise(claim) and not statement_read)):
        return None
    facts = replace(facts_for(session, claim_journeys([claim]))[claim.id], cause=cause)
    duplicate = bool(twins_of(session, {claim.id: journey_of(claim)}))
    # What the passenger said was read by the clerk who confirms the cause for the train.
    decision = decision_for(claim.booking, claim.journey_legs, facts,
                            passenger_disagrees=False, claim=claim,
                            duplicate=duplicate)
    if decision.status == ClaimStatus.NEEDS_REVIEW or decision.assessment is None:
        return None
    if decision.assessment.eligible and persons_needed(
            decision.assessment.amount, amount_limits(claim.operator)) > 1:
        return None  # one clerk's click is one person: four eyes happen one by one
    return decision.assessment
