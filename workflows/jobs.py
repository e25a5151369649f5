"""RQ jobs: they take ids, reload state and call one service function."""

from __future__ import annotations

from claims.services import assess_claim
from workflows import runtime


def assess_claim_job(claim_id: int) -> str:
    return assess_claim(runtime.current().session_factory, claim_id).value


def noop_job() -> None:
    """Does nothing: the bench measures the queue's own ceiling with it."""
