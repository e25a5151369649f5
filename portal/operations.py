"""For the people who run the service: /metrics for Prometheus (with a token from the
settings, as scrapers carry no session) and the RQ dashboard, read-only, for managers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections.abc import Iterator
from html.parser import HTMLParser

import rq_dashboard
from flask import Blueprint, Flask, Response, abort, current_app, request
from flask.typing import ResponseReturnValue
from flask_login import current_user
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)
from prometheus_client.registry import Collector
from rq import Queue
from rq.exceptions import NoSuchJobError

from claims.reporting.machine import machine_state
from portal import errors
from portal.extensions import runtime
from workflows.queues import CLAIMS_QUEUE, DUE_CLAIMS

log = logging.getLogger(__name__)
blueprint = Blueprint("operations", __name__)
DASHBOARD_PREFIX = "/admin/rq"
# The dashboard's pages (for managers only) need more than the portal's policy allows,
# and get it there only. Their tables are filled by underscore.js templates, which compile
# with `new Function` ('unsafe-eval'); each page's one inline script is allowed by its
# hash (dashboard_policy), not by 'unsafe-inline', so nothing injected into a page runs.
# Its markup carries a few style attributes (buttons floated right): inline styles stay.
DASHBOARD_POLICY = ("default-src 'self'; script-src 'self' 'unsafe-eval'{hashes}; "
                    "style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; "
                    "object-src 'none'")


class _MachineCollector(Collector):
    def collect(self) -> Iterator[Metric]:
        current = runtime()
        state = machine_state(current.session_factory)
        queue = Queue(CLAIMS_QUEUE, connection=current.redis)
        depth = GaugeMetricFamily("effortless_queue_depth", "Jobs and claims waiting in Redis",
                                  labels=["queue"])
        depth.add_metric([CLAIMS_QUEUE], queue.count)
        depth.add_metric(["due_claims"], int(current.redis.zcard(DUE_CLAIMS)))
        yield depth
        failed = GaugeMetricFamily("effortless_failed_jobs", "Jobs in RQ's failed registry")
        failed.add_metric([], queue.failed_job_registry.count)
        yield failed
        claims = GaugeMetricFamily("effortless_claims", "Claims per state", labels=["status"])
        for status, count in sorted(state.claims_by_status.items()):
            claims.add_metric([status], count)
        yield claims
        decided = CounterMetricFamily("effortless_decisions", "Decisions made (rules and "
                                      "clerks); rate() gives decisions per second")
        decided.add_metric([], state.decided_total)
        yield decided
        latency = HistogramMetricFamily("effortless_submit_to_decision_seconds",
                                        "From submit to decision, per claim decided")
        latency.add_metric([], [(_bound(b), n) for b, n in state.latency_buckets]
                           + [("+Inf", state.latency_count)], sum_value=state.latency_sum)
        yield latency
        mails = GaugeMetricFamily("effortless_mails_waiting", "Notices due and not yet sent")
        mails.add_metric([], state.notices_waiting)
        yield mails


def _bound(value: float) -> str:
    return f"{value:g}"


class _InlineScripts(HTMLParser):
    """The text of every script a browser would run inline: no src, a JavaScript type
    (the dashboard's <script type="text/template"> rows are data, not run)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.scripts: list[str] = []
        self._inside = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "script":
            return
        named = dict(attrs)
        kind = (named.get("type") or "text/javascript").lower()
        self._inside = "src" not in named and kind in {"text/javascript", "module",
                                                       "application/javascript"}
        if self._inside:
            self.scripts.append("")

    def handle_data(self, data: str) -> None:
        if self._inside:
            self.scripts[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            self._inside = False


def dashboard_policy(page: str | None) -> str:
    """The dashboard's policy for one response: its page's inline scripts by hash."""
    parser = _InlineScripts()
    if page is not None:
        parser.feed(page)
        parser.close()
    hashes = "".join(
        " 'sha256-" + base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
        + "'" for script in dict.fromkeys(parser.scripts))
    return DASHBOARD_POLICY.format(hashes=hashes)


@blueprint.get("/metrics")
def metrics() -> Response:
    token = current_app.config.get("METRICS_TOKEN")
    if not token:
        abort(404)
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    # As bytes: compare_digest refuses str with non-ASCII characters (a TypeError, a 500).
    if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(),
                                                             token.encode()):
        abort(401)
    registry = CollectorRegistry()
    registry.register(_MachineCollector())
    return Response(generate_latest(registry), mimetype="text/plain; version=0.0.4")


def init_app(app: Flask, metrics_token: str | None) -> None:
    app.config["METRICS_TOKEN"] = metrics_token
    app.register_blueprint(blueprint)
    app.config.from_object(rq_dashboard.default_settings)
    app.config["RQ_DASHBOARD_REDIS_URL"] = [app.extensions["effortless"].redis_url]
    app.register_blueprint(rq_dashboard.blueprint, url_prefix=DASHBOARD_PREFIX)

    @app.before_request
    def _dashboard_for_managers() -> Response | None:
        if request.blueprint != "rq_dashboard":
            return None
        if not current_user.is_authenticated:
            return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
        if current_user.role != "manager":
            abort(403)
        # Read-only here: its buttons (delete, empty, requeue) post without a CSRF token and
        # stumble on jobs that are gone; the workers retry and sweep on their own.
        if request.method != "GET" or request.endpoint == "rq_dashboard.requeue_all":
            abort(405, "The queue dashboard is read-only.")
        # The dashboard reads the same Redis as everything else (started if embedded).
        current_app.redis_conn = runtime().redis  # type: ignore[attr-defined]
        return None

    def _not_shown(error: Exception) -> ResponseReturnValue:
        """The dashboard reads whatever its URL names (a job, a queue, a registry): one that
        is gone or made up is a 404 with a word, not a 500. Elsewhere: the usual 500."""
        if request.blueprint != "rq_dashboard":
            return errors.unexpected(error)
        log.warning("queue dashboard could not show %s: %s", request.path,
                    type(error).__name__)
        message = ("There is no such job (any more)." if isinstance(error, NoSuchJobError)
                   else "The queue dashboard cannot show this.")
        return Response(message, status=404, mimetype="text/plain")

    # Replaces the portal's handler of last resort (portal.errors), which it calls.
    app.register_error_handler(Exception, _not_shown)

    @app.after_request
    def _dashboard_policy(response: Response) -> Response:
        if request.blueprint == "rq_dashboard":
            page = (response.get_data(as_text=True) if response.mimetype == "text/html"
                    and not response.direct_passthrough and not response.is_streamed
                    else None)
            response.headers["Content-Security-Policy"] = dashboard_policy(page)
        return response
