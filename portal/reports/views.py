"""Management reports (effort.md): the effort report with its charts, as a page and a PDF,
the per-claim effort table as CSV, and the what-if replay of another policy."""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator
from datetime import date, datetime, timedelta
from decimal import Decimal

from flask import Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup
from redis.exceptions import RedisError

from claims.clerks import staff
from claims.clerks.review import file_openings
from claims.core.amounts import AmountError, parse_amount
from claims.core.vocabulary import REGIMES, ReasonCode
from claims.db.types import utcnow
from claims.reporting import effort_store
from claims.reporting.money_report import time_to_money
from claims.reporting.proactive_report import proactive_figures
from claims.reporting.reports import (
    CostModel,
    Report,
    ReportFilter,
    Week,
    claim_period,
    effort_rows,
    report,
    what_if,
)
from common.spreadsheets import SafeCsvWriter
from portal.auth import role_required
from portal.extensions import runtime
from portal.pdf import render_pdf
from portal.reports import blueprint, charts
from portal.templating import UNNAMED, label, local_date_of, money
from workflows.queues import effort_catch_up_by_worker

log = logging.getLogger(__name__)


def cost_model() -> CostModel:
    settings = runtime().settings
    return CostModel(settings.cost_clerk_per_hour, settings.cost_per_job,
                     settings.cost_per_payout)


# When the page has to catch up itself, it reads at most this many new events before it
# answers (about 0.1 s of work); the sweepers read the rest.
PAGE_CATCH_UP_EVENTS = 2_000
# Events waiting longer than this mean no worker is catching up (none runs, or the queue
# is stuck; the sweepers alone do it every 30 s): the page then does it itself.
WORKERS_CATCH_UP_WITHIN = timedelta(seconds=60)


def _catch_up() -> datetime | None:
    """The records brought up to the event log without the manager waiting: a worker does
    it (one job at a time, queued here) and the next view shows it; returns since when
    events are waiting. Under load the catch-up was over half the page: 78 of 140 ms with
    100 new claims on 4,000 (in one process; 170 ms p50 and 350 ms p95 in bench/load.py).
    With no worker listening, events left waiting for a minute, or Redis away, the page
    catches up itself, bounded, as before; a sweeper's catch-up in progress it does not
    wait for (it may take seconds)."""
    factory = runtime().session_factory
    since = effort_store.waiting_since(factory)
    if since is None:
        return None
    if utcnow() - since < WORKERS_CATCH_UP_WITHIN:
        try:
            # After the events the page saw have settled: the job then reads them all.
            if effort_catch_up_by_worker(runtime().redis, delay=effort_store.SETTLE):
                return since
        except RedisError:
            log.warning("effort catch-up not queued (Redis unavailable): the page does it")
    effort_store.refresh(factory, events=PAGE_CATCH_UP_EVENTS, wait=False)
    return effort_store.waiting_since(factory)


def _filter() -> ReportFilter:
    def day(name: str) -> date | None:
        value = request.args.get(name, "").strip()
        if not value:
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            abort(400, _("The date must look like 2026-11-20."))

    regime = request.args.get("regime") or None
    if regime is not None and regime not in REGIMES:
        abort(400, _("Choose a regime from the list."))
    start, end = day("start"), day("end")
    if start and end and start > end:
        abort(400, _("The period must start before it ends."))
    return ReportFilter(start=start, end=end, operator=request.args.get("operator") or None,
                        regime=regime)


@blueprint.context_processor
def _operator_names() -> dict[str, object]:
    """A report's filter says which operator by name, never by its slug."""
    def operator_name(slug: str | None) -> str:
        names = dict(staff.operator_choices(runtime().session_factory)) if slug else {}
        return names.get(slug or "", str(UNNAMED))
    return {"operator_name": operator_name}


def driver_label(driver: str) -> str:
    """reason:missed-connection -> "reason: missed connection"; field:iban -> "field typed:
    IBAN"."""
    kind, _sep, code = driver.partition(":")
    words = {"reason": _("reason"), "field": _("field typed"), "asked": _("asked for"),
             "document": _("document")}
    # A reason is a reason code; the others name a field of the passenger's forms.
    vocabulary = "reason" if kind == "reason" else "field"
    return f"{words.get(kind, str(UNNAMED))}: {label(code, vocabulary)}"


def _charts(figures: Report) -> tuple[Markup, Markup, Markup]:
    currency = figures.cost_model.currency
    drivers = [(driver_label(d.driver), float(d.cost_of_complexity)) for d in figures.drivers
               if d.cost_of_complexity > 0]
    pareto = charts.pareto(drivers, title=_("Cost of complexity by driver"), unit=currency,
                           axes=charts.Axes(_("Driver (largest first)"),
                                            _("Cost of complexity, %(unit)s", unit=currency),
                                            _("Running share of the total, %")),
                           takeaway=_pareto_takeaway(drivers, figures.total_cost, currency))
    # The charts draw the complete weeks only, as their takeaways compare them: a week of
    # a day's claims drawn beside full ones reads as a fall (the takeaway says which
    # weeks are left out).
    weeks = [w.start.isoformat() for w in figures.weeks]
    drawn = [w.complete for w in figures.weeks]
    shares = [None if w.straight_through is None else 100 * w.straight_through
              for w in figures.weeks]
    straight = charts.line(_complete(weeks, shares, drawn),
                           title=_("Straight-through share per week"), unit="%",
                           axes=charts.Axes(_("Week starting"), _("Claims decided without a "
                                                                   "person, %")),
                           takeaway=_trend(_("Straight-through share"), shares, "%",
                                           figures.weeks),
                           maximum=100)
    costs: list[float | None] = [float(w.mean_cost) for w in figures.weeks]
    cost = charts.line(_complete(weeks, costs, drawn),
                       title=_("Mean cost per claim per week"), unit=currency,
                       axes=charts.Axes(_("Week starting"), _("Mean cost per claim, %(unit)s",
                                                               unit=currency)),
                       takeaway=_trend(_("Mean cost per claim"), costs, currency,
                                       figures.weeks))
    return pareto, straight, cost


def _complete(weeks: list[str], values: list[float | None],
              complete: list[bool]) -> list[tuple[str, float | None]]:
    return [(week, value) for week, value, whole in zip(weeks, values, complete, strict=True)
            if whole]


def _pareto_takeaway(drivers: list[tuple[str, float]], total_cost: Decimal,
                     currency: str) -> str:
    """The few drivers that cause most of the cost of complexity, with the figures they
    are a share of: the drivers' extra cost (each claim's shared among its drivers, so it
    never exceeds the total cost) and the total cost of all claims."""
    total = sum(value for _label, value in drivers)
    if not drivers or total <= 0:
        return ""
    running, count = 0.0, 0
    for _label, value in sorted(drivers, key=lambda item: -item[1]):
        running += value
        count += 1
        if running >= 0.8 * total:
            break
    return ngettext("%(num)d of %(all)d drivers causes %(share)s of the cost of complexity: "
                    "%(part)s of %(total)s (all claims together cost %(cost)s). Start there.",
                    "%(num)d of %(all)d drivers cause %(share)s of the cost of complexity: "
                    "%(part)s of %(total)s (all claims together cost %(cost)s). Start there.",
                    count, all=len(drivers), share=f"{100 * running / total:.0f} %",
                    part=money(Decimal(f"{running:.2f}"), currency),
                    total=money(Decimal(f"{total:.2f}"), currency),
                    cost=money(total_cost, currency))


def _trend(what: str, values: list[float | None], unit: str, weeks: tuple[Week, ...]) -> str:
    """First against last complete week: the current week, or one the period cuts, holds
    only some days' claims (a week of a day's claims read 0.01 EUR against 2.09)."""
    known = [v for v, week in zip(values, weeks, strict=True)
             if v is not None and week.complete]
    partial = [week for v, week in zip(values, weeks, strict=True)
               if v is not None and not week.complete]
    left_out = (" " + ngettext("The week of %(days)s is not complete and is left out.",
                               "The weeks of %(days)s are not complete and are left out.",
                               len(partial), days=", ".join(local_date_of(w.start)
                                                            for w in partial))
                if partial else "")

    def shown(value: float) -> str:
        return f"{value:.0f} %" if unit == "%" else money(Decimal(f"{value:.2f}"), unit)

    if not known:
        return _("%(what)s: no complete week yet.", what=what) + left_out
    first, last = known[0], known[-1]
    if len(known) == 1:
        return _("%(what)s: %(value)s, in the one complete week with claims.", what=what,
                 value=shown(first)) + left_out
    return _("%(what)s: %(first)s in the first complete week, %(last)s in the last.",
             what=what, first=shown(first), last=shown(last)) + left_out


def _report_page(template: str) -> str:
    wanted = _filter()
    waiting_since = _catch_up()
    figures = report(runtime().session_factory, wanted, cost_model())
    pareto, straight, cost = _charts(figures)
    return render_template(template, report=figures, wanted=wanted,
                           period=(figures.first_day, figures.last_day),
                           operators=staff.operator_choices(runtime().session_factory),
                           regimes=list(REGIMES), pareto=pareto,
                           straight_chart=straight, cost_chart=cost, driver_label=driver_label,
                           money_times=time_to_money(runtime().session_factory, wanted),
                           proactive=proactive_figures(runtime().session_factory, wanted,
                                                       figures.by_path_and_status),
                           query=request.query_string.decode(), waiting_since=waiting_since)


@blueprint.get("/")
@role_required("manager")
def overview() -> str:
    return _report_page("reports/overview.html")


@blueprint.get("/audit")
@role_required("manager")
def audit() -> str:
    """Which staff member opened which claim file, newest first (DSGVO accountability)."""
    wanted = request.args.get("claim", "").strip()
    claim_id = int(wanted) if wanted.isdigit() else None
    return render_template("reports/audit.html", claim_id=claim_id,
                           openings=file_openings(runtime().session_factory, claim_id))


@blueprint.get("/report.pdf")
@role_required("manager")
def report_pdf() -> Response:
    html = _report_page("reports/report_pdf.html")
    return Response(render_pdf(html), mimetype="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="effort-report.pdf"'})


@blueprint.get("/effort.csv")
@role_required("manager")
def effort_csv() -> Response:
    wanted = _filter()
    # Taken now: the rows are written after the view returns, outside its request.
    factory, model = runtime().session_factory, cost_model()

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = SafeCsvWriter(buffer)
        for row in effort_rows(factory, wanted, model):
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return Response(lines(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="claim-effort.csv"'})


def _what_if(template: str) -> tuple[str, int]:
    wanted = _filter()
    period = claim_period(runtime().session_factory, wanted)
    limit_text = request.args.get("limit", "").strip().replace(",", ".")
    limit = None
    if limit_text:
        try:
            limit = parse_amount(limit_text)
        except AmountError:
            limit = None
        if limit is None:
            return render_template(template, wanted=wanted, result=None,
                                   codes=list(ReasonCode), off=[], limit=limit_text,
                                   error=_("Enter the limit as an amount such as 250.00."),
                                   cost_model=cost_model(), query="", period=period), 400
    off = [code for code in request.args.getlist("off") if code in set(ReasonCode)]
    result = None
    if "limit" in request.args and limit is None and not off:
        # Compare pressed with nothing to compare: say so, rather than show nothing.
        return render_template(template, wanted=wanted, result=None, codes=list(ReasonCode),
                               off=[], limit="", error=_(
                                   "Enter an auto-approve limit or choose a rule to switch "
                                   "off, then compare."),
                               cost_model=cost_model(), query="", period=period), 400
    if limit is not None or off:
        _catch_up()
        result = what_if(runtime().session_factory, wanted, cost_model(),
                         auto_approve_limit=limit, rules_off=off)
    return render_template(template, wanted=wanted, result=result, codes=list(ReasonCode),
                           off=off, limit=limit_text, error=None, cost_model=cost_model(),
                           query=request.query_string.decode(), period=period), 200


@blueprint.get("/what-if")
@role_required("manager")
def what_if_page() -> tuple[str, int]:
    return _what_if("reports/what_if.html")


@blueprint.get("/what-if.pdf")
@role_required("manager")
def what_if_pdf() -> Response | tuple[str, int]:
    html, status = _what_if("reports/what_if_pdf.html")
    if status != 200:
        return html, status
    return Response(render_pdf(html), mimetype="application/pdf", headers={
        "Content-Disposition": 'attachment; filename="what-if.pdf"'})
