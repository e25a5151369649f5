"""The labels that name a message in the log and its file in the development outbox
(`<instance>/outbox/<time>-<label>.eml`): ids and the notice's kind, never the passenger.
Erasure finds a claim's and a booking's messages by them."""

from __future__ import annotations

from common.settings import OUTBOX_FOLDER


def claim_mail(claim_id: int, kind: str) -> str:
    return f"claim-{claim_id}-{kind}"


def invitation_mail(booking_id: int, direction: str) -> str:
    return f"booking-{booking_id}-{direction}-invitation"


def outbox_files_of_claim(claim_id: int) -> str:
    """A glob under the instance folder; the hyphen after the id keeps claim 1 from
    matching claim 12."""
    return f"{OUTBOX_FOLDER}/*-{claim_mail(claim_id, '*')}.eml"


def outbox_files_of_booking(booking_id: int) -> str:
    return f"{OUTBOX_FOLDER}/*-{invitation_mail(booking_id, '*')}.eml"
