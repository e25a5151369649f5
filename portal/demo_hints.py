"""What `demo seed` and `demo show` print about the demo's money, read from the database
and the instance folder (so a second `make run` prints what is true now): when each
operator's payout run is next due, the returned transfer waiting for another account,
and where the manager reads the time to money."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import click
from sqlalchemy import select

from claims.core.payout_schedule import parse_schedule
from claims.core.vocabulary import ClaimStatus, NoticeKind
from claims.db.models import Booking, Claim, Operator
from claims.db.types import utcnow
from tools import demo, demo_money
from workflows.runtime import Runtime

# A valid IBAN of another bank, for the passenger to type.
NEW_ACCOUNT_EXAMPLE = "DE44 5001 0517 5407 3249 31"
RETURNED_NOW = {
    ClaimStatus.PAYOUT_FAILED: "waiting for another account",
    ClaimStatus.APPROVED: "another account given: the next run pays it there",
    ClaimStatus.PAID: "paid again, to the account she gave",
}


def print_returned_transfer(current: Runtime) -> None:
    with current.session_factory() as session:
        claim = session.execute(
            select(Claim.id, Claim.status, Claim.amount, Claim.currency)
            .join(Booking, Booking.id == Claim.booking_id)
            .where(Booking.reference == demo.RETURNED_REFERENCE)).first()
    outbox = current.settings.outbox_path
    mails = sorted(outbox.glob(f"*-claim-{claim.id}-{NoticeKind.PAYOUT_FAILED}.eml")) \
        if claim is not None and outbox.exists() else []
    if claim is None or not mails:
        return
    report = current.settings.instance_path / demo_money.EXAMPLE_REPORT
    now = RETURNED_NOW.get(ClaimStatus(claim.status), str(claim.status))
    click.echo(
        f"\nA returned transfer: {demo.RETURNED_REFERENCE} / {demo.RETURNED_SURNAME} was paid "
        f"{claim.amount} {claim.currency} to the account on her booking, and her bank sent "
        f"it back (account closed; the bank's status report, imported as `flask --app wsgi "
        f"payouts feedback FILE` does: {report}). Open {mails[0]}, follow its link and give "
        f"another IBAN (e.g. {NEW_ACCOUNT_EXAMPLE}): Demo Rail's next scheduled run pays "
        f"it there. Now: {now}.")


def print_payout_runs(current: Runtime) -> None:
    zone = ZoneInfo(current.settings.timezone)
    with current.session_factory() as session:
        operators = session.execute(select(Operator.slug, Operator.name,
                                           Operator.payout_schedule,
                                           Operator.payout_next_run_at)
                                    .order_by(Operator.id)).all()
    if not operators:
        return
    click.echo("\nPayout runs (the workers pay approved claims on each operator's schedule; "
               f"files in {current.settings.instance_path / 'payouts'}):")
    for slug, name, schedule, next_run in operators:
        click.echo(f"  {name:<15} {_when(slug, schedule, next_run, zone)}")
    click.echo("Time to money (from the late arrival to the payment file) per operator and "
               f"path: the manager's report, {current.settings.public_url}/reports/.")


def _when(slug: str, text: str, next_run: datetime | None, zone: ZoneInfo) -> str:
    schedule = parse_schedule(text)
    if schedule.kind == "manual" or next_run is None:
        return f"by hand: flask --app wsgi payouts run --operator {slug}"
    every = (f"every {schedule.minutes} minutes" if schedule.kind == "every"
             else f"daily at {schedule.minutes // 60:02d}:{schedule.minutes % 60:02d}")
    due = ("due now" if next_run <= utcnow()
           else f"next at {next_run.astimezone(zone):%Y-%m-%d %H:%M %Z}")
    return f"{every}, {due}"
