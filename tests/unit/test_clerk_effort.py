"""Clerk handling time, touches and handovers from small event logs worked out by hand."""

from datetime import UTC, datetime, timedelta

from claims.core.effort import IDLE_CUTOFF, LoggedEvent, clerk_effort

START = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _at(minutes: float, kind: str, clerk: int | None, actor: str = "clerk") -> LoggedEvent:
    return LoggedEvent(START + timedelta(minutes=minutes), kind, actor, clerk)


def test_one_clerk_one_stretch() -> None:
    effort = clerk_effort([_at(0, "claim_submitted", None, "passenger"),
                           _at(5, "claim_taken", 1), _at(5, "work_started", 1),
                           _at(7.5, "claim_decided", 1), _at(7.5, "work_ended", 1)])
    assert (effort.seconds, effort.touches, effort.clerks, effort.handovers) == (150, 1, 1, 0)


def test_a_stretch_left_idle_counts_only_up_to_the_cut_off() -> None:
    effort = clerk_effort([_at(0, "work_started", 1), _at(45, "work_ended", 1)])
    assert effort.seconds == IDLE_CUTOFF.total_seconds() == 600


def test_a_stretch_not_ended_runs_to_now_and_never_past_the_cut_off() -> None:
    started = [_at(0, "claim_taken", 1), _at(0, "work_started", 1)]
    # One second after taking it: one second, not the whole cut-off.
    assert clerk_effort(started, now=START + timedelta(seconds=1)).seconds == 1
    assert clerk_effort(started, now=START + timedelta(minutes=45)).seconds == 600
    # Without a clock: up to the last thing that happened to the claim.
    taken_over = [*started, _at(4, "claim_taken", 2)]
    assert clerk_effort(taken_over).seconds == 240


def test_a_handover_between_two_clerks() -> None:
    effort = clerk_effort([
        _at(0, "claim_taken", 1), _at(0, "work_started", 1), _at(3, "work_ended", 1),
        _at(60, "claim_taken", 2), _at(60, "work_started", 2), _at(61, "work_ended", 2),
        _at(90, "work_started", 2), _at(92, "work_ended", 2)])
    # 3 min + 1 min + 2 min; three stretches; two clerks; one handover.
    assert (effort.seconds, effort.touches, effort.clerks, effort.handovers) == (360, 3, 2, 1)
