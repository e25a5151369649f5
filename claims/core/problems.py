"""What is wrong with a value a caller sent, in words that can be said in any language.

The domain knows no web framework and so no Babel: it says a problem in English, and keeps
the English template apart from its values so that the web layer can look the template up
in the caller's language (portal/api/problems.py; the templates are msgids of the portal's
catalog, extracted with the keyword `problem`). A Problem *is* its English text, a str,
wherever nobody translates it: logs, the CLI, comparisons in tests."""

from __future__ import annotations

from collections.abc import Mapping

# What a message repeats of a caller's value: enough to recognise it, never the megabyte
# that was sent.
ECHO_LIMIT = 40


class Problem(str):
    template: str
    values: Mapping[str, object]
    field: str

    def __new__(cls, template: str, values: Mapping[str, object], field: str = "") -> Problem:
        english = template % values_in(values, "en") if values else template
        self = super().__new__(cls, f"{field}: {english}" if field else english)
        self.template, self.values, self.field = template, dict(values), field
        return self

    def __getnewargs__(self) -> tuple[str, Mapping[str, object], str]:  # type: ignore[override]
        # Pickled (a failed job's exception) as what it is made of, not as its text.
        return (self.template, self.values, self.field)

    def at(self, field: str) -> Problem:
        """The same problem, said of a field ("fare.amount: at most two decimals")."""
        return Problem(self.template, self.values, field)


def problem(template: str, /, **values: object) -> Problem:
    """A problem in English; `template` is a gettext msgid with %(name)s placeholders."""
    return Problem(template, values)


def values_in(values: Mapping[str, object], language: str) -> dict[str, object]:
    """The values for `language`: a value the domain says in each language itself (a
    bank's reason in words: claims.core.bank_reasons) is a mapping {"en": ..., "de": ...}."""
    return {name: (value.get(language, value.get("en")) if isinstance(value, Mapping)
                   else value) for name, value in values.items()}


def echo(value: object) -> str:
    """A caller's value, quoted and cut short, to repeat in a message."""
    text = repr(value)
    return text if len(text) <= ECHO_LIMIT else text[:ECHO_LIMIT - 1] + "…"
