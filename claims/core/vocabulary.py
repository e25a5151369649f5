"""The product's vocabulary, each word defined once: regimes, claim statuses and the
groups of them the code asks about, actors, event kinds, roles, reason codes, notices."""

from __future__ import annotations

from enum import StrEnum


class Regime(StrEnum):
    EU_RAIL = "eu-rail"
    EU_AIR = "eu-air"
    UK_RAIL = "uk-rail"


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"
    ASSESSING = "assessing"
    APPROVED = "approved"
    REJECTED = "rejected"
    NEEDS_REVIEW = "needs_review"
    INFO_REQUESTED = "info_requested"
    PAID = "paid"
    WITHDRAWN = "withdrawn"
    # Proactive compensation: offered to the passenger without a claim, and declined.
    OFFERED = "offered"
    DECLINED = "declined"
    # Paid, but the bank sent the money back or refused the transfer: waits for another
    # account from the passenger.
    PAYOUT_FAILED = "payout_failed"

    @property
    def decided(self) -> bool:
        """Past the automatic assessment: a second assessment run must change nothing."""
        return self not in AWAITING_ASSESSMENT


class Actor(StrEnum):
    PASSENGER = "passenger"
    SYSTEM = "system"
    CLERK = "clerk"


class EventKind(StrEnum):
    BOOKING_FOUND = "booking_found"
    CLAIM_FORM_SHOWN = "claim_form_shown"
    CLAIM_SUBMITTED = "claim_submitted"
    ENQUEUE_FAILED = "enqueue_failed"
    ASSESSMENT_STARTED = "assessment_started"
    CLAIM_DECIDED = "claim_decided"
    ASSESSMENT_FAILED = "assessment_failed"
    TRANSITION_REFUSED = "transition_refused"
    CLAIM_WITHDRAWN = "claim_withdrawn"
    CLAIM_PAID = "claim_paid"
    DECISION_MAILED = "decision_mailed"
    PAYOUT_MAILED = "payout_mailed"
    STATUS_VIEWED = "status_viewed"
    # The clerk workspace: every one carries the clerk's id as actor_id.
    CLAIM_TAKEN = "claim_taken"
    WORK_STARTED = "work_started"
    WORK_ENDED = "work_ended"
    INFO_REQUESTED = "info_requested"
    INFO_REQUEST_MAILED = "info_request_mailed"
    # The passenger's side of an information request and of an objection.
    INFO_PROVIDED = "info_provided"
    APPEALED = "appealed"
    # The passenger path's effort: a form sent back with errors, a survey answered.
    CLAIM_FORM_REJECTED = "claim_form_rejected"
    MANUAL_FORM_SHOWN = "manual_form_shown"
    DOCUMENT_UPLOADED = "document_uploaded"
    SURVEY_ANSWERED = "survey_answered"
    RECEIPT_MAILED = "receipt_mailed"
    # A clerk's amount: old and new, and why (staff text, not the passenger's).
    AMOUNT_PROPOSED = "amount_proposed"
    AMOUNT_SET = "amount_set"
    # The audit of personal data: a staff member opened the claim file.
    CLAIM_FILE_OPENED = "claim_file_opened"
    # Status links: a clerk ended every link of a claim; the passenger asked for a new one.
    STATUS_LINKS_REVOKED = "status_links_revoked"
    STATUS_LINK_REQUESTED = "status_link_requested"
    STATUS_LINK_MAILED = "status_link_mailed"
    # The passenger's personal data erased: on request (actor_id: the staff member) or
    # by the retention job (actor: system).
    PERSONAL_DATA_ERASED = "personal_data_erased"
    # Proactive compensation. An offer made (again, when corrected data change it),
    # accepted, declined, withdrawn (corrected data: nothing due any more); a raise of the
    # amount after corrected data (a top-up once paid); a correction that changed nothing
    # (after payment nothing is ever taken back); a passenger invited to file.
    OFFER_MADE = "offer_made"
    OFFER_ACCEPTED = "offer_accepted"
    OFFER_DECLINED = "offer_declined"
    OFFER_WITHDRAWN = "offer_withdrawn"
    AMOUNT_RAISED = "amount_raised"
    CORRECTION_KEPT = "correction_kept"
    FILING_INVITED = "filing_invited"
    OFFER_MAILED = "offer_mailed"
    TOP_UP_PAID = "top_up_paid"
    # A payout run could not pay an approved claim (nowhere to send it): a clerk looks.
    PAYOUT_HELD = "payout_held"
    INVITATION_MAILED = "invitation_mailed"
    # The bank's feedback on a transfer (pain.002, camt.054): accepted, or returned or
    # rejected (with the bank's reason code), the passenger told, and the account they
    # gave instead.
    PAYMENT_CONFIRMED = "payment_confirmed"
    PAYMENT_RETURNED = "payment_returned"
    PAYOUT_FAILED_MAILED = "payout_failed_mailed"
    NEW_ACCOUNT_GIVEN = "new_account_given"


class Origin(StrEnum):
    """Who started the claim: the passenger, or the operations data."""

    PASSENGER = "passenger"
    PROACTIVE = "proactive"


class ProactiveMode(StrEnum):
    """An operator's choice: no proactive compensation, an offer to accept, or payment."""

    OFF = "off"
    OFFER = "offer"
    PAYOUT_FAILED = "payout_failed"
    PAY = "pay"


class Role(StrEnum):
    CLERK = "clerk"
    MANAGER = "manager"


# Every regime, in the order forms and documents list them.
REGIMES: tuple[str, ...] = tuple(regime.value for regime in Regime)

# Filed, the rules not yet done with it.
AWAITING_ASSESSMENT = frozenset({ClaimStatus.SUBMITTED, ClaimStatus.ASSESSING})
# A decision the passenger has been told (or will be): the letter, the survey, the notice.
DECIDED = frozenset({ClaimStatus.APPROVED, ClaimStatus.REJECTED, ClaimStatus.PAID})
# Waiting for a clerk's decision.
AWAITING_CLERK = frozenset({ClaimStatus.NEEDS_REVIEW})
# Past the automatic assessment: decided by the rules, or handed to a person.
ASSESSED = DECIDED | AWAITING_CLERK | {ClaimStatus.INFO_REQUESTED}


class ReasonCode(StrEnum):
    """Why a claim left the straight-through path: the one documented list. Drives the
    clerk queue and the effort reports."""

    NO_OPERATIONS_DATA = "no-operations-data"      # no arrival record for the journey yet
    NO_ARRIVAL_TIME = "no-arrival-time"            # a record, but no arrival time in it
    CANCELLED = "cancelled"                        # a cancelled train: real arrival unknown
    MISSED_CONNECTION = "missed-connection"        # an earlier leg arrived after the next left
    SEASON_TICKET = "season-ticket"                # the pass's cap needs its payout history
    PASSENGER_STATEMENT = "passenger-statement"    # the passenger says it was otherwise
    AMOUNT_OVER_LIMIT = "amount-over-limit"        # above the operator's auto-approve limit
    POSSIBLE_DUPLICATE = "possible-duplicate"      # same name, same train, another booking
    NAME_CHANGED = "name-changed"                  # fraud signal: surname differs from booking
    PAST_DEADLINE = "past-deadline"                # filed after the regime's claim deadline
    JOB_FAILED = "job-failed"                      # the assessment failed after its retries
    NO_BOOKING = "no-booking"                      # filed without a booking (manual path)
    APPEAL = "appeal"                              # the passenger objected to a rejection
    # Money to the right person: whoever finds a booking may file for it, so a typed
    # account is checked by a person before money goes there.
    PAYOUT_ACCOUNT_CHANGED = "payout-account-changed"  # an IBAN typed over the one on file
    PAYOUT_HOLDER_DIFFERS = "payout-holder-differs"    # the account holder is not the passenger
    NO_PAYOUT_ACCOUNT = "no-payout-account"  # approved, but the account on file went away
    PAYOUT_NOT_POSSIBLE = "payout-not-possible"  # approved, nowhere to pay (data erased)
    # The right train's data: a record whose own scheduled arrival is more than 30 minutes
    # off the leg's is another train's (core.journey.is_the_legs_train), and is not used.
    OPERATIONS_MISMATCH = "operations-mismatch"
    # The passenger answered a clerk's question with a fact the rules read (an arrival, a
    # price): they ran again and found no clear approval, so the clerk decides.
    PASSENGER_ANSWERED = "passenger-answered"


# About the claim or its passenger, not about the train: a cohort decision (a clerk
# confirming the cause of one train's disruption) never clears them.
PERSONAL_REASONS = frozenset({
    ReasonCode.NAME_CHANGED, ReasonCode.POSSIBLE_DUPLICATE, ReasonCode.AMOUNT_OVER_LIMIT,
    ReasonCode.PAST_DEADLINE, ReasonCode.SEASON_TICKET, ReasonCode.APPEAL,
    ReasonCode.NO_BOOKING, ReasonCode.PAYOUT_ACCOUNT_CHANGED,
    ReasonCode.PAYOUT_HOLDER_DIFFERS, ReasonCode.NO_PAYOUT_ACCOUNT,
    ReasonCode.PAYOUT_NOT_POSSIBLE,
    # Decided with what the passenger answered (an arrival, a price), which a cohort's
    # operations data would overrule.
    ReasonCode.PASSENGER_ANSWERED})
# Where the money goes: a passenger's objection is about the decision, not about the
# account, so these stay on the claim beside "appeal" for the clerk who takes it again.
PAYOUT_REASONS = frozenset({
    ReasonCode.PAYOUT_ACCOUNT_CHANGED, ReasonCode.PAYOUT_HOLDER_DIFFERS,
    ReasonCode.NO_PAYOUT_ACCOUNT, ReasonCode.PAYOUT_NOT_POSSIBLE})


class Direction(StrEnum):
    """Each direction of a return ticket is a journey of its own, claimed on its own."""

    OUTBOUND = "outbound"
    RETURN = "return"


class NoticeKind(StrEnum):
    DECISION = "decision"
    PAYOUT = "payout"
    INFO_REQUEST = "info_request"
    RECEIPT = "receipt"
    NEW_LINK = "new_link"
    OFFER = "offer"
    PAYOUT_FAILED = "payout_failed"
