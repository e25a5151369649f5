"""The one-way import rule of docs/architecture.md, on the code as it is."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WEB_PACKAGES = {"flask", "flask_babel", "flask_wtf", "flask_login", "flask_limiter",
                "werkzeug", "portal"}


def test_imports_point_one_way() -> None:
    """import-linter's contracts in pyproject.toml: layers and forbidden imports."""
    linted = subprocess.run([str(Path(sys.executable).parent / "lint-imports")], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert linted.returncode == 0, linted.stdout[-3000:]
    assert "0 broken" in linted.stdout


def test_a_worker_loads_no_web_framework() -> None:
    """What an RQ worker process imports to run every job we queue."""
    code = ("import sys, workflows.worker, workflows.jobs, workflows.mail; "
            "print(' '.join(sorted({m.split('.')[0] for m in sys.modules})))")
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=60, check=True)
    modules = set(loaded.stdout.split())
    assert "workflows" in modules and "claims" in modules
    assert not modules & WEB_PACKAGES, modules & WEB_PACKAGES
