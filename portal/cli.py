"""`flask --app wsgi ...` commands: database, imports, operators, users, demo data."""

from __future__ import annotations

import os
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from datetime import date
from pathlib import Path

import click
from flask import Flask
from flask.cli import AppGroup
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from claims.core.vocabulary import REGIMES, NoticeKind, ProactiveMode, Role
from claims.db import crypto, key_rotation, migrate
from claims.db.models import Booking
from claims.operators import accounts
from claims.operators.imports import ImportReport, import_bookings, import_operations
from claims.operators.record_stream import RecordStream
from claims.passengers import filing
from claims.processing import bank_feedback, payouts, proactive
from claims.processing.assessment import assess_claims
from claims.reporting.effort_catch_up import refresh_all
from portal import demo_hints
from portal.extensions import runtime
from tools import demo, demo_history, demo_money
from workflows.jobs import send_notice
from workflows.pipeline import announce_payouts, erase_expired_data, notify, start_proactive_checks

db_cli = AppGroup("db", help="The database schema.")
operators_cli = AppGroup("operators", help="Operators and their API keys.")
bookings_cli = AppGroup("bookings", help="Booking imports.")
operations_cli = AppGroup("operations", help="Operations data imports.")
users_cli = AppGroup("users", help="Clerk and manager accounts.")
demo_cli = AppGroup("demo", help="Demo data.")
payouts_cli = AppGroup("payouts", help="Paying approved claims.")
keys_cli = AppGroup("keys", help="The keys IBANs are encrypted under at rest.")
retention_cli = AppGroup("retention", help="Erasing personal data after the retention period.")
effort_cli = AppGroup("effort", help="The effort records the reports read.")

WEEKS_TEXT = f"the {demo_history.WEEKS} weeks before the last {demo_history.RECENT_DAYS} days"
DEMO_PASSWORDS = {"clerk@demo.example": ("clerk", "demo-clerk-2026"),
                  "manager@demo.example": ("manager", "demo-manager-2026")}


@db_cli.command("upgrade")
def db_upgrade() -> None:
    """Migrate the database to the newest schema."""
    migrate.upgrade(runtime().engine)
    click.echo("database schema is current")


@keys_cli.command("new")
def keys_new() -> None:
    """Print a new key: put it first in IBAN_KEYS, then run `keys rotate`."""
    click.echo(crypto.new_key())


@keys_cli.command("rotate")
def keys_rotate() -> None:
    """Re-encrypt every stored IBAN under the first key of IBAN_KEYS."""
    try:
        changed = key_rotation.rotate_all(runtime().engine)
    except crypto.UnknownKey as error:
        raise click.ClickException(f"{error}; nothing was changed") from None
    click.echo(f"{changed} IBANs re-encrypted under the first key; the other keys in "
               "IBAN_KEYS can now be removed")


@retention_cli.command("run")
def retention_run() -> None:
    """Erase the personal data of claims closed or unanswered, and of bookings never
    claimed, untouched for RETENTION_DAYS, now (the workers' sweepers do it every hour)."""
    current = runtime()
    erased = erase_expired_data(current.session_factory, current.settings, current.redis,
                                hourly=False)
    click.echo(f"personal data of {erased} closed or unanswered claims erased, and of the "
               f"bookings nobody claimed (untouched for {current.settings.retention_days} "
               "days)")


@effort_cli.command("catch-up")
@click.option("--processes", type=click.IntRange(min=1), default=os.cpu_count() or 1,
              show_default=True, help="Builder processes (PostgreSQL; SQLite uses one).")
def catch_up_with_the_event_log(processes: int) -> None:
    """Build the effort records of every event logged so far (the workers' sweepers follow
    the log as it grows): after restoring a database, or for a million claims at once."""
    started = time.perf_counter()
    built = refresh_all(runtime().session_factory, processes=processes)
    click.echo(f"{built} effort records built in {time.perf_counter() - started:.1f} s")


@operators_cli.command("create")
@click.argument("slug")
@click.option("--name", required=True, help="The operator's name as passengers know it.")
@click.option("--regime", required=True, type=click.Choice(REGIMES))
def operators_create(slug: str, name: str, regime: str) -> None:
    """Create an operator and print its API key (shown only this once)."""
    try:
        key = accounts.create_operator(runtime().session_factory, slug, name, regime)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    click.echo(key)


@operators_cli.command("configure")
@click.argument("slug")
@click.option("--minimum-payout", help="EU rail: refuse amounts under this (at most 4.00).")
@click.option("--scheme", type=click.Choice(["DR15", "DR30"]), help="UK Delay Repay scheme.")
@click.option("--season-flat-amount", help="EU rail: flat amount per delay on a season ticket.")
@click.option("--season-cap-percent", type=int, help="Cap on season-ticket payouts, % of value.")
@click.option("--auto-approve-limit", help="Amounts above this go to a clerk.")
@click.option("--second-approval-above",
              help="A clerk's approval above this waits for a second person.")
@click.option("--payout-account-name", help="Name on the account payouts are sent from.")
@click.option("--payout-account-iban", help="IBAN of the account payouts are sent from.")
@click.option("--proactive", type=click.Choice([mode.value for mode in ProactiveMode]),
              help="Compensation without a claim: off, offer (one click to accept) or pay.")
@click.option("--payout-schedule", metavar="manual|daily@HH[:MM]|every:N",
              help="When the workers pay approved claims: only by hand (manual), at a daily "
                   "cut-off in TIMEZONE (daily@14), or every N minutes (every:15).")
@click.option("--sepa-instant/--no-sepa-instant", default=None,
              help="Euro payouts as SEPA Instant (pain.001.001.09, INST) or standard.")
def operators_configure(slug: str, minimum_payout: str | None, scheme: str | None,
                        season_flat_amount: str | None, season_cap_percent: int | None,
                        auto_approve_limit: str | None, second_approval_above: str | None,
                        payout_account_name: str | None,
                        payout_account_iban: str | None, proactive: str | None,
                        payout_schedule: str | None, sepa_instant: bool | None) -> None:
    """Change an operator's rule and payout settings; prints the whole configuration."""
    current = runtime()
    try:
        configuration = accounts.configure_operator(
            current.session_factory, slug, minimum_payout=minimum_payout, uk_scheme=scheme,
            season_flat_amount=season_flat_amount, season_cap_percent=season_cap_percent,
            auto_approve_limit=auto_approve_limit, second_approval_above=second_approval_above,
            payout_account_name=payout_account_name,
            payout_account_iban=payout_account_iban, proactive_mode=proactive,
            payout_schedule=payout_schedule, sepa_instant=sepa_instant,
            timezone=current.settings.timezone)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    for key, value in vars(configuration).items():
        click.echo(f"{key.replace('_', '-')}: {value}")


def _print_report(report: ImportReport, what: str) -> None:
    for line, reason in report.rejected:
        click.echo(f"line {line}: {reason}", err=True)
    if report.rejected_count > len(report.rejected):
        click.echo(f"(the first {len(report.rejected)} of {report.rejected_count} rejected "
                   "lines are listed)", err=True)
    click.echo(f"{what}: {report.created} created, {report.replaced} replaced, "
               f"{report.rejected_count} rejected")
    if report.rejected_count:
        sys.exit(1)


@contextmanager
def _records(file: Path) -> Iterator[RecordStream]:
    """The file read as the API reads a body: piece by piece, whatever its size."""
    if str(file) == "-":
        yield RecordStream(sys.stdin.buffer)
        return
    with file.open("rb") as stream:
        yield RecordStream(stream)


@bookings_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True, dir_okay=False,
                                        exists=True))
def bookings_import(file: Path) -> None:
    """Import bookings from a FILE of JSON Lines or a JSON array (- for standard input)."""
    with _records(file) as records:
        report = import_bookings(runtime().session_factory, records)
    _print_report(report, "bookings")


@operations_cli.command("import")
@click.argument("file", type=click.Path(path_type=Path, allow_dash=True, dir_okay=False,
                                        exists=True))
def operations_import(file: Path) -> None:
    """Import operations records from a FILE of JSON Lines or a JSON array (- for standard
    input); the journeys they touch are then checked for proactive compensation by the
    workers."""
    current = runtime()
    with _records(file) as records:
        report = import_operations(current.session_factory, records)
    if report.accepted:
        start_proactive_checks(current.redis, current.settings.rq_worker_count)
    _print_report(report, "operations records")


@payouts_cli.command("run")
@click.option("--operator", metavar="SLUG", help="Pay only this operator's claims.")
def payouts_run(operator: str | None) -> None:
    """Pay every approved claim once: SEPA files (pain.001), Bacs Standard 18 files for
    UK accounts, payment lists otherwise, into instance/payouts/. The workers do the same
    for operators with a payout schedule."""
    current = runtime()
    summaries, problems = payouts.run_payouts(current.session_factory,
                                              current.settings.instance_path / "payouts",
                                              operator=operator)
    for run in summaries:
        click.echo(f"{run.operator}: run {run.run_id}, {run.transfers} transfers, "
                   f"{run.vouchers} vouchers, {run.total} {run.currency}"
                   + (f" -> {run.file}" if run.file else ""))
    if not summaries:
        click.echo("nothing to pay")
    # The payouts are committed: tell the passengers. The sweeper catches any not queued.
    announce_payouts(current.redis, summaries)
    for problem in problems:
        click.echo(problem, err=True)
    if problems:
        sys.exit(1)


@payouts_cli.command("feedback")
@click.argument("files", nargs=-1, type=click.Path(path_type=Path, dir_okay=False,
                                                    exists=True))
@click.option("--folder", type=click.Path(path_type=Path, file_okay=False, exists=True),
              help="Import every file in this folder once (applied ones go to done/, "
                   "unreadable ones to refused/).")
def payouts_feedback(files: tuple[Path, ...], folder: Path | None) -> None:
    """Import the bank's status files (pain.002, camt.054): transfers accepted are
    confirmed; returned or refused ones wait for another account from the passenger."""
    if not files and folder is None:
        raise click.UsageError("name the bank's files, or --folder")
    current = runtime()
    results = [bank_feedback.FolderResult(file.name, None, str(error))
               if isinstance(error := _import_bank_file(current.session_factory, file), str)
               else bank_feedback.FolderResult(file.name, error) for file in files]
    if folder is not None:
        results += bank_feedback.import_folder(current.session_factory, folder)
    trouble = False
    for result in results:
        if result.report is None:
            click.echo(f"{result.name}: refused, nothing applied: {result.refused}", err=True)
            trouble = True
            continue
        for line, problem in result.report.problems:
            click.echo(f"{result.name} line {line}: {problem}", err=True)
        trouble = trouble or bool(result.report.problems)
        click.echo(f"{result.name}: {result.report.confirmed} confirmed, "
                   f"{result.report.returned} returned, {result.report.unchanged} unchanged, "
                   f"{len(result.report.problems)} not ours")
        # Committed: ask the passengers for another account. The sweeper catches any not
        # queued.
        for claim_id in result.report.failed_claims:
            notify(current.redis, claim_id, NoticeKind.PAYOUT_FAILED)
    if not results:
        click.echo("no bank files")
    if trouble:
        sys.exit(1)


def _import_bank_file(factory: sessionmaker[Session],
                      file: Path) -> bank_feedback.FeedbackReport | str:
    try:
        return bank_feedback.import_bank_file(factory, file.read_bytes())
    except bank_feedback.BankFileError as error:
        return str(error)


@users_cli.command("create")
@click.argument("email")
@click.option("--role", required=True, type=click.Choice([r.value for r in Role]))
@click.password_option(help="At least 10 characters; asked for when not given.")
def users_create(email: str, role: str, password: str) -> None:
    """Create a clerk or manager account."""
    try:
        accounts.create_user(runtime().session_factory, email, role, password)
    except accounts.AccountError as error:
        raise click.UsageError(str(error)) from None
    click.echo(f"{role} {email} created")


@demo_cli.command("seed")
@click.option("--seed", default=1, show_default=True, help="Same seed, same data.")
@click.option("--bookings", "count", default=3000, show_default=True)
@click.option("--if-empty", is_flag=True, help="Do nothing when bookings exist already.")
def demo_seed(seed: int, count: int, if_empty: bool) -> None:
    """Create the demo operators, bookings, operations data and staff accounts."""
    current = runtime()
    factory = current.session_factory
    if if_empty and _has_bookings(factory):
        click.echo("demo data: the database has bookings already; nothing seeded")
        _print_demo(demo.generate(seed, len(demo.FEATURED)).featured)
        return
    data = demo.generate(seed, count)
    for operator in demo.OPERATORS:
        # Seeded before: the operator and its key stay, its bookings are replaced below.
        with suppress(accounts.AccountError):
            accounts.create_operator(factory, operator.slug, operator.name, operator.regime)
        accounts.configure_operator(factory, operator.slug,
                                    payout_account_name=operator.name,
                                    payout_account_iban=operator.payout_iban,
                                    payout_schedule=operator.payout_schedule,
                                    timezone=current.settings.timezone)
    for email, (role, password) in DEMO_PASSWORDS.items():
        with suppress(accounts.AccountError):
            accounts.create_user(factory, email, role, password)
    bookings = import_bookings(factory, demo.numbered(data.bookings))
    operations = import_operations(factory, demo.numbered(data.operations))
    click.echo(f"demo data: {bookings.accepted} bookings, {operations.accepted} operations "
               f"records (seed {seed})")
    # Before the other claims are decided: her payout run pays Demo Rail's approved ones.
    returned = demo_money.returned_transfer(
        factory, current.settings.instance_path, date.today(),
        lambda claim_id, kind: send_notice(current, claim_id, kind, throttled=False))
    if returned:
        click.echo(f"demo returned transfer: {demo.RETURNED_REFERENCE} paid, and sent back "
                   f"by the bank ({returned.report})")
    outcomes = _file_demo_claims(factory, data)
    click.echo(f"demo claims: {sum(outcomes.values())} filed and assessed: "
               + ", ".join(f"{n} {status}" for status, n in sorted(outcomes.items())))
    history = demo_history.write_history(factory, seed)
    if history:
        click.echo(f"demo history: {WEEKS_TEXT}: {history['touchless'] + history['clerk']} "
                   f"claims ({history['touchless']} straight through, {history['clerk']} by "
                   f"clerks, {history['storm']} on a storm day), {history['abandoned']} forms "
                   "left unsent")
        confirmed = demo_money.confirm_history_transfers(factory)
        click.echo(f"demo bank feedback: {confirmed} transfers of the history confirmed "
                   "(pain.002 imported)")
    # What the workers do after an import, here at once: the seed's records checked.
    checked = proactive.check_all(factory)
    click.echo(f"demo journeys checked for proactive compensation: {checked.journeys} "
               f"({checked.outcomes.get('off', 0)} due but not offered: their operators' "
               "mode is off)")
    _demo_offer(factory)
    _print_demo(data.featured)


def _demo_offer(factory: sessionmaker[Session]) -> None:
    """Demo Rail switches to offers; a late train reported afterwards makes Lena Sommer an
    offer, which is mailed (to the outbox) at once."""
    accounts.configure_operator(factory, "demo-rail", proactive_mode=ProactiveMode.OFFER)
    booking, operations = demo.offer_scenario(date.today())
    import_bookings(factory, demo.numbered([booking]))
    import_operations(factory, demo.numbered([operations]))
    for claim_id in proactive.check_all(factory).offers:
        send_notice(runtime(), claim_id, NoticeKind.OFFER, throttled=False)


def _has_bookings(factory: sessionmaker[Session]) -> bool:
    with factory() as session:
        return session.scalars(select(Booking.id).limit(1)).first() is not None


def _file_demo_claims(factory: sessionmaker[Session], data: demo.DemoData) -> Counter[str]:
    """Claims of other passengers, decided by the rules as the workers would: the clerk
    queue and the reports start with something in them."""
    statements = dict(data.claims)
    with factory() as session:
        rows = session.execute(select(Booking.id, Booking.reference, Booking.passenger_name,
                                      Booking.passenger_email, Booking.payment_iban)
                               .where(Booking.reference.in_(statements))
                               .order_by(Booking.id)).all()
    claim_ids = []
    for index, (booking_id, reference, name, email, account) in enumerate(rows):
        # As a passenger would: the account on file where there is one, else a voucher.
        filed = filing.submit_claim(factory, booking_id, filing.ClaimInput(
            passenger_name=name, passenger_email=email, arrived_with_service=None,
            statement=statements[reference], language="de" if index % 2 else "en",
            payout_method="account" if account else "voucher"), effort={})
        if filed.created:
            claim_ids.append(filed.claim_id)
    outcomes: Counter[str] = Counter()
    for start in range(0, len(claim_ids), 100):
        decided = assess_claims(factory, claim_ids[start:start + 100])
        outcomes.update(outcome.status.value for outcome in decided.values())
    return outcomes


@demo_cli.command("show")
@click.option("--seed", default=1, show_default=True)
def demo_show(seed: int) -> None:
    """Print the demo logins and bookings to try."""
    _print_demo(demo.generate(seed, len(demo.FEATURED)).featured)


def _print_demo(featured: list[tuple[str, str, str]]) -> None:
    factory = runtime().session_factory
    click.echo("\nDemo bookings (reference / surname -> what the passenger should see):")
    for reference, surname, _scenario in featured:
        booking_id = filing.find_booking(factory, reference, surname, record_lookup=False)
        if booking_id is None:
            click.echo(f"  {reference} / {surname}: not in this database")
            continue
        draft = filing.prepare_claim(factory, booking_id, record_view=False)
        click.echo(f"  {reference} / {surname:<11} {draft.operator_name}: "
                   f"{_expected(draft)}")
    outbox = runtime().settings.outbox_path
    offers = sorted(outbox.glob("*-offer.eml")) if outbox.exists() else []
    if offers:
        click.echo(f"\nProactive compensation: an offer, no claim needed. Open {offers[0]}, "
                   "follow its link and accept with one click (or look up "
                   f"{demo.OFFER_REFERENCE} / {demo.OFFER_SURNAME}).")
    demo_hints.print_returned_transfer(runtime())
    demo_hints.print_payout_runs(runtime())
    click.echo(f"\nStaff logins (at {runtime().settings.public_url}/clerk/login):")
    for email, (role, password) in DEMO_PASSWORDS.items():
        click.echo(f"  {role:<8} {email}  password: {password}")


def _expected(draft: filing.ClaimDraft) -> str:
    preview = draft.journeys[0].preview
    if preview.reasons:
        return "goes to a clerk (" + ", ".join(preview.reasons) + ")"
    assessment = preview.assessment
    if assessment is None:
        return "no assessment"
    if assessment.eligible:
        share = f" ({assessment.percent} %)" if assessment.percent is not None else ""
        return (f"{assessment.delay_minutes} min late, approved {assessment.amount} "
                f"{assessment.currency}{share}")
    return f"{assessment.delay_minutes} min late, rejected ({assessment.rule})"


def init_app(app: Flask) -> None:
    for group in (db_cli, operators_cli, bookings_cli, operations_cli, users_cli, demo_cli,
                  payouts_cli, keys_cli, retention_cli, effort_cli):
        app.cli.add_command(group)
