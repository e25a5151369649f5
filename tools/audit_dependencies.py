"""`make audit`: pip-audit over the lockfiles, with a verdict a person can act on.

pip-audit alone cannot tell "nothing known" from "nobody asked": when PyPI's advisory
feed answers 404 for every package (a mirror or proxy that serves only the package index)
it skips them all and still prints "No known vulnerabilities found", and when OSV cannot be
reached it ends in a traceback. So each advisory source is asked in turn, through
pip-audit's documented command line and JSON report, and the verdict says which case it
was. The exit status is non-zero only when a vulnerability was found (1) or pip-audit
failed for a reason other than the network (2); no reachable source is said plainly and
exits 0.

    python -m tools.audit_dependencies requirements/run.txt requirements/test.txt
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# pip-audit's advisory sources, in the order they are asked.
SERVICES = ("pypi", "osv")

# What pip-audit's output says when a source could not be reached (its own
# ConnectionError, or the HTTP library's, which the OSV client lets through).
UNREACHABLE_MARKERS = (
    "Could not connect to",
    "not redirecting properly",
    "ConnectionError",
    "ConnectTimeout",
    "ReadTimeout",
    "NameResolutionError",
    "Max retries exceeded",
    "ServiceError",
)

FOUND, CLEAN, UNREACHABLE = "found", "clean", "unreachable"


@dataclass(frozen=True)
class Verdict:
    outcome: str  # FOUND, CLEAN or UNREACHABLE
    audited: int = 0
    skipped: tuple[str, ...] = ()
    findings: tuple[str, ...] = field(default=())


def judge(report: Mapping[str, Any]) -> Verdict:
    """The verdict on one pip-audit JSON report (`pip-audit -f json`)."""
    dependencies = report.get("dependencies", [])
    skipped = tuple(d["name"] for d in dependencies if d.get("skip_reason"))
    findings = tuple(
        f"{d['name']} {d['version']}: {v['id']}"
        + (f" (fixed in {', '.join(v['fix_versions'])})" if v.get("fix_versions") else "")
        for d in dependencies
        for v in d.get("vulns", [])
    )
    audited = len(dependencies) - len(skipped)
    if findings:
        return Verdict(FOUND, audited, skipped, findings)
    if audited == 0:
        return Verdict(UNREACHABLE, 0, skipped)
    return Verdict(CLEAN, audited, skipped)


def run_pip_audit(service: str, lockfiles: Sequence[str]) -> tuple[Mapping[str, Any] | None, str]:
    """pip-audit's JSON report from one source, or None and its error output."""
    with tempfile.TemporaryDirectory() as scratch:
        report_path = Path(scratch) / "report.json"
        command = [sys.executable, "-m", "pip_audit", "--vulnerability-service", service]
        for lockfile in lockfiles:
            command += ["--requirement", lockfile]
        # The lockfiles pin every package with its hashes: nothing needs resolving or
        # installing, so pip-audit reads them as they are.
        command += ["--require-hashes", "--disable-pip", "--progress-spinner", "off"]
        command += ["--timeout", "20", "--format", "json", "--output", str(report_path)]
        result = subprocess.run(command, capture_output=True, text=True, check=False)
        if report_path.exists() and report_path.stat().st_size:
            return json.loads(report_path.read_text()), result.stderr
        return None, result.stderr + result.stdout


def is_unreachable(error_output: str) -> bool:
    return any(marker in error_output for marker in UNREACHABLE_MARKERS)


def main(lockfiles: Sequence[str]) -> int:
    for service in SERVICES:
        report, errors = run_pip_audit(service, lockfiles)
        if report is None:
            if is_unreachable(errors):
                continue
            print(f"pip-audit failed on {', '.join(lockfiles)}:", file=sys.stderr)
            print(errors.strip(), file=sys.stderr)
            return 2
        verdict = judge(report)
        if verdict.outcome == UNREACHABLE:
            continue
        if verdict.outcome == FOUND:
            print(f"Known vulnerabilities in the locked dependencies ({service} advisories):")
            for finding in verdict.findings:
                print(f"  {finding}")
            print("Raise the pins (make lock LOCK_FLAGS='--upgrade-package NAME') and re-run.")
            return 1
        print(
            f"No known vulnerabilities in {verdict.audited} locked packages ({service} advisories)."
        )
        if verdict.skipped:
            print(f"Not audited (unknown to {service}): {', '.join(verdict.skipped)}.")
        return 0
    print(
        "No advisory source could be reached (neither PyPI's nor OSV's vulnerability "
        "feed), so the dependencies were NOT checked for known vulnerabilities."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["requirements/run.txt"]))
