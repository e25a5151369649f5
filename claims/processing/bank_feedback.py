"""What the bank said about our transfers, applied: an accepted transfer is confirmed; a
returned or refused one no longer counts as paid, its claim waits as payout_failed for
another account from the passenger (who is e-mailed the bank's reason in words), and a
clerk sees it.

A file is applied in one transaction: all of it or nothing. Applying it again changes
nothing (a payout confirmed or returned stays so); a line naming no payout of ours (or,
through the API, no payout of the sending operator) is reported and the rest applied."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, load_only, sessionmaker

from claims.core.bank_reasons import reason_in_words
from claims.core.iban import check_iban
from claims.core.problems import Problem, echo, problem
from claims.core.uk_accounts import UkAccount
from claims.core.vocabulary import Actor, ClaimStatus, EventKind
from claims.db.bulk import insert_many
from claims.db.events import event_row, record_event
from claims.db.models import Claim, ClaimEvent, Operator, Payout
from claims.db.types import utcnow
from claims.processing import money_times
from claims.processing.bank_files import BankFileError, Outcome, TransferStatus, read_bank_file
from claims.processing.lifecycle import lock_claim, move

SessionFactory = sessionmaker[Session]
# Our pain.001 names each transfer so (claims.processing.payouts._end_to_end_id).
END_TO_END_ID = re.compile(r"EFF-CLAIM-(\d{1,18})(?:-(\d{1,9}))?")
# Payouts looked up per statement: bounded, for the database's parameter limits.
CHUNK = 500

__all__ = ["BankFileError", "FeedbackReport", "import_bank_file"]


@dataclass
class FeedbackReport:
    confirmed: int = 0
    returned: int = 0
    unchanged: int = 0  # known already, or nothing final yet
    # (line, what): English, and translatable by the web layer.
    problems: list[tuple[int, Problem]] = field(default_factory=list)
    # Claims newly waiting for another account: their passengers are to be told.
    failed_claims: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {"confirmed": self.confirmed, "returned": self.returned,
                "unchanged": self.unchanged,
                "problems": [{"line": line, "problem": what} for line, what in self.problems]}


def import_bank_file(session_factory: SessionFactory, data: bytes, *,
                     only_operator: str | None = None) -> FeedbackReport:
    """Apply a pain.002 or camt.054 file; BankFileError (nothing applied) for a file that
    is not one. only_operator: the payouts of this operator only (the API's caller)."""
    transfers, batches = read_bank_file(data)
    report = FeedbackReport()
    for batch in batches:
        report.problems.append((batch.line, problem(
            "the bank refused the whole batch %(batch)s (%(reason)s) without naming its "
            "transfers: look the batch up at the bank", batch=batch.batch_id,
            reason={language: reason_in_words(batch.reason_code, language)
                    for language in ("en", "de")})))
    with session_factory.begin() as session:
        operator_id = _operator_id(session, only_operator)
        for start in range(0, len(transfers), CHUNK):
            _apply(session, transfers[start:start + CHUNK], operator_id, report)
    return report


@dataclass(frozen=True)
class FolderResult:
    name: str
    report: FeedbackReport | None
    refused: str | None = None  # why the file was not applied


def import_folder(session_factory: SessionFactory, folder: Path) -> list[FolderResult]:
    """Every file the bank left in the folder, applied once: moved to done/ once applied,
    to refused/ when it cannot be read (nothing of it applied). A file that arrives twice
    changes nothing the second time."""
    results = []
    for path in sorted(p for p in folder.iterdir()
                       if p.is_file() and not p.name.startswith(".")):
        try:
            report = import_bank_file(session_factory, path.read_bytes())
        except BankFileError as error:
            _move(path, folder / "refused")
            results.append(FolderResult(path.name, None, str(error)))
        else:
            _move(path, folder / "done")
            results.append(FolderResult(path.name, report))
    return results


def _move(path: Path, directory: Path) -> None:
    directory.mkdir(exist_ok=True)
    target = directory / path.name
    if target.exists():  # the bank sent a file of the same name again
        target = directory / f"{time.time_ns()}-{path.name}"
    path.replace(target)


def _operator_id(session: Session, slug: str | None) -> int | None:
    if slug is None:
        return None
    found = session.scalar(select(Operator.id).where(Operator.slug == slug))
    if found is None:
        raise LookupError(slug)
    return found


def _key(end_to_end_id: str) -> tuple[int, int] | None:
    match = END_TO_END_ID.fullmatch(end_to_end_id)
    if match is None:
        return None
    return int(match.group(1)), int(match.group(2) or 0)


def _apply(session: Session, transfers: Sequence[TransferStatus], operator_id: int | None,
           report: FeedbackReport) -> None:
    keys = {t.end_to_end_id: _key(t.end_to_end_id) for t in transfers}
    claim_ids = {key[0] for key in keys.values() if key is not None}
    # Columns only: no IBAN is decrypted for this.
    rows = session.execute(
        select(Payout.id, Payout.claim_id, Payout.part, Payout.method, Payout.confirmed_at,
               Payout.returned_at, Claim.operator_id)
        .join(Claim, Claim.id == Payout.claim_id)
        .where(Payout.claim_id.in_(claim_ids))).all() if claim_ids else []
    payouts = {(row.claim_id, row.part): row for row in rows
               if operator_id is None or row.operator_id == operator_id}
    now = utcnow()
    confirmed: dict[int, int] = {}  # payout id: claim id
    returned: dict[int, tuple[int, str | None]] = {}
    for transfer in transfers:
        key = keys[transfer.end_to_end_id]
        payout = payouts.get(key) if key is not None else None
        if payout is None or payout.method == "voucher":
            unknown = echo(transfer.end_to_end_id)
            report.problems.append((transfer.line, problem(
                "no transfer of ours has the end-to-end id %(id)s", id=unknown)
                if operator_id is None else problem(
                "no transfer of this operator has the end-to-end id %(id)s", id=unknown)))
            continue
        if payout.returned_at is not None or payout.id in returned or (
                transfer.outcome == Outcome.ACCEPTED
                and (payout.confirmed_at is not None or payout.id in confirmed)) or (
                transfer.outcome == Outcome.UNDECIDED):
            report.unchanged += 1
        elif transfer.outcome == Outcome.ACCEPTED:
            confirmed[payout.id] = payout.claim_id
        else:
            confirmed.pop(payout.id, None)
            returned[payout.id] = (payout.claim_id, transfer.reason_code)
    if confirmed:
        session.execute(update(Payout).where(Payout.id.in_(confirmed))
                        .values(confirmed_at=now))
        money_times.record_confirmed(session, confirmed, now)
        insert_many(session, ClaimEvent, [
            event_row(EventKind.PAYMENT_CONFIRMED, Actor.SYSTEM, claim_id=claim_id)
            for claim_id in confirmed.values()])
        report.confirmed += len(confirmed)
    if returned:
        _return(session, returned, now, report)


def _return(session: Session, returned: dict[int, tuple[int, str | None]], now: datetime,
            report: FeedbackReport) -> None:
    """The payouts no longer count as paid; a paid claim waits for another account (one
    approved again, or waiting already, keeps its course: the next run pays what is owed).
    The claims are locked and read together, their columns for this only (no IBAN is
    decrypted), and written in one flush."""
    claim_ids = {claim_id for claim_id, _reason in returned.values()}
    claims = session.scalars(
        select(Claim).where(Claim.id.in_(claim_ids)).order_by(Claim.id)
        .options(load_only(Claim.id, Claim.status))
        .with_for_update(key_share=True)).all()
    # Out of the time to money (file, and confirmation if any) while still kept.
    money_times.record_returned(session, returned)
    session.execute(update(Payout), [
        {"id": payout_id, "returned_at": now, "return_code": reason}
        for payout_id, (_claim_id, reason) in returned.items()])
    for claim in claims:
        if claim.status == ClaimStatus.PAID:
            move(claim, ClaimStatus.PAYOUT_FAILED)
            report.failed_claims.append(claim.id)
    # The code is the bank's, not the passenger's words: it is safe for the log.
    insert_many(session, ClaimEvent, [
        event_row(EventKind.PAYMENT_RETURNED, Actor.SYSTEM, claim_id=claim_id,
                  payout=payout_id)
        for payout_id, (claim_id, _reason) in returned.items()])
    report.returned += len(returned)
    session.flush()


@dataclass(frozen=True)
class FailedPayment:
    """The latest payment the bank returned, as the passenger and the clerk are told."""

    reason_code: str | None
    returned_at: datetime
    amount: Decimal
    currency: str
    iban_end: str | None

    def reason(self, language: str) -> str:
        return reason_in_words(self.reason_code, language)


def failed_payment(session: Session, claim_id: int) -> FailedPayment | None:
    payout = session.scalar(select(Payout).where(Payout.claim_id == claim_id,
                                                 Payout.returned_at.is_not(None))
                            .order_by(Payout.returned_at.desc(), Payout.id.desc()).limit(1))
    if payout is None or payout.returned_at is None:
        return None
    return FailedPayment(payout.return_code, payout.returned_at, payout.amount,
                         payout.currency, paid_account_end(payout))


def paid_account_end(payout: Payout) -> str | None:
    """The last four characters of the IBAN or UK account number paid to, as the pages and
    mails name the account."""
    account = payout.iban or payout.account_number
    return account[-4:] if account else None


def failed_payment_of(session_factory: SessionFactory, claim_id: int) -> FailedPayment | None:
    with session_factory() as session:
        return failed_payment(session, claim_id)


class AccountRefused(ValueError):
    """Not waiting for an account (any more), or the account the bank refused."""


def give_new_account(session_factory: SessionFactory, claim_id: int, iban: str | None = None,
                     uk_account: UkAccount | None = None) -> None:
    """payout_failed -> approved, to be paid to this IBAN or (for pounds) UK account, held
    by the passenger: the next payout run pays what is still owed. The account is checked
    by the caller's form; the one the bank sent back is refused."""
    if (iban is None) == (uk_account is None):
        raise ValueError("one account: an IBAN or a UK sort code and account number")
    compact = check_iban(iban).compact if iban is not None else None
    with session_factory.begin() as session:
        claim = lock_claim(session, claim_id)
        if claim.status != ClaimStatus.PAYOUT_FAILED:
            raise AccountRefused("not-waiting")
        returned = session.scalars(select(Payout).where(
            Payout.claim_id == claim_id, Payout.returned_at.is_not(None))).all()
        if any(_same_account(payout, compact, uk_account) for payout in returned):
            raise AccountRefused("same-account")
        if uk_account is not None:
            claim.payout_method, claim.payout_iban = "uk-account", None
            claim.payout_sort_code = uk_account.sort_code
            claim.payout_account_number = uk_account.account_number
        else:
            claim.payout_method, claim.payout_iban = "iban", compact
            claim.payout_sort_code = claim.payout_account_number = None
        claim.payout_holder = claim.passenger_name
        move(claim, ClaimStatus.APPROVED)
        record_event(session, EventKind.NEW_ACCOUNT_GIVEN, Actor.PASSENGER, claim_id=claim_id)


def _same_account(payout: Payout, iban: str | None, uk_account: UkAccount | None) -> bool:
    if uk_account is not None:
        return (payout.sort_code, payout.account_number) == (uk_account.sort_code,
                                                             uk_account.account_number)
    return payout.iban is not None and payout.iban == iban


@dataclass(frozen=True)
class ReturnedPayment:
    """A line of the clerk's list of payments the bank sent back."""

    claim_id: int
    operator: str
    amount: Decimal
    currency: str
    reason_code: str | None
    returned_at: datetime


def returned_payments(session_factory: SessionFactory, *, operator: str | None = None,
                      limit: int = 50) -> tuple[int, list[ReturnedPayment]]:
    """Claims waiting for another account, the longest waiting first, and how many."""
    with session_factory() as session:
        latest = (select(Payout.claim_id, Payout.amount, Payout.currency, Payout.return_code,
                         Payout.returned_at, Operator.name)
                  .join(Claim, Claim.id == Payout.claim_id)
                  .join(Operator, Operator.id == Claim.operator_id)
                  .where(Claim.status == ClaimStatus.PAYOUT_FAILED,
                         Payout.returned_at.is_not(None)))
        if operator:
            latest = latest.where(Operator.slug == operator)
        rows = session.execute(latest.order_by(Payout.returned_at, Payout.claim_id)).all()
    # One line per claim: its latest return.
    by_claim = {row.claim_id: row for row in rows}
    lines = [ReturnedPayment(row.claim_id, row.name, row.amount, row.currency,
                             row.return_code, row.returned_at) for row in by_claim.values()]
    lines.sort(key=lambda line: (line.returned_at, line.claim_id))
    return len(lines), lines[:limit]
