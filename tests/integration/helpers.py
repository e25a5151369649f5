"""Shared steps of integration tests: operators, imports, a worker run."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from flask import Flask
from rq import Queue, SimpleWorker
from sqlalchemy import func, select

from claims.operators import accounts
from claims.operators.imports import import_bookings, import_operations
from workflows.queues import CLAIMS_QUEUE


def create_operator(app: Flask, slug: str = "test-rail", regime: str = "eu-rail") -> str:
    return accounts.create_operator(app.extensions["effortless"].session_factory, slug,
                                    slug.replace("-", " ").title(), regime)


def load(app: Flask, bookings: list[dict[str, Any]],
         operations: list[dict[str, Any]] = ()) -> None:  # type: ignore[assignment]
    factory = app.extensions["effortless"].session_factory
    report = import_bookings(factory, enumerate(bookings, start=1))
    assert not report.rejected, report.rejected
    report = import_operations(factory, enumerate(operations, start=1))
    assert not report.rejected, report.rejected


def write_lines(path: Path, records: list[Any]) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n"
                            for r in records), encoding="utf-8")
    return path


def run_worker(app: Flask) -> int:
    """Run a real RQ worker until the queue is empty; returns how many jobs it finished."""
    connection = app.extensions["effortless"].redis
    finished = Queue(CLAIMS_QUEUE, connection=connection).finished_job_registry
    before = finished.count
    SimpleWorker([CLAIMS_QUEUE], connection=connection).work(burst=True)
    return finished.count - before


def count(app: Flask, model: Any) -> int:
    with app.extensions["effortless"].session_factory() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)
