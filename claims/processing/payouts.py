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
from sqlalchemy import and_, bindparam, or_, select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.iban import check_iban
from claims.core.vocabulary import Actor, ClaimStatus, EventKind, ReasonCode
from claims.db.events import record_event
from claims.db.models import Booking, Claim, Operator, Payout, PayoutRun
from claims.processing.lifecycle import move
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
                today: date | None = None) -> tuple[list[RunSummary], list[str]]:
    """Pay every approved claim of every operator; write the files of runs that have none
    yet. Running it again pays nothing twice. Returns the runs and what stopped a file."""
    directory.mkdir(parents=True, exist_ok=True)
    summaries = []
    with session_factory() as session:
        operators = list(session.scalars(select(Operator.id).order_by(Operator.id)))
    for operator_id in operators:
        _ask_for_missing_accounts(session_factory, operator_id)
        for currency in _currencies_due(session_factory, operator_id):
            while (run_id := _pay_batch(session_factory, operator_id, currency)) is not None:
                summaries.append(_summary(session_factory, run_id))
    problems = []
    for run_id in _runs_without_file(session_factory):
        try:
            write_transfer_file(session_factory, run_id, directory, today or date.today())
        except PayoutAccountMissing as missing:
            problems.append(str(missing))
    return [_summary(session_factory, s.run_id) for s in summaries], problems


def _ask_for_missing_accounts(session_factory: sessionmaker[Session], operator_id: int) -> None:
    """Approved claims to be paid to the account on file, where the operator's data no
    longer hold one: the passenger is asked for an IBAN (the sweeper mails the request),
    and the claim is paid once they give it. Never money sent nowhere, never a voucher the
    passenger did not choose."""
    with session_factory.begin() as session:
        claims = session.scalars(
            select(Claim).outerjoin(Booking, Booking.id == Claim.booking_id)
            .where(Claim.operator_id == operator_id, Claim.status == ClaimStatus.APPROVED,
                   Claim.payout_method == "account", Booking.payment_iban.is_(None))
            .with_for_update(of=Claim, skip_locked=True))
        for claim in claims:
            move(claim, ClaimStatus.INFO_REQUESTED)
            claim.requested_info = "iban"
            claim.reason_codes = [*(claim.reason_codes or ()),
                                  ReasonCode.NO_PAYOUT_ACCOUNT.value]
            record_event(session, EventKind.INFO_REQUESTED, Actor.SYSTEM, claim_id=claim.id,
                         items=1)


# Due: approved claims, and paid ones owed a top-up after corrected operations data.
DUE = or_(Claim.status == ClaimStatus.APPROVED,
          and_(Claim.status == ClaimStatus.PAID, Claim.top_up.is_not(None)))


def _currencies_due(session_factory: sessionmaker[Session], operator_id: int) -> list[str]:
    with session_factory() as session:
        return sorted(set(session.scalars(select(Claim.currency).where(
            Claim.operator_id == operator_id, DUE, Claim.currency.is_not(None)))))


def _pay_batch(session_factory: sessionmaker[Session], operator_id: int,
               currency: str) -> int | None:
    with session_factory.begin() as session:
        due = select(Claim).where(Claim.operator_id == operator_id, Claim.currency == currency,
                                  DUE, Claim.amount.is_not(None)).order_by(Claim.id)
        # Two payout runs at once each take their own claims, never the same (PostgreSQL;
        # SQLite has one writer at a time and renders no lock clause).
        due = due.with_for_update(skip_locked=True)
        claims = list(session.scalars(due.limit(BATCH)))
        if not claims:
            return None
        run = PayoutRun(operator_id=operator_id, currency=currency)
        session.add(run)
        session.flush()
        for claim in claims:
            if claim.status == ClaimStatus.PAID:
                payout = _top_up_for(session, claim, run.id)
                session.add(payout)
                claim.top_up = None
                record_event(session, EventKind.TOP_UP_PAID, Actor.SYSTEM, claim_id=claim.id,
                             part=payout.part)
            else:
                payout = _payout_for(session, claim, run.id)
                session.add(payout)
                move(claim, ClaimStatus.PAID)
                record_event(session, EventKind.CLAIM_PAID, Actor.SYSTEM, claim_id=claim.id,
                             voucher=int(payout.method == "voucher"))
            if payout.method == "voucher":
                run.vouchers += 1
            else:
                run.transfers += 1
            run.total += payout.amount
        return run.id


def _payout_for(session: Session, claim: Claim, run_id: int) -> Payout:
    if claim.amount is None or claim.currency is None:
        raise PayoutError(f"claim {claim.id} is approved without an amount")
    # Paid again after the bank returned a payment: what is still owed, as a part of its
    # own (what the bank returned no longer counts as paid).
    earlier = session.execute(select(Payout.part, Payout.amount, Payout.returned_at)
                              .where(Payout.claim_id == claim.id)).all()
    kept = sum((row.amount for row in earlier if row.returned_at is None), Decimal("0.00"))
    claim.top_up = None  # the part below pays all that is owed
    payout = Payout(claim_id=claim.id, run_id=run_id, method=claim.payout_method,
                    part=max((row.part for row in earlier), default=-1) + 1,
                    amount=claim.amount - kept, currency=claim.currency)
    if claim.payout_method == "voucher":
        payout.voucher_code = voucher_code()
    elif claim.payout_method == "iban":
        payout.iban, payout.holder = claim.payout_iban, claim.payout_holder
    else:
        booking = session.get(Booking, claim.booking_id) if claim.booking_id else None
        if booking is None or booking.payment_iban is None:
            # _ask_for_missing_accounts took these out; one that lost its account since
            # stops the run rather than paying nowhere.
            raise PayoutError(f"claim {claim.id} has no account on file to pay to")
        payout.iban, payout.holder = booking.payment_iban, booking.payment_holder
    return payout


def compensation_payout(session: Session, claim_id: int) -> Payout | None:
    """The claim's payment itself (part 0), not a top-up after it: where the money went.
    One the bank sent back does not count: then the payment made again in its place."""
    return session.scalar(_COMPENSATION_PAYOUT, {"claim_id": claim_id})


# Built once: the status page asks on every visit.
_COMPENSATION_PAYOUT = select(Payout).where(Payout.claim_id == bindparam("claim_id"),
                                            Payout.returned_at.is_(None)
                                            ).order_by(Payout.part).limit(1)


def _top_up_for(session: Session, claim: Claim, run_id: int) -> Payout:
    """What corrected data added after payment, paid where the compensation went, as a
    part of its own: the unique (claim, part) pays each top-up once."""
    paid = session.scalars(select(Payout).where(Payout.claim_id == claim.id)
                           .order_by(Payout.part)).all()
    if not paid or claim.top_up is None or claim.currency is None:
        raise PayoutError(f"claim {claim.id} has a top-up but no payment to add it to")
    first = paid[0]
    payout = Payout(claim_id=claim.id, run_id=run_id, part=paid[-1].part + 1,
                    method=first.method, amount=claim.top_up, currency=claim.currency,
                    iban=first.iban, holder=first.holder)
    if first.method == "voucher":
        payout.voucher_code = voucher_code()
    return payout


def _runs_without_file(session_factory: sessionmaker[Session]) -> list[int]:
    with session_factory() as session:
        return list(session.scalars(select(PayoutRun.id).where(
            PayoutRun.file_name.is_(None), PayoutRun.transfers > 0).order_by(PayoutRun.id)))


def write_transfer_file(session_factory: sessionmaker[Session], run_id: int, directory: Path,
                        execution_date: date) -> Path:
    with session_factory() as session:
        run, operator = _run_and_operator(session, run_id)
        if not (operator.payout_account_iban and operator.payout_account_name):
            raise PayoutAccountMissing(
                f"operator {operator.slug} has no payout account: flask --app wsgi operators "
                f"configure {operator.slug} --payout-account-iban ... --payout-account-name ...")
        transfers = session.scalars(select(Payout).where(
            Payout.run_id == run_id, Payout.method != "voucher").order_by(Payout.id)).all()
        if run.currency != "EUR":
            # SEPA moves euros only; other currencies go to the bank as a payment list.
            document, suffix = _payment_list(operator, transfers), "csv"
        else:
            document, suffix = _sepa_file(operator, run, transfers, execution_date), "xml"
        name = f"{operator.slug}-run-{run_id:06d}.{suffix}"
    path = directory / name
    write_private(path, document)  # whole or not at all: the bank's upload never sees half
    with session_factory.begin() as session:
        written, _operator = _run_and_operator(session, run_id)
        written.file_name = name
    return path


def _sepa_file(operator: Operator, run: PayoutRun, transfers: Sequence[Payout],
               execution_date: date) -> bytes:
    if operator.payout_account_iban is None:
        raise PayoutAccountMissing(f"operator {operator.slug} has no payout account")
    sepa = SepaTransfer({
        "name": operator.payout_account_name, "IBAN": operator.payout_account_iban,
        "BIC": operator.payout_account_bic or check_iban(operator.payout_account_iban).bic,
        "batch": True, "currency": run.currency,
    }, clean=True)
    for payout in transfers:
        if payout.iban is None:
            raise PayoutError(f"payout of claim {payout.claim_id} is a transfer without an IBAN")
        sepa.add_payment({
            "name": payout.holder or "Passenger", "IBAN": payout.iban,
            "amount": int(payout.amount * 100), "execution_date": execution_date,
            "description": f"{operator.name} delay compensation, claim {payout.claim_id}",
            "endtoend_id": _end_to_end_id(payout),
        })
    document: bytes = sepa.export(validate=True)
    return document


def _end_to_end_id(payout: Payout) -> str:
    """The bank's reference of one payment: a top-up is a payment of its own."""
    base = f"EFF-CLAIM-{payout.claim_id}"
    return base if payout.part == 0 else f"{base}-{payout.part}"


def _payment_list(operator: Operator, transfers: Sequence[Payout]) -> bytes:
    out = io.StringIO()
    writer = SafeCsvWriter(out)
    writer.writerow(["end_to_end_id", "holder", "iban", "amount", "currency", "reference"])
    for payout in transfers:
        writer.writerow([_end_to_end_id(payout), payout.holder, payout.iban,
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
