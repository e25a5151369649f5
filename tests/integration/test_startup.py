"""Starting the portal as `make run` does, on a database that has been started on before."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from sqlalchemy import select, update

from claims.db.models import Operator

ROOT = Path(__file__).resolve().parents[2]
FLASK = Path(sys.executable).parent / "flask"


def _environment(settings_overrides: dict[str, Any]) -> dict[str, str]:
    return {**os.environ, **{k: str(v) for k, v in settings_overrides.items()}}


def _flask(environment: dict[str, str], *arguments: str,
           timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(FLASK), "--app", "wsgi", *arguments], cwd=ROOT,
                          env=environment, capture_output=True, text=True, timeout=timeout)


def _start_up(environment: dict[str, str]) -> str:
    """make run's steps before it serves: migrate, seed when empty, print what to try."""
    for arguments in (["db", "upgrade"], ["demo", "seed", "--if-empty", "--bookings", "300"]):
        done = _flask(environment, *arguments)
        assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_start_up_sequence_runs_again_on_the_same_database(
        settings_overrides: dict[str, Any]) -> None:
    environment = _environment(settings_overrides)
    first = _start_up(environment)
    assert "demo data: 300 bookings" in first
    second = _start_up(environment)
    assert "nothing seeded" in second
    # The second start prints the same list of bookings to try, from the database.
    assert "DEMO01 / Mustermann" in second and "not in this database" not in second
    assert "clerk@demo.example" in second


def test_demo_show_reads_while_another_process_writes(
        settings_overrides: dict[str, Any], session_factory: Any) -> None:
    environment = _environment(settings_overrides)
    _start_up(environment)
    # A worker in the middle of a write transaction: readers must not wait for it.
    with session_factory.begin() as session:
        session.execute(update(Operator).values(name=Operator.name))
        shown = _flask(environment, "demo", "show", timeout=20)
        assert session.scalars(select(Operator.id)).first() is not None
    assert shown.returncode == 0, shown.stderr
    assert "DEMO01 / Mustermann" in shown.stdout
