"""Where a passenger may turn after a final rejection (a conciliation or enforcement
body, per regime and the operator's country), and who sends the operator's letters: read
from escalation.toml, shipped beside this module, through bodies_for and sender_of."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from claims.core.vocabulary import Regime

DATA = Path(__file__).with_name("escalation.toml")
DEFAULT = "default"


@dataclass(frozen=True)
class Body:
    """A body the passenger may turn to, in the reader's language."""

    name: str
    url: str
    what: str


@dataclass(frozen=True)
class Sender:
    """The operator as the sender of its letters: its postal address where it is
    configured (empty where not: the letter then shows the name alone)."""

    name: str
    address: tuple[str, ...] = ()
    country: str | None = None


class EscalationDataError(ValueError):
    """escalation.toml is not as its header describes: refused at load, not on a page."""


def load(path: Path) -> dict[str, Any]:
    """The file's table, checked: EscalationDataError where it is not as described."""
    with path.open("rb") as stream:
        table = tomllib.load(stream)
    _check(table)
    return table


@cache
def _table() -> dict[str, Any]:
    return load(DATA)


def _check(table: dict[str, Any]) -> None:
    bodies = table.get("bodies", {})
    for regime in Regime:
        if DEFAULT not in bodies.get(regime.value, {}):
            raise EscalationDataError(f"bodies.{regime.value}: no default")
    for regime, countries in bodies.items():
        for country, entries in countries.items():
            for entry in entries:
                missing = {"name_de", "name_en", "url", "what_de", "what_en"} - set(entry)
                if missing or not str(entry["url"]).startswith("https://"):
                    raise EscalationDataError(f"bodies.{regime}.{country}: {sorted(missing)} "
                                              "missing, or a web address not https")
    for slug, operator in table.get("operators", {}).items():
        if not isinstance(operator.get("address", []), list):
            raise EscalationDataError(f"operators.{slug}.address: a list of lines")


def _country(slug: str | None) -> str | None:
    operator = _table().get("operators", {}).get(slug or "", {})
    country = operator.get("country")
    return str(country).upper() if country else None


def bodies_for(regime: str, operator_slug: str | None, language: str) -> tuple[Body, ...]:
    """The bodies for a claim against this operator under this regime: those of the
    operator's country, else the regime's default."""
    per_country = _table()["bodies"].get(regime, {})
    entries = per_country.get(_country(operator_slug) or DEFAULT) or per_country.get(DEFAULT)
    suffix = "de" if language.startswith("de") else "en"
    return tuple(Body(name=entry[f"name_{suffix}"], url=entry["url"],
                      what=entry[f"what_{suffix}"]) for entry in entries or ())


def sender_of(operator_slug: str, operator_name: str) -> Sender:
    operator = _table().get("operators", {}).get(operator_slug, {})
    return Sender(name=operator_name,
                  address=tuple(str(line) for line in operator.get("address", ())),
                  country=_country(operator_slug))
