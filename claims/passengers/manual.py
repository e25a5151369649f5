"""Claims without a booking (a ticket from a machine or a counter): the passenger types the
journey and uploads the ticket, and a clerk decides. Files are checked by their content,
not by their name, and stored under a name of our choosing."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, time
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import Actor, ClaimStatus, EventKind, Regime
from claims.db.events import record_event
from claims.db.models import Claim, ClaimDocument, Operator
from claims.processing.lifecycle import ClaimNotFound
from common.files import write_private

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
                 "price", "passenger_name", "passenger_email", "iban", "account_holder")


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
    price: Decimal
    passenger_name: str
    passenger_email: str | None
    payout_method: str
    payout_iban: str | None
    payout_holder: str | None
    statement: str | None
    language: str


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
    content_type, extension = document_type(ticket)
    uploads.mkdir(parents=True, exist_ok=True)
    path: Path | None = None
    try:
        with session_factory.begin() as session:
            operator = session.scalar(select(Operator).where(Operator.slug == data.operator))
            if operator is None:
                raise ClaimNotFound(f"no operator {data.operator}")
            currency = "GBP" if operator.regime == Regime.UK_RAIL else "EUR"
            claim = Claim(
                booking_id=None, operator_id=operator.id, regime=operator.regime,
                status=ClaimStatus.SUBMITTED, language=data.language,
                passenger_name=data.passenger_name, passenger_email=data.passenger_email,
                statement=data.statement, payout_method=data.payout_method,
                payout_iban=data.payout_iban, payout_holder=data.payout_holder,
                currency=currency,
                manual_journey={
                    "service": data.service, "origin": data.origin,
                    "destination": data.destination, "date": data.travel_date.isoformat(),
                    "scheduled_arrival": data.scheduled_arrival.strftime("%H:%M"),
                    "price": f"{data.price:.2f}", "currency": currency})
            session.add(claim)
            session.flush()
            stored_name = f"{claim.id}-{secrets.token_hex(16)}{extension}"
            path = uploads / stored_name
            write_private(path, ticket, overwrite=False)
            session.add(ClaimDocument(claim_id=claim.id, kind="ticket",
                                      stored_name=stored_name, content_type=content_type,
                                      size=len(ticket)))
            record_event(session, EventKind.CLAIM_SUBMITTED, Actor.PASSENGER,
                         claim_id=claim.id, fields_typed=typed_fields, fields_prefilled=0,
                         documents=1)
            record_event(session, EventKind.DOCUMENT_UPLOADED, Actor.PASSENGER,
                         claim_id=claim.id, size=len(ticket))
            return claim.id
    except BaseException:
        if path is not None:
            path.unlink(missing_ok=True)
        raise


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
