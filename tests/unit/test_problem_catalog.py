"""Every problem the domain can say about a request (claims.core.problems) has a German
translation in the portal's catalog: the API answers a German caller in German, and a new
message without one would fall back to English unnoticed."""

from __future__ import annotations

import ast
import pickle
import re
from pathlib import Path

from babel.messages.pofile import read_po

from claims.core.problems import problem, values_in
from claims.operators.records import RecordError

ROOT = Path(__file__).resolve().parents[2]
CATALOG = ROOT / "portal" / "translations" / "de" / "LC_MESSAGES" / "messages.po"


def problem_templates() -> set[str]:
    """The first argument of every problem("...") call under claims/."""
    templates = set()
    for path in (ROOT / "claims").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "problem"):
                first = node.args[0]
                assert isinstance(first, ast.Constant), f"{path}: a literal template"
                templates.add(first.value)
    return templates


def test_every_problem_of_the_domain_is_translated_into_german() -> None:
    templates = problem_templates()
    assert len(templates) > 40
    with CATALOG.open("rb") as file:
        catalog = read_po(file)
    untranslated = sorted(t for t in templates
                          if t not in catalog or not catalog[t].string
                          or catalog[t].fuzzy)
    assert not untranslated, untranslated
    for template in templates:  # the same placeholders, or the German text breaks
        german = catalog[template].string
        assert sorted(_placeholders(german)) == sorted(_placeholders(template)), template


def _placeholders(text: str) -> list[str]:
    return re.findall(r"%\((\w+)\)s", text)


def test_a_refused_record_pickles_with_its_template() -> None:
    """As a failed job's exception is kept: still translatable after the round trip."""
    error = RecordError("legs[0].origin", problem("longer than %(limit)s characters",
                                                  limit=120))
    again = pickle.loads(pickle.dumps(error))
    assert str(again) == "legs[0].origin: longer than 120 characters"
    assert (again.reason.template, again.reason.values, again.reason.field) == (
        "longer than %(limit)s characters", {"limit": 120}, "legs[0].origin")


def test_a_value_said_in_each_language_is_english_in_the_text() -> None:
    """A bank's reason in words comes in both languages from the domain itself."""
    refused = problem("the bank refused the whole batch %(batch)s (%(reason)s) without "
                      "naming its transfers: look the batch up at the bank", batch="B-1",
                      reason={"en": "account closed", "de": "Konto aufgelöst"})
    assert "(account closed)" in refused
    assert values_in(refused.values, "de") == {"batch": "B-1", "reason": "Konto aufgelöst"}
    assert values_in(refused.values, "fr")["reason"] == "account closed"
