"""The domain's problems with a request (claims.core.problems), said in the caller's
language: the portal's locale selector (?lang=, then Accept-Language) and its catalog."""

from __future__ import annotations

from flask_babel import get_locale, gettext

from claims.core.problems import Problem, values_in


def in_words(reason: str) -> str:
    """A Problem in the caller's language; any other text as it is."""
    if not isinstance(reason, Problem):
        return reason
    text = gettext(reason.template, **values_in(reason.values, str(get_locale())))
    return f"{reason.field}: {text}" if reason.field else text


def all_in_words(errors: dict[str, list[Problem]]) -> dict[str, list[str]]:
    """{field: [problems]} of an assessment request, each in the caller's language."""
    return {field: [in_words(problem) for problem in problems]
            for field, problems in errors.items()}
