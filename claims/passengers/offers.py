"""The passenger's answer to an offer: accept it (one click; where no account is on file,
a voucher, an IBAN or, for pounds, a UK sort code and account number of their choosing)
or decline it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session, sessionmaker

from claims.core.approvals import persons_needed
from claims.core.names import surname_matches, surname_of
from claims.core.uk_accounts import UkAccount, UkAccountError, check_uk_account
from claims.core.vocabulary import Actor, ClaimStatus, EventKind, ReasonCode
from claims.db.events import record_event
from claims.processing.assessment import amount_limits
from claims.processing.lifecycle import lock_claim, move

SessionFactory = sessionmaker[Session]
PAYOUT_CHOICES = ("account", "iban", "uk-account", "voucher")


class OfferRefused(ValueError):
    """Not (or no longer) an open offer, or a payout the offer cannot take."""


@dataclass(frozen=True)
class Acceptance:
    payout_method: str
    iban: str | None = None
    holder: str | None = None
    # payout_method "uk-account", for an offer in pounds only.
    sort_code: str | None = None
    account_number: str | None = None


# The fields the passenger types for each way of being paid (named in the event, for the
# effort record; never what was typed).
TYPED_FIELDS = {"iban": ("iban", "account_holder"),
                "uk-account": ("sort_code", "account_number", "account_holder")}


def _uk_account(claim_currency: str | None, acceptance: Acceptance) -> UkAccount:
    """The UK account of an offer in pounds, checked as the form checked it."""
    if claim_currency != "GBP":
        raise OfferRefused("payout")
    try:
        return check_uk_account(acceptance.sort_code or "", acceptance.account_number or "")
    except UkAccountError:
        raise OfferRefused("payout") from None


def accept_offer(session_factory: SessionFactory, claim_id: int,
                 acceptance: Acceptance) -> ClaimStatus:
    """offered -> approved (paid in the next run); an account typed in the name of someone
    else goes to a clerk first, as a typed account does on a filed claim."""
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.status != ClaimStatus.OFFERED:
            raise OfferRefused("not-offered")
        on_file = claim.booking is not None and claim.booking.payment_iban is not None
        method = acceptance.payout_method
        if method not in PAYOUT_CHOICES or (method == "account" and not on_file) or \
                (method == "iban" and not acceptance.iban):
            raise OfferRefused("payout")
        uk_account = _uk_account(claim.currency, acceptance) if method == "uk-account" \
            else None
        claim.payout_method = method
        if method == "iban":
            claim.payout_iban = acceptance.iban
        if uk_account is not None:
            claim.payout_sort_code = uk_account.sort_code
            claim.payout_account_number = uk_account.account_number
        typed = TYPED_FIELDS.get(method, ())
        if typed:
            claim.payout_holder = (acceptance.holder or "").strip() or claim.passenger_name
        status = ClaimStatus.APPROVED
        reasons = []
        if typed and not surname_matches(claim.passenger_name,
                                         surname_of(claim.payout_holder or "")):
            reasons.append(ReasonCode.PAYOUT_HOLDER_DIFFERS.value)
        if claim.amount is not None and persons_needed(claim.amount,
                                                       amount_limits(claim.operator)):
            # The operator lowered its limits since the offer: a person looks first.
            reasons.append(ReasonCode.AMOUNT_OVER_LIMIT.value)
        if reasons:
            status = ClaimStatus.NEEDS_REVIEW
            claim.reason_codes = reasons
        move(claim, status)
        record_event(session, EventKind.OFFER_ACCEPTED, Actor.PASSENGER, claim_id=claim.id,
                     fields_typed=len(typed), fields=" ".join(typed))
        return status


def decline_offer(session_factory: SessionFactory, claim_id: int) -> None:
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.status != ClaimStatus.OFFERED:
            raise OfferRefused("not-offered")
        move(claim, ClaimStatus.DECLINED)
        record_event(session, EventKind.OFFER_DECLINED, Actor.PASSENGER, claim_id=claim.id)
