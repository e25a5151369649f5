"""The demo's money after the decisions, each step on the path a real one takes: the
bank's confirmation of the history's transfers, and one returned transfer (Clara
Hoffmann's, DEMO09). Her claim is filed and decided by the rules, paid by a payout run
that writes its SEPA file, and refused by her bank in a payment status report (pain.002)
imported as `flask payouts feedback` imports one: her claim waits as payout_failed for
another account. The bank's file stays in the instance folder, for an operator to see
what a bank sends back."""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import TypeVar

from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import ClaimStatus, NoticeKind
from claims.db.models import Claim, Payout, PayoutRun
from claims.db.types import utcnow
from claims.operators.imports import import_bookings, import_operations
from claims.passengers import filing
from claims.processing.assessment import assess_claims
from claims.processing.bank_feedback import import_bank_file
from claims.processing.payouts import run_payouts
from tools import demo
from tools.bank_files import payment_status_report

SessionFactory = sessionmaker[Session]
# Where the bank's status report is left, under the instance folder: not in
# instance/bank-feedback/, the README's folder for `payouts feedback --folder`, which
# would move it to done/ (applied again, it would change nothing).
EXAMPLE_REPORT = Path("examples") / "pain002-account-closed.xml"
# A bank reports on a file within a day.
CONFIRMED_AFTER = timedelta(hours=20)
# How long the story waits for a worker that took her claim first.
SETTLE_WITHIN = 30.0
# A passenger is told at each step, as the workers would tell her.
Tell = Callable[[int, NoticeKind], object]


class DemoMoneyError(RuntimeError):
    """The demo's story did not happen as written: a rule or a default changed."""


@dataclass(frozen=True)
class ReturnedTransfer:
    claim_id: int
    report: Path  # the bank's pain.002 that returned it


def returned_transfer(session_factory: SessionFactory, instance_path: Path, today: date,
                      tell: Tell) -> ReturnedTransfer | None:
    """Clara Hoffmann's claim, paid and returned (account closed); None when her booking
    has a claim already (seeded before). Call it before other Demo Rail claims are
    approved: the run pays every approved claim of Demo Rail."""
    booking, operations = demo.returned_scenario(today)
    import_bookings(session_factory, demo.numbered([booking]))
    import_operations(session_factory, demo.numbered([operations]))
    booking_id = filing.find_booking(session_factory, demo.RETURNED_REFERENCE,
                                     demo.RETURNED_SURNAME, record_lookup=False)
    if booking_id is None:
        raise DemoMoneyError("the returned transfer's booking was not imported")
    passenger = booking["passenger"]
    filed = filing.submit_claim(session_factory, booking_id, filing.ClaimInput(
        passenger_name=passenger["name"], passenger_email=passenger["email"],
        arrived_with_service=None, statement=None, language=passenger["language"],
        payout_method="account"), effort={})
    if not filed.created:
        return None
    claim_id = filed.claim_id
    tell(claim_id, NoticeKind.RECEIPT)
    # A running worker's sweeper may find her claim first: then it decides it, and a
    # scheduled run may pay it; the story goes on from what was stored.
    outcome = assess_claims(session_factory, [claim_id]).get(claim_id)
    status = outcome.status if outcome else _when_settled(
        lambda: _status(session_factory, claim_id), lambda found: found.decided)
    if status not in (ClaimStatus.APPROVED, ClaimStatus.PAID):
        raise DemoMoneyError(f"{demo.RETURNED_REFERENCE} was not approved by the rules "
                             f"({status})")
    tell(claim_id, NoticeKind.DECISION)
    _summaries, problems = run_payouts(session_factory, instance_path / "payouts", today,
                                       operator="demo-rail")
    paid = _when_settled(lambda: _transfer_file(session_factory, claim_id),
                         lambda found: found is not None)
    if paid is None:
        raise DemoMoneyError(f"{demo.RETURNED_REFERENCE} was not paid: {problems}")
    run_id, file_name = paid
    tell(claim_id, NoticeKind.PAYOUT)
    report = _refusal(instance_path / "payouts" / file_name, run_id,
                      _end_to_end_id(claim_id, 0))
    path = instance_path / EXAMPLE_REPORT
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(report)
    applied = import_bank_file(session_factory, report)
    if applied.failed_claims != [claim_id]:
        raise DemoMoneyError(f"{demo.RETURNED_REFERENCE}'s transfer was not returned: "
                             f"{applied.as_dict()}")
    tell(claim_id, NoticeKind.PAYOUT_FAILED)
    return ReturnedTransfer(claim_id, path)


def _status(session_factory: SessionFactory, claim_id: int) -> ClaimStatus:
    with session_factory() as session:
        return ClaimStatus(session.scalars(
            select(Claim.status).where(Claim.id == claim_id)).one())


def _transfer_file(session_factory: SessionFactory, claim_id: int) -> tuple[int, str] | None:
    """The run and file that carry the claim's transfer, once a run has written it."""
    with session_factory() as session:
        row = session.execute(
            select(PayoutRun.id, PayoutRun.file_name)
            .join(Payout, Payout.run_id == PayoutRun.id)
            .where(Payout.claim_id == claim_id, Payout.part == 0,
                   PayoutRun.file_name.is_not(None))).first()
    return (row[0], row[1]) if row and row[1] else None


Found = TypeVar("Found")


def _when_settled(read: Callable[[], Found], settled: Callable[[Found], bool]) -> Found:
    """What `read` returns once `settled`, or after SETTLE_WITHIN: a worker that holds
    the claim finishes its transaction within seconds."""
    deadline = time.monotonic() + SETTLE_WITHIN
    found = read()
    while not settled(found) and time.monotonic() < deadline:
        time.sleep(0.2)
        found = read()
    return found


def _refusal(payment_file: Path, run_id: int, end_to_end_id: str) -> bytes:
    """The bank's status report on our payment file: the one transfer refused, the
    account closed. It names the file's message and batch, as a bank's report does."""
    root = etree.parse(str(payment_file), etree.XMLParser(resolve_entities=False,
                                                          no_network=True)).getroot()
    ns = {"d": str(root.nsmap[None])}
    initiation = root.find("d:CstmrCdtTrfInitn", ns)
    if initiation is None or end_to_end_id not in [
            element.text for element in initiation.iterfind(
                "d:PmtInf/d:CdtTrfTxInf/d:PmtId/d:EndToEndId", ns)]:
        raise DemoMoneyError(f"{payment_file.name} holds no transfer {end_to_end_id}")
    return payment_status_report(
        [(end_to_end_id, "RJCT", demo.RETURNED_REASON)],
        message_id=f"STATUS-RUN-{run_id:06d}", created=_iso(utcnow()),
        original_message_id=initiation.findtext("d:GrpHdr/d:MsgId", "", ns),
        original_batch_id=initiation.findtext("d:PmtInf/d:PmtInfId", "", ns))


def confirm_history_transfers(session_factory: SessionFactory) -> int:
    """The bank's status reports on the history's euro transfer files, one per file, each
    transfer accepted (ACSC), imported as the bank's files are: the payouts confirmed.
    Returns how many."""
    with session_factory() as session:
        rows = session.execute(
            select(PayoutRun.id, PayoutRun.file_name, PayoutRun.file_written_at,
                   Payout.claim_id, Payout.part)
            .join(Payout, Payout.run_id == PayoutRun.id)
            .where(PayoutRun.file_name.like("history-%"), PayoutRun.currency == "EUR",
                   Payout.method != "voucher", Payout.confirmed_at.is_(None))
            .order_by(PayoutRun.id, Payout.claim_id)).all()
    transfers: dict[int, list[str]] = defaultdict(list)
    files: dict[int, tuple[str, datetime]] = {}
    for run_id, name, written_at, claim_id, part in rows:
        if name is None or written_at is None:
            continue
        files[run_id] = (name, written_at)
        transfers[run_id].append(_end_to_end_id(claim_id, part))
    confirmed = 0
    for run_id, (name, written_at) in files.items():
        report = payment_status_report(
            [(end_to_end, "ACSC", None) for end_to_end in transfers[run_id]],
            message_id=f"STATUS-RUN-{run_id:06d}", created=_iso(written_at + CONFIRMED_AFTER),
            original_message_id=Path(name).stem[-35:])
        confirmed += import_bank_file(session_factory, report).confirmed
    return confirmed


def _end_to_end_id(claim_id: int, part: int) -> str:
    """As our pain.001 names each transfer (claims.processing.bank_feedback.END_TO_END_ID)."""
    return f"EFF-CLAIM-{claim_id}" + (f"-{part}" if part else "")


def _iso(moment: datetime) -> str:
    return moment.replace(microsecond=0).isoformat()
