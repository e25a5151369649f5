"""Operations can see the machine (issue 15): /metrics for Prometheus behind a token, the
RQ dashboard for managers only, read-only."""

from __future__ import annotations

from typing import Any

from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from claims.operators import accounts
from claims.reporting import effort_catch_up
from portal import create_app
from tests.helpers import create_operator, load, look_up, run_worker, sign_in, submit
from tests.records import arrival, rail_booking

TOKEN = "scrape-me-" + "x" * 30
PASSWORD = "correct horse battery staple"


def _samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {(sample.name, tuple(sorted(sample.labels.items()))): sample.value
            for family in text_string_to_metric_families(text) for sample in family.samples}


def test_metrics_need_their_token_and_tell_the_state_of_the_machine(
        settings_overrides: dict[str, Any]) -> None:
    app = create_app({**settings_overrides, "METRICS_TOKEN": TOKEN})
    try:
        create_operator(app)
        load(app, [rail_booking(passenger={"name": "Hans Müller", "email": "h@example.org"}),
                   rail_booking("OTHER1")], [arrival()])
        client = app.test_client()
        look_up(client, "Q7K2LM", "Müller")
        submit(client)
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}
                          ).status_code == 401
        waiting = _samples(client.get("/metrics", headers={
            "Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True))
        assert waiting[("effortless_claims", (("status", "submitted"),))] == 1
        assert waiting[("effortless_queue_depth", (("queue", "due_claims"),))] == 1
        run_worker(app)
        effort_catch_up.refresh_all(app.extensions["effortless"].session_factory)
        decided = _samples(client.get("/metrics", headers={
            "Authorization": f"Bearer {TOKEN}"}).get_data(as_text=True))
        assert decided[("effortless_claims", (("status", "approved"),))] == 1
        assert decided[("effortless_decisions_total", ())] == 1
        assert decided[("effortless_queue_depth", (("queue", "due_claims"),))] == 0
        assert decided[("effortless_submit_to_decision_seconds_count", ())] == 1
        assert decided[("effortless_submit_to_decision_seconds_bucket",
                        (("le", "+Inf"),))] == 1
        assert decided[("effortless_failed_jobs", ())] == 0
        assert decided[("effortless_mails_waiting", ())] == 0  # receipt and decision sent
    finally:
        app.extensions["effortless"].close()


def test_without_a_token_metrics_are_off(app: Flask) -> None:
    assert app.test_client().get("/metrics").status_code == 404


def test_the_queue_dashboard_is_for_managers_and_read_only(app: Flask) -> None:
    factory = app.extensions["effortless"].session_factory
    accounts.create_user(factory, "clerk@example.org", "clerk", PASSWORD)
    accounts.create_user(factory, "boss@example.org", "manager", PASSWORD)
    assert app.test_client().get("/admin/rq/").status_code == 302  # to the sign-in
    clerk = app.test_client()
    sign_in(clerk, "clerk@example.org", PASSWORD)
    assert clerk.get("/admin/rq/").status_code == 403
    manager = app.test_client()
    sign_in(manager, "boss@example.org", PASSWORD)
    page = manager.get("/admin/rq/")
    assert page.status_code == 200 and "RQ" in page.get_data(as_text=True)
    # Its one inline script by hash, not every inline script (tests/e2e runs it).
    dashboard = page.headers["Content-Security-Policy"]
    assert "'sha256-" in dashboard and "'unsafe-inline'" not in dashboard.split(";")[1]
    assert "unsafe" not in manager.get("/reports/").headers["Content-Security-Policy"]
    queues = manager.get("/admin/rq/0/data/queues.json").get_json()
    assert "queues" in queues
    assert manager.get("/admin/rq/0/view/job/no-such-job").status_code == 404
    assert manager.get("/admin/rq/requeue/claims").status_code == 405
