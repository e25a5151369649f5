"""Management reports. The foundation shows where claims stand; effort.md's reports follow."""

from __future__ import annotations

from flask import render_template

from claims import staff
from portal.auth import role_required
from portal.extensions import runtime
from portal.reports import blueprint


@blueprint.get("/")
@role_required("manager")
def overview() -> str:
    counts = staff.status_counts(runtime().session_factory)
    touchless, decided = staff.straight_through(runtime().session_factory)
    share = f"{100 * touchless / decided:.1f} %" if decided else "–"
    return render_template("reports/overview.html", counts=counts, decided=decided,
                           straight_through=share)
