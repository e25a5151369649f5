"""The claim as its status page shows it (claim_view: its facts, its timeline, where the
money goes, what the passenger may still do) and the one thing the page asks after the
decision, the CES 2.0 question. Filing the claim is claims.passengers.filing's."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from claims.core.amounts import amount_text
from claims.core.journey import legs_by_direction
from claims.core.policy import ANSWER_WITHIN
from claims.core.uk_accounts import mask_uk_account
from claims.core.vocabulary import DECIDED, Actor, ClaimStatus, EventKind, Origin
from claims.db.engine import each_statement_alone, prepared
from claims.db.events import (
    note_page_view,
    record_event,
)
from claims.db.models import Booking, BookingLeg, Claim, ClaimEvent, Payout
from claims.passengers import escalation
from claims.passengers.booking_reads import (
    LegView,
)
from claims.passengers.filing import claims_of_booking
from claims.processing.lifecycle import (
    ClaimNotFound,
    lock_claim,
)
from claims.processing.objections import can_object, finally_rejected, objection_deadline
from claims.processing.payouts import compensation_payout
from claims.processing.status_links import claim_of as claim_of_link

SessionFactory = sessionmaker[Session]


@dataclass(frozen=True)
class EventView:
    at: datetime
    kind: str
    actor: str


@dataclass(frozen=True)
class ClaimView:
    claim_id: int
    status: ClaimStatus
    operator_name: str
    reference: str | None
    passenger_name: str
    legs: tuple[LegView, ...]
    submitted_at: datetime
    decided_at: datetime | None
    delay_minutes: int | None
    eligible: bool | None
    amount: str | None
    currency: str | None
    percent: int | None
    rule: str | None
    legal_basis: str | None
    explanation: str | None
    reason_codes: tuple[str, ...]
    events: tuple[EventView, ...]
    # What a clerk asked for, while the claim waits for it.
    requested_info: tuple[str, ...] = ()
    # A rejected claim may be objected to once.
    can_appeal: bool = False
    # CES 2.0 is asked once, after the decision.
    can_answer_survey: bool = False
    survey_answered: bool = False
    payout_method: str = "account"
    # Where the money goes; pages show it masked.
    payout_iban: str | None = None
    # A UK sort code and account number, masked already (mask_uk_account).
    payout_uk_account: str | None = None
    # For the EU common form: the passenger's own details and the ticket.
    passenger_email: str | None = None
    fare: tuple[str, str, str] | None = None  # amount, currency, kind
    manual_journey: dict[str, str] | None = None
    paid_at: datetime | None = None
    answer_by: datetime | None = None
    # A return ticket: which journey this claim is for, and the claims of its other one.
    direction: str | None = None
    other_journeys: tuple[tuple[str, int], ...] = ()
    # Started by the operations data (an offer, a payment), not filed by the passenger.
    proactive: bool = False
    account_on_file: str | None = None
    regime: str = "eu-rail"
    # Until when an objection is open (the letter names the date), while it is.
    objection_by: datetime | None = None
    # Rejected with no objection left: the bodies the passenger may turn to instead.
    final_rejection: bool = False
    bodies: tuple[escalation.Body, ...] = ()
    sender: escalation.Sender | None = None

    @property
    def common_form(self) -> bool:
        """The EU common form (Implementing Regulation (EU) 2024/949) is for rail claims
        under Regulation (EU) 2021/782 only: not for flights, nor for Delay Repay."""
        return self.regime == "eu-rail"


def claim_view(session_factory: SessionFactory, claim_or_link: int | str, *, language: str,
               record_view: bool = True) -> ClaimView:
    """The claim as its status page shows it, by its id or by a status link's token (the
    link checked in the same transaction: LinkRefused if it opens nothing)."""
    # The view and its event on one connection, each statement on its own (the page is
    # polled while the claim is checked; see each_statement_alone).
    with (each_statement_alone(session_factory) if record_view else session_factory()) \
            as session:
        claim_id = claim_of_link(session, claim_or_link) \
            if isinstance(claim_or_link, str) else claim_or_link
        claim = session.scalars(_CLAIM_WITH_BOOKING, {"claim_id": claim_id}
                                ).unique().one_or_none()
        if claim is None:
            raise ClaimNotFound(claim_id)
        events = session.execute(_EVENTS_SHOWN, {"claim_id": claim.id}).all()
        if record_view:
            # At most one view event a minute: the page refreshes itself while the claim
            # is checked, and anyone holding the link could otherwise fill the log at will.
            note_page_view(session, EventKind.STATUS_VIEWED, Actor.PASSENGER,
                           claim_id=claim_id)
        explanation = claim.explanation_de if language.startswith("de") else claim.explanation_en
        # Once paid, where the money went is the payout's, not what the claim planned. The
        # payout is written in the transaction that marks the claim paid: none before.
        payout = compensation_payout(session, claim.id) \
            if claim.status == ClaimStatus.PAID else None
        account_on_file = claim.booking.payment_iban if claim.booking else None
        journeys = legs_by_direction(claim.booking.legs, claim.booking.fare_kind) \
            if claim.booking is not None else {}
        return ClaimView(
            claim_id=claim.id, status=ClaimStatus(claim.status),
            operator_name=claim.operator.name,
            reference=claim.booking.reference if claim.booking else None,
            passenger_name=claim.passenger_name,
            legs=_leg_views(claim.journey_legs),
            submitted_at=claim.submitted_at, decided_at=claim.decided_at,
            delay_minutes=claim.delay_minutes, eligible=claim.eligible,
            amount=amount_text(claim.amount),
            currency=claim.currency, percent=claim.percent, rule=claim.rule,
            legal_basis=claim.legal_basis, explanation=explanation,
            reason_codes=tuple(claim.reason_codes or ()),
            events=tuple(EventView(e.at, _shown_kind(e), e.actor) for e in events),
            requested_info=tuple((claim.requested_info or "").split())
            if claim.status == ClaimStatus.INFO_REQUESTED else (),
            can_appeal=can_object(claim),
            can_answer_survey=claim.status in DECIDED and claim.ces_score is None,
            survey_answered=claim.ces_score is not None,
            payout_method=payout.method if payout else claim.payout_method,
            payout_iban=payout.iban if payout else
            claim.payout_iban if claim.payout_method == "iban" else
            account_on_file if claim.payout_method == "account" else None,
            payout_uk_account=_uk_account_shown(claim, payout),
            passenger_email=claim.passenger_email,
            fare=(f"{claim.booking.fare_amount:.2f}", claim.booking.fare_currency,
                  claim.booking.fare_kind) if claim.booking else None,
            manual_journey=claim.manual_journey,
            direction=claim.direction if len(journeys) > 1 else None,
            # A booking of one journey has no other claim to link to.
            other_journeys=tuple((d, i) for d, i in claims_of_booking(
                session, claim.booking_id).items() if i != claim.id)
            if claim.booking_id is not None and len(journeys) > 1 else (),
            paid_at=_paid_at(claim, events),
            answer_by=claim.submitted_at + ANSWER_WITHIN,
            proactive=claim.origin == Origin.PROACTIVE, account_on_file=account_on_file,
            regime=claim.regime,
            objection_by=objection_deadline(claim) if can_object(claim) else None,
            final_rejection=finally_rejected(claim),
            bodies=escalation.bodies_for(claim.regime, claim.operator.slug, language)
            if finally_rejected(claim) else (),
            sender=escalation.sender_of(claim.operator.slug, claim.operator.name),
        )


def _paid_at(claim: Claim, events: Sequence[Any]) -> datetime | None:
    """The latest payment that counts: none once the bank sent it back (while the
    passenger is asked for another account, and after they gave one until the payment
    made again, a claim_paid of its own)."""
    if claim.status == ClaimStatus.PAYOUT_FAILED:
        return None
    for event in reversed(events):
        if event.kind == EventKind.PAYMENT_RETURNED:
            return None
        if event.kind == EventKind.CLAIM_PAID:
            return cast(datetime, event.at)
    return None


def _uk_account_shown(claim: Claim, payout: Payout | None) -> str | None:
    """The UK account the money went to (once paid) or goes to, masked."""
    if payout is not None:
        return mask_uk_account(payout.sort_code, payout.account_number) or None
    if claim.payout_method != "uk-account":
        return None
    return mask_uk_account(claim.payout_sort_code, claim.payout_account_number) or None


def _shown_kind(event: Any) -> str:
    """What the passenger reads: the rules handing a claim to a person is not a decision."""
    if event.kind == EventKind.CLAIM_DECIDED and event.actor == Actor.SYSTEM and \
            (event.counts or {}).get("reason_count"):
        return HANDED_TO_STAFF
    return event.kind


HANDED_TO_STAFF = "handed_to_staff"


# The status page's statements, built once (see _BOOKING above). The claim with its
# booking, the booking's legs and the operator: one query.
_CLAIM_WITH_BOOKING = prepared(select(Claim).where(Claim.id == bindparam("claim_id")).options(
    joinedload(Claim.booking).joinedload(Booking.legs), joinedload(Claim.operator)))
# What the page shows of each event: rows, not whole events.
_EVENTS_SHOWN = prepared(select(ClaimEvent.at, ClaimEvent.kind, ClaimEvent.actor,
                                 ClaimEvent.counts).where(
    ClaimEvent.claim_id == bindparam("claim_id")).order_by(ClaimEvent.id))


class SurveyRefused(ValueError):
    pass


def answer_survey(session_factory: SessionFactory, claim_id: int, score: int,
                  comment: str | None) -> None:
    """CES 2.0: "<operator> made it easy for me to handle my claim", 1 to 7, once."""
    if not 1 <= score <= 7:
        raise SurveyRefused("score")
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.status not in DECIDED or claim.ces_score is not None:
            raise SurveyRefused("not-now")
        claim.ces_score = score
        claim.ces_comment = (comment or "").strip() or None
        record_event(session, EventKind.SURVEY_ANSWERED, Actor.PASSENGER, claim_id=claim.id,
                     score=score, commented=int(claim.ces_comment is not None))


def _leg_views(legs: Sequence[BookingLeg]) -> tuple[LegView, ...]:
    return tuple(LegView(leg.service, leg.origin, leg.destination, leg.scheduled_departure,
                         leg.scheduled_arrival) for leg in legs)
