"""Claims without a booking (a ticket from a machine or a counter): the passenger types the
journey and uploads the ticket, and a clerk decides. Files are checked by their content,
not by their name, and stored under a name of our choosing."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import Actor, ClaimStatus, EventKind, Regime
from claims.db.events import record_event
from claims.db.models import Claim, ClaimDocument, Operator
from claims.db.types import utcnow
from claims.processing.lifecycle import ClaimNotFound
from common.files import delete_older_than, write_private

SessionFactory = sessionmaker[Session]
MAX_DOCUMENT_BYTES = 5 * 1024 * 1024
# Content type by the file's first bytes, and the extension we store it under.
SIGNATURES = (
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
)
# The form's fields the passenger types on this path (for the effort record).
MANUAL_FIELDS = ("service", "origin", "destination", "travel_date", "scheduled_arrival",
                 "actual_arrival", "price", "passenger_name", "passenger_email", "iban",
                 "account_holder", "sort_code", "account_number")


class DocumentRejected(ValueError):
    """'empty', 'too-large' or 'wrong-type': the form says which, in the user's language."""


@dataclass(frozen=True)
class ManualClaimInput:
    operator: str
    service: str
    origin: str
    destination: str
    travel_date: date
    scheduled_arrival: time
    actual_arrival: time | None
    price: Decimal
    passenger_name: str
    passenger_email: str | None
    payout_method: str
    payout_iban: str | None
    payout_holder: str | None
    statement: str | None
    language: str
    # payout_method "uk-account" (operators paying in pounds): checked by
    # claims.core.uk_accounts.
    payout_sort_code: str | None = None
    payout_account_number: str | None = None


class UkAccountRefused(ValueError):
    """A UK sort code and account number for an operator paying in euros (the form
    refuses it first, with the reason)."""


def currency_of(regime: str) -> str:
    """The currency of a ticket without a booking: UK rail sells in pounds, the rest in
    euros."""
    return "GBP" if regime == Regime.UK_RAIL else "EUR"


def manual_operators(session_factory: SessionFactory) -> list[tuple[str, str, str]]:
    """(slug, name, currency) of every operator, by name: the choice on the form."""
    with session_factory() as session:
        return [(slug, name, currency_of(regime)) for slug, name, regime in session.execute(
            select(Operator.slug, Operator.name, Operator.regime).order_by(Operator.name))]


def document_type(content: bytes) -> tuple[str, str]:
    """(content type, extension) of an accepted document, or DocumentRejected."""
    if not content:
        raise DocumentRejected("empty")
    if len(content) > MAX_DOCUMENT_BYTES:
        raise DocumentRejected("too-large")
    for signature, content_type, extension in SIGNATURES:
        if content.startswith(signature):
            return content_type, extension
    raise DocumentRejected("wrong-type")


def file_manual_claim(session_factory: SessionFactory, uploads: Path, data: ManualClaimInput,
                      ticket: bytes, *, typed_fields: int) -> int:
    """Save the claim and its ticket together: if the file cannot be written, nothing is
    saved; if the commit fails, the file is removed again."""
    document_type(ticket)
    path: Path | None = None
    try:
        with session_factory.begin() as session:
            operator = session.scalar(select(Operator).where(Operator.slug == data.operator))
            if operator is None:
                raise ClaimNotFound(f"no operator {data.operator}")
            currency = currency_of(operator.regime)
            if data.payout_method == "uk-account" and currency != "GBP":
                raise UkAccountRefused(data.operator)
            claim = Claim(
                booking_id=None, operator_id=operator.id, regime=operator.regime,
                status=ClaimStatus.SUBMITTED, language=data.language,
                passenger_name=data.passenger_name, passenger_email=data.passenger_email,
                statement=data.statement, payout_method=data.payout_method,
                payout_iban=data.payout_iban, payout_holder=data.payout_holder,
                payout_sort_code=data.payout_sort_code,
                payout_account_number=data.payout_account_number, currency=currency,
                manual_journey={
                    "service": data.service, "origin": data.origin,
                    "destination": data.destination, "date": data.travel_date.isoformat(),
                    "scheduled_arrival": data.scheduled_arrival.strftime("%H:%M"),
                    "actual_arrival": data.actual_arrival.strftime("%H:%M")
                    if data.actual_arrival else None,
                    "price": f"{data.price:.2f}", "currency": currency})
            session.add(claim)
            session.flush()
            record_event(session, EventKind.CLAIM_SUBMITTED, Actor.PASSENGER,
                         claim_id=claim.id, fields_typed=typed_fields, fields_prefilled=0,
                         documents=1)
            _document, path = add_document(session, uploads, claim.id, "ticket", ticket)
            return claim.id
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise


def add_document(session: Session, uploads: Path, claim_id: int, kind: str,
                 content: bytes) -> tuple[ClaimDocument, Path]:
    """A passenger's file on the claim, in the caller's transaction: checked by its
    content, written under a name of our choosing. The caller removes the returned path
    if its transaction fails (nothing on disk without its row)."""
    content_type, extension = document_type(content)
    uploads.mkdir(parents=True, exist_ok=True)
    stored_name = f"{claim_id}-{secrets.token_hex(16)}{extension}"
    path = uploads / stored_name
    write_private(path, content, overwrite=False)
    document = ClaimDocument(claim_id=claim_id, kind=kind, stored_name=stored_name,
                             content_type=content_type, size=len(content))
    session.add(document)
    session.flush()
    record_event(session, EventKind.DOCUMENT_UPLOADED, Actor.PASSENGER, claim_id=claim_id,
                 size=len(content))
    return document, path


_KEPT_TOKEN = re.compile(r"[A-Za-z0-9_-]{32}")
KEPT_FOR = timedelta(days=1)


def keep_ticket(uploads: Path, content: bytes) -> str:
    """A checked ticket kept while the passenger corrects the rest of the form; the token
    goes into the form, never a path. Kept a day at most (forget_old_tickets)."""
    document_type(content)
    token = secrets.token_urlsafe(24)
    write_private(uploads / "kept" / token, content, overwrite=False)
    return token


def kept_ticket(uploads: Path, token: str | None) -> bytes | None:
    if not token or not _KEPT_TOKEN.fullmatch(token):
        return None
    path = uploads / "kept" / token
    return path.read_bytes() if path.is_file() else None


def forget_ticket(uploads: Path, token: str | None) -> None:
    if token and _KEPT_TOKEN.fullmatch(token):
        (uploads / "kept" / token).unlink(missing_ok=True)


def forget_old_tickets(uploads: Path, now: datetime | None = None) -> int:
    """Tickets kept for forms never sent again: they name a passenger, so they go."""
    return delete_older_than(uploads / "kept", (now or utcnow()) - KEPT_FOR)


@dataclass(frozen=True)
class DocumentView:
    id: int
    kind: str
    content_type: str
    size: int
    stored_name: str


def documents(session_factory: SessionFactory, claim_id: int) -> list[DocumentView]:
    with session_factory() as session:
        return [DocumentView(d.id, d.kind, d.content_type, d.size, d.stored_name)
                for d in session.scalars(select(ClaimDocument).where(
                    ClaimDocument.claim_id == claim_id).order_by(ClaimDocument.id))]
