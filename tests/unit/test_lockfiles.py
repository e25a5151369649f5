"""The lockfiles that `make run`, `make test` and `make audit` install from
(requirements/*.txt, written by `make lock`) agree with pyproject.toml, and the audit's
verdict on pip-audit's report."""

from __future__ import annotations

import tomllib
from collections import defaultdict
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tools.audit_dependencies import CLEAN, FOUND, UNREACHABLE, judge

ROOT = Path(__file__).resolve().parents[2]
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUN_LOCK = ROOT / "requirements" / "run.txt"
TEST_LOCK = ROOT / "requirements" / "test.txt"


def pins(lockfile: Path) -> dict[str, list[tuple[Requirement, list[str]]]]:
    """Each package's pins in a pip requirements file: (requirement, its hashes). A
    universal lock may pin one package twice, under markers that exclude each other."""
    logical_lines = lockfile.read_text().replace("\\\n", " ").splitlines()
    found: dict[str, list[tuple[Requirement, list[str]]]] = defaultdict(list)
    for line in logical_lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        requirement_text, *hashes = line.split(" --hash=")
        requirement = Requirement(requirement_text.strip())
        found[canonicalize_name(requirement.name)].append(
            (requirement, [h.strip() for h in hashes]))
    return found


def pinned_here(lock: dict[str, list[tuple[Requirement, list[str]]]], name: str) -> str | None:
    """The version the lock installs on this interpreter, if any."""
    for requirement, _ in lock.get(canonicalize_name(name), []):
        if requirement.marker is None or requirement.marker.evaluate():
            (specifier,) = requirement.specifier
            return specifier.version
    return None


def test_every_pin_is_exact_and_hashed() -> None:
    for lockfile in (RUN_LOCK, TEST_LOCK):
        lock = pins(lockfile)
        assert len(lock) > 20, lockfile
        for name, entries in lock.items():
            for requirement, hashes in entries:
                (specifier,) = requirement.specifier
                assert specifier.operator == "==", (lockfile.name, name)
                assert hashes and all(h.startswith("sha256:") for h in hashes), name


def test_every_dependency_of_pyproject_is_pinned_within_its_range() -> None:
    run, test = pins(RUN_LOCK), pins(TEST_LOCK)
    wanted = [(RUN_LOCK.name, run, d) for d in PROJECT["dependencies"]]
    wanted += [(TEST_LOCK.name, test, d)
               for d in PROJECT["dependencies"] + PROJECT["optional-dependencies"]["test"]]
    for lockfile, lock, dependency in wanted:
        requirement = Requirement(dependency)
        version = pinned_here(lock, requirement.name)
        assert version is not None, f"{requirement.name} is not in {lockfile}: run make lock"
        assert requirement.specifier.contains(version, prereleases=True), (
            f"{lockfile} pins {requirement.name}=={version}, pyproject asks {requirement}"
        )
        for extra in requirement.extras:  # psycopg[binary]: the extra's package too
            assert pinned_here(lock, f"{requirement.name}-{extra}"), (lockfile, dependency)


def test_the_test_set_keeps_the_runtime_versions() -> None:
    """`make test` after `make run` changes no version the portal runs with."""
    run, test = pins(RUN_LOCK), pins(TEST_LOCK)
    for name in run.keys() & test.keys():
        assert pinned_here(test, name) == pinned_here(run, name), name


dependency = st.fixed_dictionaries({
    "name": st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True),
    "version": st.sampled_from(["1.0", "2.3.4"]),
    "vulns": st.lists(st.fixed_dictionaries({
        "id": st.sampled_from(["PYSEC-2024-1", "GHSA-xxxx-yyyy-zzzz"]),
        "fix_versions": st.lists(st.sampled_from(["1.1", "2.4"]), max_size=2),
    }), max_size=2),
})
skipped = st.fixed_dictionaries({
    "name": st.from_regex(r"[a-z][a-z0-9-]{0,12}", fullmatch=True),
    "skip_reason": st.just("Dependency not found on PyPI and could not be audited"),
})


@given(st.lists(st.one_of(dependency, skipped), max_size=8))
def test_the_audit_fails_exactly_when_something_was_found(entries: list[dict]) -> None:
    """Found → non-zero; nothing audited (a feed that knows no package) → 'unreachable',
    never 'no known vulnerabilities'; otherwise clean."""
    verdict = judge({"dependencies": entries, "fixes": []})
    audited = [e for e in entries if "skip_reason" not in e]
    if any(e["vulns"] for e in audited):
        assert verdict.outcome == FOUND
        assert len(verdict.findings) == sum(len(e["vulns"]) for e in audited)
    elif not audited:
        assert verdict.outcome == UNREACHABLE
    else:
        assert verdict.outcome == CLEAN
        assert verdict.audited == len(audited)
