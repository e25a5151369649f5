"""Management reports (effort.md): the effort report with its charts, as a page and a PDF,
the per-claim effort table as CSV, and the what-if replay of another policy."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

from flask import Response, abort, render_template, request
from flask_babel import gettext as _

from claims.clerks import staff
from claims.clerks.review import file_openings
from claims.core.amounts import AmountError, parse_amount
from claims.core.vocabulary import REGIMES, ReasonCode
from claims.reporting import effort_store
from claims.reporting.reports import CostModel, ReportFilter, effort_rows, report, what_if
from common.spreadsheets import SafeCsvWriter
from portal.auth import role_required
from portal.extensions import runtime
from portal.pdf import render_pdf
from portal.reports import blueprint, charts


def cost_model() -> CostModel:
    settings = runtime().settings
    return CostModel(settings.cost_clerk_per_hour, settings.cost_per_job,
                     settings.cost_per_payout)


# A page reads at most this many new events before it answers; the sweeper reads the rest.
PAGE_CATCH_UP_EVENTS = 10_000


def _catch_up() -> None:
    """Bring the records up to the events of a few seconds ago: cheap when the sweeper
    keeps up, and bounded when it does not (after a bulk load), so the page stays fast."""
    effort_store.refresh(runtime().session_factory, events=PAGE_CATCH_UP_EVENTS)


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


def _report_page(template: str) -> str:
    wanted = _filter()
    _catch_up()
    figures = report(runtime().session_factory, wanted, cost_model())
    pareto = charts.pareto([(d.driver, float(d.cost_of_complexity)) for d in figures.drivers],
                           title=_("Cost of complexity by driver"), unit="EUR")
    weeks = [w.start.isoformat() for w in figures.weeks]
    straight = charts.line(list(zip(weeks, [None if w.straight_through is None
                                            else 100 * w.straight_through
                                            for w in figures.weeks], strict=True)),
                           title=_("Straight-through share per week"), unit="%",
                           maximum=100)
    cost = charts.line(list(zip(weeks, [float(w.mean_cost) for w in figures.weeks],
                                strict=True)),
                       title=_("Mean cost per claim per week"), unit="EUR")
    return render_template(template, report=figures, wanted=wanted,
                           operators=staff.operator_choices(runtime().session_factory),
                           regimes=list(REGIMES), pareto=pareto,
                           straight_chart=straight, cost_chart=cost,
                           query=request.query_string.decode())


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
    factory = runtime().session_factory

    def lines() -> Iterator[str]:
        buffer = io.StringIO()
        writer = SafeCsvWriter(buffer)
        for row in effort_rows(factory, wanted):
            writer.writerow(row)
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()

    return Response(lines(), mimetype="text/csv", headers={
        "Content-Disposition": 'attachment; filename="claim-effort.csv"'})


def _what_if(template: str) -> tuple[str, int]:
    wanted = _filter()
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
                                   cost_model=cost_model(), query=""), 400
    off = [code for code in request.args.getlist("off") if code in set(ReasonCode)]
    result = None
    if limit is not None or off:
        _catch_up()
        result = what_if(runtime().session_factory, wanted, cost_model(),
                         auto_approve_limit=limit, rules_off=off)
    return render_template(template, wanted=wanted, result=result, codes=list(ReasonCode),
                           off=off, limit=limit_text, error=None, cost_model=cost_model(),
                           query=request.query_string.decode()), 200


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
