"""Payout runs: approved claims are paid exactly once, by SEPA transfer or voucher.

The database is the truth: one transaction creates the run, a Payout row per claim (its
unique claim_id refuses a second payment) and moves the claims to paid. The transfer file
is written from those rows afterwards; a run whose file is missing gets it next time."""

from __future__ import annotations

import io
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path

from sepaxml import SepaTransfer
from sqlalchemy import bindparam, exists, select
from sqlalchemy.orm import Session, selectinload, sessionmaker

from claims.core.iban import check_iban
from claims.core.uk_accounts import UkAccount, uk_account_of_iban
from claims.core.vocabulary import Actor, ClaimStatus, EventKind, ReasonCode
from claims.db.bulk import insert_many
from claims.db.dialect import one_of
from claims.db.events import event_row, record_event
from claims.db.models import Booking, Claim, ClaimEvent, Operator, Payout, PayoutRun
from claims.db.types import utcnow
from claims.processing import iso20022, money_times
from claims.processing.bacs_file import Standard18Payment, standard18
from claims.processing.lifecycle import move, move_all
from claims.processing.sepa_instant import INSTANT_SCHEMA, as_instant
from claims.processing.twins import TwinKey, journey_of, twin_keys, twins_of
from common.files import write_private
from common.spreadsheets import SafeCsvWriter

VOUCHER_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read aloud safely
BATCH = 5000


@dataclass(frozen=True)
class RunSummary:
    operator: str
    run_id: int
    transfers: int
    vouchers: int
    total: Decimal
    currency: str
    file: Path | None
    claim_ids: tuple[int, ...]


class PayoutError(Exception):
    """A payout that cannot be made from what the database holds; nothing is paid."""


class PayoutAccountMissing(PayoutError):
    """The operator has no account to pay from."""


def voucher_code() -> str:
    """EFF-XXXX-XXXX-XXXX: 60 random bits from a cryptographic source."""
    body = "".join(secrets.choice(VOUCHER_ALPHABET) for _ in range(12))
    return f"EFF-{body[:4]}-{body[4:8]}-{body[8:]}"


def run_payouts(session_factory: sessionmaker[Session], directory: Path,
                today: date | None = None, operator: str | None = None,
                ) -> tuple[list[RunSummary], list[str]]:
    """Pay every approved claim of every operator (or of the one whose slug is given);
    write the files of runs that have none yet. Running it again pays nothing twice.
    Returns the runs, and what kept an operator's claims from being paid or a run's
    file from being written."""
    directory.mkdir(parents=True, exist_ok=True)
    summaries = []
    with session_factory() as session:
        chosen = select(Operator.id).order_by(Operator.id)
        if operator is not None:
            chosen = chosen.where(Operator.slug == operator)
        operators = list(session.scalars(chosen))
    problems = []
    for operator_id in operators:
        _ask_for_missing_accounts(session_factory, operator_id)
        currencies = _currencies_due(session_factory, operator_id)
        if currencies and (missing := _no_account_to_pay_from(session_factory, operator_id)):
            # Nothing is paid that no file could carry: the claims wait, approved.
            problems.append(missing)
            continue
        for currency in currencies:
            while (run_id := _pay_batch(session_factory, operator_id, currency)) is not None:
                summaries.append(_summary(session_factory, run_id))
    for run_id in _runs_without_file(session_factory, operators):
        try:
            write_transfer_file(session_factory, run_id, directory, today or date.today())
        except PayoutAccountMissing as missing:
            problems.append(str(missing))
    return [_summary(session_factory, s.run_id) for s in summaries], problems


def _no_account_to_pay_from(session_factory: sessionmaker[Session], operator_id: int
                            ) -> str | None:
    with session_factory() as session:
        operator = session.get(Operator, operator_id)
        if operator is None or (operator.payout_account_iban and operator.payout_account_name):
            return None
        return (f"operator {operator.slug} has no payout account: flask --app wsgi operators "
                f"configure {operator.slug} --payout-account-iban ... "
                f"--payout-account-name ...")


def _ask_for_missing_accounts(session_factory: sessionmaker[Session], operator_id: int) -> None:
    """Approved claims to be paid to the account on file, where the operator's data no
    longer hold one: the passenger is asked for an IBAN (the sweeper mails the request),
    and the claim is paid once they give it. Never money sent nowhere, never a voucher the
    passenger did not choose."""
    with session_factory.begin() as session:
        claims = session.scalars(
            select(Claim).outerjoin(Booking, Booking.id == Claim.booking_id)
            .where(Claim.operator_id == operator_id, Claim.status == ClaimStatus.APPROVED,
                   Claim.payout_method == "account", Booking.payment_iban.is_(None),
                   # Not one erased (nobody to ask), nor one paid before (a further part
                   # goes where the first went).
                   Claim.erased_at.is_(None),
                   ~exists().where(Payout.claim_id == Claim.id))
            .with_for_update(of=Claim, skip_locked=True))
        for claim in claims:
            move(claim, ClaimStatus.INFO_REQUESTED)
            claim.requested_info = "iban"
            claim.reason_codes = [*(claim.reason_codes or ()),
                                  ReasonCode.NO_PAYOUT_ACCOUNT.value]
            record_event(session, EventKind.INFO_REQUESTED, Actor.SYSTEM, claim_id=claim.id,
                         items=1)


def _currencies_due(session_factory: sessionmaker[Session], operator_id: int) -> list[str]:
    with session_factory() as session:
        return sorted(set(session.scalars(select(Claim.currency).where(
            Claim.operator_id == operator_id, Claim.status == ClaimStatus.APPROVED,
            Claim.currency.is_not(None)))))


class Unpayable(Exception):
    """One claim the run cannot pay from what the database holds: it goes to a clerk with
    the reason, and the run pays the others."""

    def __init__(self, reason: ReasonCode) -> None:
        super().__init__(reason.value)
        self.reason = reason


def _pay_batch(session_factory: sessionmaker[Session], operator_id: int,
               currency: str) -> int | None:
    with session_factory.begin() as session:
        due = select(Claim).where(Claim.operator_id == operator_id, Claim.currency == currency,
                                  Claim.status == ClaimStatus.APPROVED).order_by(Claim.id)
        # The bookings and their legs, for the account on file and the journey's twins.
        due = due.options(selectinload(Claim.booking).selectinload(Booking.legs))
        # Two payout runs at once each take their own claims, never the same (PostgreSQL;
        # SQLite has one writer at a time and renders no lock clause).
        due = due.with_for_update(skip_locked=True)
        claims = list(session.scalars(due.limit(BATCH)))
        if not claims:
            return None
        sent = payouts_of(session, [claim.id for claim in claims])
        guard = TwinGuard(session, claims)
        run = PayoutRun(operator_id=operator_id, currency=currency)
        session.add(run)
        session.flush()
        # The payouts and events go in as plain rows, past the unit of work (its flush
        # was half a run's time on PostgreSQL), and the paid claims move in one UPDATE.
        payouts: list[dict[str, object]] = []
        events: list[dict[str, object]] = []
        paid: list[Claim] = []
        for claim in claims:
            if (twin := guard.paid_twin(claim)) is not None:
                claim.twin_claim_id = twin
                events.append(_to_a_clerk(claim, ReasonCode.POSSIBLE_DUPLICATE))
                continue
            earlier = sent.get(claim.id, [])
            owed = (claim.amount or ZERO) - sum((p.amount for p in _kept(earlier)), ZERO)
            try:
                payout = _payout_for(claim, run.id, owed, earlier)
            except Unpayable as unpayable:
                events.append(_to_a_clerk(claim, unpayable.reason))
                continue
            paid.append(claim)
            if payout is None:
                # Everything owed was sent before: a clerk kept the amount already paid.
                events.append(event_row(EventKind.CLAIM_PAID, Actor.SYSTEM,
                                        claim_id=claim.id, parts=len(earlier)))
                continue
            payouts.append({column: getattr(payout, column) for column in PAYOUT_COLUMNS})
            if _kept(earlier):  # more on top of money that arrived
                events.append(event_row(EventKind.TOP_UP_PAID, Actor.SYSTEM,
                                        claim_id=claim.id, part=payout.part))
            else:
                events.append(event_row(EventKind.CLAIM_PAID, Actor.SYSTEM, claim_id=claim.id,
                                        voucher=int(payout.method == "voucher")))
            if payout.method == "voucher":
                run.vouchers += 1
            else:
                run.transfers += 1
            run.total += payout.amount
        move_all(session, paid, ClaimStatus.PAID)
        # The unique (claim_id, part) refuses a second payment here, as in a flush.
        insert_many(session, Payout, payouts)
        insert_many(session, ClaimEvent, events)
        return run.id


# A payout's columns as a run writes them (the rest take their defaults).
PAYOUT_COLUMNS = ("claim_id", "part", "run_id", "method", "amount", "currency", "iban",
                  "holder", "sort_code", "account_number", "voucher_code")
ZERO = Decimal("0.00")


def _kept(payouts: Sequence[Payout]) -> list[Payout]:
    """The payouts that count as paid: not the ones the bank sent back."""
    return [payout for payout in payouts if payout.returned_at is None]


def payouts_of(session: Session, claim_ids: Sequence[int]) -> dict[int, list[Payout]]:
    """Each claim's payouts, in the order they were made (returned ones too)."""
    sent: dict[int, list[Payout]] = {}
    for payout in session.scalars(select(Payout).where(one_of(session, Payout.claim_id, claim_ids))
                                  .order_by(Payout.claim_id, Payout.part)):
        sent.setdefault(payout.claim_id, []).append(payout)
    return sent


def _payout_for(claim: Claim, run_id: int, owed: Decimal,
                earlier: Sequence[Payout]) -> Payout | None:
    """The payment of what the claim still owes, as its next part (the unique (claim,
    part) pays each part once): to where the first part went, or, for the first and after
    the bank sent a part back, to the way the passenger chose last. Raises Unpayable
    where there is nowhere to send it."""
    if claim.amount is None or claim.currency is None or claim.erased_at is not None:
        # Erased: the passenger asked us to forget the account (or retention did).
        raise Unpayable(ReasonCode.PAYOUT_NOT_POSSIBLE)
    if owed <= 0:
        return None
    payout = Payout(claim_id=claim.id, run_id=run_id, amount=owed, currency=claim.currency,
                    part=earlier[-1].part + 1 if earlier else 0)
    kept = _kept(earlier)
    if kept and len(kept) == len(earlier):
        # More on top of money that arrived: where that went. After a return, the account
        # the passenger gave since (the claim's own choice, below).
        first = kept[0]
        payout.method, payout.iban, payout.holder = first.method, first.iban, first.holder
        payout.sort_code, payout.account_number = first.sort_code, first.account_number
    elif claim.payout_method in ("voucher", "iban"):
        payout.method = claim.payout_method
        payout.iban, payout.holder = claim.payout_iban, claim.payout_holder
    elif claim.payout_method == "account":
        payout.method = "account"
        if claim.booking is not None:
            payout.iban = claim.booking.payment_iban
            payout.holder = claim.booking.payment_holder
    elif claim.payout_method == "uk-account":
        payout.method = "uk-account"
        payout.sort_code, payout.account_number = (claim.payout_sort_code,
                                                    claim.payout_account_number)
        payout.holder = claim.payout_holder
    else:
        # An offer a clerk approved before the passenger chose where the money goes.
        raise Unpayable(ReasonCode.NO_PAYOUT_ACCOUNT)
    if payout.method == "voucher":
        payout.voucher_code = voucher_code()
    elif payout.iban is None and not (payout.sort_code and payout.account_number):
        raise Unpayable(ReasonCode.NO_PAYOUT_ACCOUNT if payout.method == "account"
                        else ReasonCode.PAYOUT_NOT_POSSIBLE)
    return payout


class TwinGuard:
    """The last look before money moves: a journey whose twin was paid (or is paid in
    this run) is not paid again. Twins are found at every decision; this catches two
    decided at the same instant by two workers. A claim a person approved as a possible
    duplicate was looked at, and is paid."""

    def __init__(self, session: Session, claims: Sequence[Claim]) -> None:
        self.journeys = {claim.id: journey_of(claim) for claim in claims
                         if ReasonCode.POSSIBLE_DUPLICATE.value not in (claim.reason_codes or ())}
        self.keys = {claim_id: twin_keys(journey) for claim_id, journey in self.journeys.items()}
        self.paid = twins_of(session, self.journeys, statuses=[ClaimStatus.PAID],
                             keys=self.keys)
        self.paying: dict[TwinKey, int] = {}

    def paid_twin(self, claim: Claim) -> int | None:
        keys = self.keys.get(claim.id)
        if keys is None:
            return None
        earlier = [twin.id for twin in self.paid.get(claim.id, ())] + [
            self.paying[key] for key in keys if key in self.paying]
        if earlier:
            return min(earlier)
        self.paying.update(dict.fromkeys(keys, claim.id))
        return None


def _to_a_clerk(claim: Claim, reason: ReasonCode) -> dict[str, object]:
    """Approved, not paid, and in the clerks' queue with the reason: the amount stays.
    Returns the event that says so."""
    move(claim, ClaimStatus.NEEDS_REVIEW)
    claim.reason_codes = list(dict.fromkeys([*(claim.reason_codes or ()), reason.value]))
    claim.assigned_to = claim.assigned_at = None
    return event_row(EventKind.PAYOUT_HELD, Actor.SYSTEM, claim_id=claim.id, reason_count=1)


def compensation_payout(session: Session, claim_id: int) -> Payout | None:
    """The claim's payment itself (part 0), not a top-up after it: where the money went.
    One the bank sent back does not count: then the payment made again in its place."""
    return session.scalar(_COMPENSATION_PAYOUT, {"claim_id": claim_id})


# Built once: the status page asks on every visit.
_COMPENSATION_PAYOUT = select(Payout).where(Payout.claim_id == bindparam("claim_id"),
                                            Payout.returned_at.is_(None)
                                            ).order_by(Payout.part).limit(1)


def in_a_file(session: Session, payout: Payout) -> bool:
    """Sent: a voucher is issued at once; a transfer once its run's file is written."""
    if payout.method == "voucher":
        return True
    run = session.get(PayoutRun, payout.run_id)
    return run is not None and run.file_name is not None


def paid_so_far(session: Session, claim_id: int) -> Decimal:
    """What the claim's payouts sent, all parts, less what the bank sent back."""
    return sum(session.scalars(select(Payout.amount).where(
        Payout.claim_id == claim_id, Payout.returned_at.is_(None))), ZERO)


def _runs_without_file(session_factory: sessionmaker[Session],
                       operator_ids: Sequence[int]) -> list[int]:
    with session_factory() as session:
        return list(session.scalars(select(PayoutRun.id).where(
            PayoutRun.file_name.is_(None), PayoutRun.transfers > 0,
            PayoutRun.operator_id.in_(operator_ids)).order_by(PayoutRun.id)))


def write_transfer_file(session_factory: sessionmaker[Session], run_id: int, directory: Path,
                        execution_date: date) -> Path:
    with session_factory() as session:
        run, operator = _run_and_operator(session, run_id)
        if not (operator.payout_account_iban and operator.payout_account_name):
            raise PayoutAccountMissing(f"operator {operator.slug} has no payout account")
        transfers = session.scalars(select(Payout).where(
            Payout.run_id == run_id, Payout.method != "voucher").order_by(Payout.id)).all()
        document, suffix = _transfer_document(operator, run, transfers, execution_date)
        name = f"{operator.slug}-run-{run_id:06d}.{suffix}"
    path = directory / name
    write_private(path, document)  # whole or not at all: the bank's upload never sees half
    with session_factory.begin() as session:
        written, _operator = _run_and_operator(session, run_id)
        written.file_name = name
        written.file_written_at = utcnow()
        money_times.record_file_written(session, run_id, written.file_written_at)
    return path


def _transfer_document(operator: Operator, run: PayoutRun, transfers: Sequence[Payout],
                       execution_date: date) -> tuple[bytes, str]:
    """SEPA for euros; Bacs Standard 18 for pounds paid to UK accounts from a UK account;
    a payment list for the rest (other currencies, a GBP run with an account abroad)."""
    if run.currency == "EUR":
        return _sepa_file(operator, run, transfers, execution_date), "xml"
    if run.currency == "GBP":
        originator = uk_account_of_iban(operator.payout_account_iban)
        payments = [_standard18_payment(operator, payout) for payout in transfers]
        if originator is not None and all(payments):
            return standard18(originator, operator.payout_account_name or operator.name,
                              [payment for payment in payments if payment]), "txt"
    return _payment_list(operator, transfers), "csv"


def _standard18_payment(operator: Operator, payout: Payout) -> Standard18Payment | None:
    account = (UkAccount(payout.sort_code, payout.account_number)
               if payout.sort_code and payout.account_number
               else uk_account_of_iban(payout.iban))
    if account is None:
        return None
    return Standard18Payment(account, payout.amount, _end_to_end_id(payout),
                             payout.holder or "Passenger")


def _sepa_file(operator: Operator, run: PayoutRun, transfers: Sequence[Payout],
               execution_date: date) -> bytes:
    if operator.payout_account_iban is None:
        raise PayoutAccountMissing(f"operator {operator.slug} has no payout account")
    sepa = SepaTransfer({
        "name": operator.payout_account_name, "IBAN": operator.payout_account_iban,
        "BIC": operator.payout_account_bic or check_iban(operator.payout_account_iban).bic,
        "batch": True, "currency": run.currency,
    }, schema=INSTANT_SCHEMA if operator.sepa_instant else "pain.001.001.03", clean=True)
    for payout in transfers:
        if payout.iban is None:
            raise PayoutError(f"payout of claim {payout.claim_id} is a transfer without an IBAN")
        sepa.add_payment({
            "name": payout.holder or "Passenger", "IBAN": payout.iban,
            "amount": int(payout.amount * 100), "execution_date": execution_date,
            "description": f"{operator.name} delay compensation, claim {payout.claim_id}",
            "endtoend_id": _end_to_end_id(payout),
        })
    # Checked once, with libxml2, after the instant element is in: sepaxml's own check
    # (validate=True) took 7 ms a transfer, 12 minutes for a run of 100,000.
    document: bytes = sepa.export(validate=False)
    if operator.sepa_instant:
        document = as_instant(document)
    iso20022.check_document(document, INSTANT_SCHEMA if operator.sepa_instant
                            else "pain.001.001.03")
    return document


def _end_to_end_id(payout: Payout) -> str:
    """The bank's reference of one payment: a top-up is a payment of its own."""
    base = f"EFF-CLAIM-{payout.claim_id}"
    return base if payout.part == 0 else f"{base}-{payout.part}"


def _payment_list(operator: Operator, transfers: Sequence[Payout]) -> bytes:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(["end_to_end_id", "holder", "iban", "sort_code", "account_number",
                     "amount", "currency", "reference"])
    for payout in transfers:
        writer.writerow([_end_to_end_id(payout), payout.holder, payout.iban,
                         payout.sort_code, payout.account_number,
                         f"{payout.amount:.2f}", payout.currency,
                         f"{operator.name} delay compensation, claim {payout.claim_id}"])
    return out.getvalue().encode()


def _run_and_operator(session: Session, run_id: int) -> tuple[PayoutRun, Operator]:
    run = session.get(PayoutRun, run_id)
    operator = session.get(Operator, run.operator_id) if run is not None else None
    if run is None or operator is None:
        raise PayoutError(f"no payout run {run_id}")
    return run, operator


def _summary(session_factory: sessionmaker[Session], run_id: int) -> RunSummary:
    with session_factory() as session:
        run, operator = _run_and_operator(session, run_id)
        claim_ids = tuple(session.scalars(select(Payout.claim_id).where(Payout.run_id == run.id)
                                          .order_by(Payout.claim_id)))
        return RunSummary(operator.slug, run.id, run.transfers, run.vouchers, run.total,
                          run.currency, Path(run.file_name) if run.file_name else None,
                          claim_ids)
