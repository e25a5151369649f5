"""The whole money lifecycle as a hypothesis state machine, on the real database: bookings,
claims with and without a booking, offers and their acceptance, corrections up and down,
erasures, clerks' decisions (one and two persons, cohorts) and payout runs, in any order.
After every step what must always hold is checked (`MoneyLifecycle.invariants`).

Used by tests/integration/test_money_lifecycle.py (a short run in `make test`) and by
bench/money_lifecycle.py (a long one). Each run of the machine works on an operator of its
own in the test's database, so runs never see each other's claims."""

from __future__ import annotations

import itertools
import re
from contextlib import suppress
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from claims.clerks import decisions, review
from claims.core.approvals import persons_needed
from claims.core.vocabulary import ClaimStatus, EventKind, ReasonCode
from claims.db.models import Booking, Claim, ClaimEvent, Operator, Payout, PayoutRun
from claims.operators import accounts
from claims.operators.imports import import_bookings, import_operations
from claims.passengers import filing, offers
from claims.passengers.claim_writes import ClaimInput
from claims.passengers.manual import ManualClaimInput, file_manual_claim
from claims.processing import bank_feedback, payouts, proactive
from claims.processing.assessment import amount_limits, assess_claims
from claims.processing.erasure import NotClosed, erase_on_request
from claims.processing.twins import journey_of, twin_keys
from tests.records import DAY, arrival, rail_booking
from tools.bank_files import payment_status_report

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
# One train, so that journeys meet (twins, cohorts, corrections of the same train), and
# enough names that most bookings are not twins of each other (twins are never paid
# without a person, so with two names the proactive path was rarely reached: a mutant
# paying a top-up over the limit without a person went unnoticed in 200 sequences).
NAMES = ("Erika Mustermann", "Ayşe Yılmaz", "Jonas Weber", "Lena Sommer", "Tom Becker",
         "Mia Wolf")
TRAINS = ("IC 2013",)
# Minutes late, as corrections report them: under the threshold, 25 %, 50 %.
LATENESS = (36, 74, 134)
# Twice as likely to be the expensive ticket, where the limits bite.
FARES = ("79.00", "2000.00", "2000.00")
_runs = itertools.count(1)


class MoneyLifecycle(RuleBasedStateMachine):
    """Set `factory`, `directory` and `clerk_ids` on the class before running it."""

    factory: sessionmaker[Session]
    directory: Path
    clerk_ids: tuple[int, int]

    def __init__(self) -> None:
        super().__init__()
        self.run = next(_runs)
        self.slug = f"money-{self.run}"
        self.operator_id: int | None = None
        self.bookings: list[tuple[str, int]] = []   # (reference, booking id)
        self.references = itertools.count(1)

    # Set-up of each run ------------------------------------------------------------

    @initialize(mode=st.sampled_from(["pay", "pay", "offer"]),
                auto=st.sampled_from(["10.00", "600.00", "2000.00"]),
                second=st.sampled_from(["100.00", "600.00", "600.00"]))
    def open_operator(self, mode: str, auto: str, second: str) -> None:
        accounts.create_operator(self.factory, self.slug, f"Money {self.run}", "eu-rail")
        accounts.configure_operator(
            self.factory, self.slug, proactive_mode=mode, auto_approve_limit=auto,
            second_approval_above=second, payout_account_name="Money Rail",
            payout_account_iban="DE89370400440532013000")
        with self.factory() as session:
            self.operator_id = session.scalars(select(Operator.id).where(
                Operator.slug == self.slug)).one()

    # Steps -------------------------------------------------------------------------

    @precondition(lambda self: self.operator_id is not None)
    @rule(name=st.sampled_from(NAMES), train=st.sampled_from(TRAINS),
          fare=st.sampled_from(FARES), account=st.booleans())
    def book(self, name: str, train: str, fare: str, account: bool) -> None:
        reference = f"M{self.run:04d}{next(self.references):03d}"
        leg = {**rail_booking()["legs"][-1], "service": train}
        record = rail_booking(reference, operator=self.slug, legs=[leg],
                              passenger={"name": name, "email": "p@example.org"},
                              fare={"amount": fare, "currency": "EUR", "kind": "single"})
        if not account:
            del record["payment"]
        report = import_bookings(self.factory, enumerate([record], start=1))
        assert not report.rejected, report.rejected
        with self.factory() as session:
            booking_id = session.scalars(select(Booking.id).where(
                Booking.reference == reference)).one()
        self.bookings.append((reference, booking_id))

    @precondition(lambda self: self.operator_id is not None)
    @rule(train=st.sampled_from(TRAINS), late=st.sampled_from(LATENESS),
          then_pay=st.booleans())
    def operations_arrive(self, train: str, late: int, then_pay: bool) -> None:
        """The operator reports (or corrects) a train's arrival; the checks run, and with
        `then_pay` a scheduled payout run follows (an operator paying every minute)."""
        hours, minutes = divmod(11 * 60 + 44 + late, 60)
        record = arrival(service=train, operator=self.slug,
                         actual=f"{DAY}T{hours:02d}:{minutes:02d}:00+01:00")
        report = import_operations(self.factory, enumerate([record], start=1))
        assert not report.rejected, report.rejected
        proactive.check_all(self.factory)
        if then_pay:
            self.payout_run()

    @precondition(lambda self: self.bookings)
    @rule(data=st.data(), statement=st.booleans())
    def file(self, data: st.DataObject, statement: bool) -> None:
        _reference, booking_id = data.draw(st.sampled_from(self.bookings))
        with self.factory() as session:
            booking = session.get(Booking, booking_id)
            assert booking is not None
            name, account = booking.passenger_name, booking.payment_iban is not None
        claim = ClaimInput(passenger_name=name, passenger_email="p@example.org",
                           arrived_with_service=None,
                           statement="It was later than that" if statement else None,
                           language="en", payout_method="account" if account else "voucher")
        result = filing.submit_claim(self.factory, booking_id, claim, effort={})
        assess_claims(self.factory, [result.claim_id])

    @precondition(lambda self: self.operator_id is not None)
    @rule(name=st.sampled_from(NAMES), train=st.sampled_from(TRAINS))
    def file_without_booking(self, name: str, train: str) -> None:
        data = ManualClaimInput(
            operator=self.slug, service=train, origin="Mannheim Hbf",
            destination="Stuttgart Hbf", travel_date=date.fromisoformat(DAY),
            scheduled_arrival=time(11, 44), actual_arrival=time(12, 58),
            price=Decimal("79.00"), passenger_name=name, passenger_email="p@example.org",
            payout_method="iban", payout_iban="DE44500105175407324931", payout_holder=name,
            statement=None, language="en")
        claim_id = file_manual_claim(self.factory, self.directory / "uploads", data, PDF,
                                     typed_fields=11)
        assess_claims(self.factory, [claim_id])

    @precondition(lambda self: self.operator_id is not None)
    @rule(data=st.data(), account=st.booleans())
    def accept_an_offer(self, data: st.DataObject, account: bool) -> None:
        offered = self._claims(ClaimStatus.OFFERED)
        if not offered:
            return
        claim = data.draw(st.sampled_from(offered))
        choice = offers.Acceptance("account") if account and claim.booking and \
            claim.booking.payment_iban else offers.Acceptance("voucher")
        offers.accept_offer(self.factory, claim.id, choice)

    @precondition(lambda self: self.operator_id is not None)
    @rule(data=st.data(), clerk=st.sampled_from([0, 1]), other=st.booleans())
    def clerk_approves(self, data: st.DataObject, clerk: int, other: bool) -> None:
        waiting = self._claims(ClaimStatus.NEEDS_REVIEW)
        if not waiting:
            return
        claim = data.draw(st.sampled_from(waiting))
        amount = claim.proposed_amount or claim.amount or Decimal("19.75")
        if other:
            amount += Decimal("100.00")
        # A refusal (the clerk's page would show it) changes nothing.
        with suppress(review.ReviewError):
            decisions.approve(self.factory, claim.id, self.clerk_ids[clerk], amount=amount,
                              note="Checked against the ticket")

    @precondition(lambda self: self.operator_id is not None)
    @rule(data=st.data(), clerk=st.sampled_from([0, 1]))
    def clerk_rejects(self, data: st.DataObject, clerk: int) -> None:
        waiting = self._claims(ClaimStatus.NEEDS_REVIEW)
        if not waiting:
            return
        claim = data.draw(st.sampled_from(waiting))
        with suppress(review.ReviewError):
            decisions.reject(self.factory, claim.id, self.clerk_ids[clerk],
                             reason="not-eligible")

    @precondition(lambda self: self.operator_id is not None)
    @rule(train=st.sampled_from(TRAINS), clerk=st.sampled_from([0, 1]),
          cause=st.sampled_from(["technical", "extreme-weather"]), read=st.booleans())
    def cohort(self, train: str, clerk: int, cause: str, read: bool) -> None:
        members = decisions.cohort_claims(self.factory, self.slug, train,
                                          date.fromisoformat(DAY))
        # Every claim shown chosen; the passengers' statements read, or not.
        shown = (*members.together, *members.contradicted)
        if shown:
            result = decisions.decide_cohort(
                self.factory, shown, self.clerk_ids[clerk], cause=cause,
                statements_read=set(members.contradicted) if read else set())
            if not read:  # a passenger's words are never overruled unread
                assert not {claim_id for claim_id, _ in result.decided} & set(
                    members.contradicted)

    @precondition(lambda self: self.operator_id is not None)
    @rule(data=st.data())
    def erase(self, data: st.DataObject) -> None:
        closed = self._claims(ClaimStatus.PAID, ClaimStatus.REJECTED)
        if not closed:
            return
        with suppress(NotClosed):  # another claim of the booking is open: refused
            erase_on_request(self.factory, data.draw(st.sampled_from(closed)).id,
                             staff_id=self.clerk_ids[0])

    @precondition(lambda self: self.operator_id is not None)
    @rule()
    def payout_run(self) -> None:
        payouts.run_payouts(self.factory, self.directory / "payouts", operator=self.slug)

    @precondition(lambda self: self.operator_id is not None)
    @rule(data=st.data(), status=st.sampled_from(["RJCT", "ACSC"]),
          reason=st.sampled_from(["AC04", "MD07", "AM05"]))
    def bank_reports(self, data: st.DataObject, status: str, reason: str) -> None:
        """The bank confirms a transfer in a written file, or sends it back."""
        with self.factory() as session:
            sent = list(session.scalars(
                select(Payout).join(PayoutRun, PayoutRun.id == Payout.run_id).where(
                    PayoutRun.operator_id == self.operator_id,
                    PayoutRun.file_name.is_not(None), Payout.method != "voucher",
                    Payout.returned_at.is_(None)).order_by(Payout.id)))
        if not sent:
            return
        payout = data.draw(st.sampled_from(sent))
        report = payment_status_report(
            [(_end_to_end_id(payout), status, reason if status == "RJCT" else None)])
        bank_feedback.import_bank_file(self.factory, report, only_operator=self.slug)

    @precondition(lambda self: self.operator_id is not None)
    @rule(data=st.data())
    def passenger_gives_another_account(self, data: st.DataObject) -> None:
        waiting = self._claims(ClaimStatus.PAYOUT_FAILED)
        if waiting:
            claim = data.draw(st.sampled_from(waiting))
            # Refused when the bank returned this account before: as the page refuses it.
            with suppress(bank_feedback.AccountRefused):
                bank_feedback.give_new_account(self.factory, claim.id, "DE75512108001245126199")

    # What must always hold ---------------------------------------------------------

    @invariant()
    def invariants(self) -> None:
        self.assert_money_invariants()

    def assert_money_invariants(self) -> None:
        """What must hold after every step (also callable on its own, for a sequence
        written out by hand)."""
        if self.operator_id is None:
            return
        with self.factory() as session:
            claims = list(session.scalars(select(Claim).where(
                Claim.operator_id == self.operator_id).order_by(Claim.id)))
            sent = payouts.payouts_of(session, [c.id for c in claims])
            operator = session.get(Operator, self.operator_id)
            assert operator is not None
            limits = amount_limits(operator)
            runs = {run.id: run for run in session.scalars(select(PayoutRun).where(
                PayoutRun.operator_id == self.operator_id))}
            approvers = _approvers(session, [c.id for c in claims])
            events = dict(session.execute(
                select(ClaimEvent.claim_id, func.count(ClaimEvent.id))
                .where(ClaimEvent.claim_id.in_([c.id for c in claims]))
                .group_by(ClaimEvent.claim_id)).all())
            journeys = {c.id: twin_keys(journey_of(c)) for c in claims}
        lines = _end_to_end_ids(self.directory / "payouts", self.slug)
        paid_per_key: dict[Any, list[int]] = {}
        for claim in claims:
            every = sent.get(claim.id, [])
            parts = [p for p in every if p.returned_at is None]  # the bank kept these
            total = sum((p.amount for p in parts), Decimal("0.00"))
            # No claim paid more than it was decided to be owed.
            if parts:
                assert claim.amount is not None and total <= claim.amount, (claim.id, total)
            # Every payment line in exactly one written file; every paid claim has its.
            for payout in every:
                if payout.method == "voucher":
                    continue
                run = runs[payout.run_id]
                if claim.status == ClaimStatus.PAID or run.file_name is not None:
                    assert run.file_name is not None, (claim.id, payout.part)
                    assert lines.count(_end_to_end_id(payout)) == 1, (claim.id, payout.part)
            if claim.status == ClaimStatus.PAID:
                assert parts, claim.id
            # Nothing above a limit paid without the persons the policy asks for.
            if parts:
                assert len(approvers.get(claim.id, ())) >= persons_needed(total, limits), (
                    claim.id, total, approvers.get(claim.id))
            # Every change an event.
            assert events.get(claim.id, 0) >= 1 + len(every), claim.id
            if claim.status == ClaimStatus.PAYOUT_FAILED:
                assert any(p.returned_at is not None for p in every), claim.id
            if parts and ReasonCode.POSSIBLE_DUPLICATE.value not in (claim.reason_codes or ()):
                for key in journeys[claim.id]:
                    paid_per_key.setdefault(key, []).append(claim.id)
        # One journey, one payment: a second only where a person looked at the twin.
        for key, paid in paid_per_key.items():
            assert len(set(paid)) <= 1, (key, paid)

    def _claims(self, *statuses: ClaimStatus) -> list[Claim]:
        with self.factory() as session:
            found = list(session.scalars(select(Claim).where(
                Claim.operator_id == self.operator_id, Claim.status.in_(statuses))
                .order_by(Claim.id)))
            for claim in found:
                _ = claim.booking and claim.booking.payment_iban  # loaded for the caller
            return found


def _approvers(session: Session, claim_ids: list[int]) -> dict[int, set[int]]:
    """The different people who approved or proposed each claim's amount."""
    found: dict[int, set[int]] = {}
    for claim_id, actor_id, kind, counts in session.execute(
            select(ClaimEvent.claim_id, ClaimEvent.actor_id, ClaimEvent.kind,
                   ClaimEvent.counts).where(
                ClaimEvent.claim_id.in_(claim_ids), ClaimEvent.actor_id.is_not(None),
                ClaimEvent.kind.in_([EventKind.CLAIM_DECIDED, EventKind.AMOUNT_PROPOSED]))):
        if kind == EventKind.CLAIM_DECIDED and (counts or {}).get("decision") != "approved":
            continue
        found.setdefault(claim_id, set()).add(actor_id)
    return found


_E2E = re.compile(r"EFF-CLAIM-\d+(?:-\d+)?")


def _end_to_end_ids(directory: Path, slug: str) -> list[str]:
    if not directory.exists():
        return []
    return [found for path in sorted(directory.glob(f"{slug}-run-*"))
            for found in _E2E.findall(path.read_text(encoding="utf-8"))]


def _end_to_end_id(payout: Payout) -> str:
    base = f"EFF-CLAIM-{payout.claim_id}"
    return base if payout.part == 0 else f"{base}-{payout.part}"
