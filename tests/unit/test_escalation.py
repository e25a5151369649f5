"""The bodies a passenger may turn to after a final rejection, and the operators as
senders: one data file, read through one function each."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from claims.core.vocabulary import Regime
from claims.passengers import escalation


def test_germany_names_soep_for_rail_and_air_and_the_enforcement_bodies() -> None:
    rail = escalation.bodies_for("eu-rail", "demo-rail", "de")
    assert [b.url for b in rail] == ["https://soep-online.de",
                                     "https://www.eba.bund.de/fahrgastrechte"]
    air = escalation.bodies_for("eu-air", "demo-air", "en")
    assert "Luftfahrt-Bundesamt" in " ".join(b.name for b in air)
    assert any("söp" in b.name for b in air)


def test_great_britain_names_the_rail_ombudsman() -> None:
    [body] = escalation.bodies_for("uk-rail", "demo-uk", "en")
    assert body.name == "Rail Ombudsman" and body.url == "https://www.railombudsman.org"


def test_an_operator_not_listed_gets_the_regimes_default() -> None:
    [body] = escalation.bodies_for("eu-rail", "no-such-operator", "en")
    assert body.name == "The national enforcement body for rail passenger rights"
    assert escalation.sender_of("no-such-operator", "Some Rail") == escalation.Sender(
        "Some Rail")


@given(regime=st.sampled_from(list(Regime)), slug=st.text(max_size=20),
       language=st.sampled_from(["de", "en", "de-AT", "en-GB"]))
def test_every_claim_has_somewhere_to_turn_in_its_language(
        regime: Regime, slug: str, language: str) -> None:
    bodies = escalation.bodies_for(regime.value, slug, language)
    assert bodies
    for body in bodies:
        assert body.name and body.what and body.url.startswith("https://")
    german = escalation.bodies_for(regime.value, slug, "de")
    english = escalation.bodies_for(regime.value, slug, "en")
    assert [b.url for b in german] == [b.url for b in english]


def test_the_sender_has_the_configured_address() -> None:
    sender = escalation.sender_of("demo-rail", "Demo Rail")
    assert sender.address == ("Bahnhofplatz 1", "10557 Berlin") and sender.country == "DE"


@pytest.mark.parametrize("text", [
    # A regime without a default: a claim of an unlisted country would have nowhere.
    '[[bodies.eu-rail.DE]]\nname_de="a"\nname_en="a"\nurl="https://a"\nwhat_de="a"\n'
    'what_en="a"\n',
    # A body without its English text.
    '[[bodies.eu-rail.default]]\nname_de="a"\nurl="https://a"\nwhat_de="a"\n',
])
def test_a_broken_file_is_refused_at_load(tmp_path: Path, text: str) -> None:
    path = tmp_path / "escalation.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(escalation.EscalationDataError):
        escalation.load(path)
