"""The per-claim effort record from small event logs worked out by hand."""

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from claims.core.effort import ClaimFacts, LoggedEvent, effort_record

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _e(minutes: float, kind: str, actor: str = "passenger", actor_id: int | None = None,
       **counts: object) -> LoggedEvent:
    _e.next_id += 1  # type: ignore[attr-defined]
    return LoggedEvent(T0 + timedelta(minutes=minutes), kind, actor, actor_id, dict(counts),
                       _e.next_id)  # type: ignore[attr-defined]


_e.next_id = 0  # type: ignore[attr-defined]


def _claim(**changes: object) -> ClaimFacts:
    values: dict[str, object] = dict(
        claim_id=7, operator_id=1, regime="eu-rail", status="approved", manual=False,
        submitted_at=T0 + timedelta(minutes=2), decided_at=T0 + timedelta(minutes=2, seconds=3),
        amount=Decimal("19.75"), reason_codes=(), ces_score=6)
    values.update(changes)
    return ClaimFacts(**values)  # type: ignore[arg-type]


def test_a_clear_claim_is_touchless_and_costs_the_passenger_two_minutes() -> None:
    events = [
        _e(0, "booking_found"),
        _e(0.5, "claim_form_shown", fields_shown=4, fields_prefilled=2),
        _e(1.5, "claim_form_rejected", errors=2),
        _e(2, "claim_submitted", fields_typed=1, fields_changed=0, fields="statement",
           keystrokes=40, clicks=5),
        _e(2.05, "assessment_started", "system"), _e(2.05, "claim_decided", "system"),
        _e(2.1, "receipt_mailed", "system"), _e(2.1, "decision_mailed", "system"),
        _e(3, "status_viewed"), _e(60, "status_viewed"),
        _e(24 * 60, "claim_paid", "system"), _e(24 * 60, "payout_mailed", "system"),
    ]
    record, drivers = effort_record(_claim(), events)
    assert record["path"] == "touchless"
    assert (record["touchless_decision"], record["touchless_payout"]) == (True, True)
    assert (record["decision_seconds"], record["payout_seconds"]) == (3, 24 * 3600 - 120)
    assert (record["fields_shown"], record["fields_prefilled"], record["fields_typed"]) == (
        4, 2, 1)
    assert (record["keystrokes"], record["clicks"]) == (40, 5)
    assert record["active_seconds"] == 120  # booking found at 0:00, submitted at 2:00
    assert (record["validation_errors"], record["submit_attempts"]) == (2, 2)
    assert record["steps"] == 4  # found, form, form sent back, filed
    assert record["queue_seconds"] is None  # never waited for a clerk
    assert record["contacts"] == 2  # two status look-ups after submitting
    assert record["jobs"] == 1 + 3  # one assessment, three mails
    assert (record["clerk_seconds"], record["touches"], record["ces_score"]) == (0, 0, 6)
    assert drivers == {"field:statement"}


def test_without_javascript_keystrokes_are_unknown_not_zero() -> None:
    record, _ = effort_record(_claim(), [_e(0, "claim_submitted", fields_typed=0)])
    assert (record["keystrokes"], record["clicks"]) == (None, None)


def test_a_claim_a_clerk_handled_counts_the_clerks_time_and_the_request() -> None:
    events = [
        _e(0, "claim_submitted", fields_typed=0),
        _e(0.1, "claim_decided", "system", reason_count=1),
        _e(30, "claim_taken", "clerk", 5), _e(30, "work_started", "clerk", 5),
        _e(33, "info_requested", "clerk", 5, items=2, asked="iban statement"),
        _e(33, "work_ended", "clerk", 5),
        _e(40, "info_provided"),  # 7 minutes after the last step: counted as work
        _e(200, "claim_taken", "clerk", 6), _e(200, "work_started", "clerk", 6),
        _e(201, "claim_decided", "clerk", 6), _e(201, "work_ended", "clerk", 6),
    ]
    claim = _claim(submitted_at=T0, decided_at=T0 + timedelta(minutes=201),
                   reason_codes=("passenger-statement",))
    record, drivers = effort_record(claim, events)
    assert record["path"] == "clerk" and record["touchless_decision"] is False
    assert record["decision_seconds"] == 201 * 60
    assert (record["clerk_seconds"], record["touches"], record["clerks"],
            record["handovers"]) == (4 * 60, 2, 2, 1)
    assert record["info_requests"] == 1
    assert record["queue_seconds"] == round((30 - 0.1) * 60)  # routed at 0:06, opened at 30:00
    # Passenger: the submit, then 40 - 0 = 40 min later the answer: a break over 30 min.
    assert record["active_seconds"] == 0
    assert drivers == {"reason:passenger-statement", "asked:iban", "asked:statement"}


def test_a_typed_statement_the_rules_made_a_reason_is_one_driver_not_two() -> None:
    """The statement typed is what the reason passenger-statement stands for: the report
    showed the same claims twice, as "field typed: statement" and as the reason."""
    events = [_e(0, "claim_submitted", fields_typed=1, fields="statement iban")]
    _record, alone = effort_record(_claim(), events)
    assert alone == {"field:statement", "field:iban"}
    _record, with_reason = effort_record(
        _claim(reason_codes=("passenger-statement",)), events)
    assert with_reason == {"reason:passenger-statement", "field:iban"}


def test_a_claim_without_a_booking_is_its_own_path_with_its_document() -> None:
    events = [_e(0, "claim_submitted", fields_typed=10, fields_prefilled=0, documents=1),
              _e(0, "document_uploaded", size=1000)]
    record, drivers = effort_record(_claim(manual=True, status="needs_review"), events)
    assert record["path"] == "no-booking" and record["uploads"] == 1
    assert record["decision_seconds"] is None
    assert "document:ticket" in drivers
