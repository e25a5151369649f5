import pytest

from claims.core.names import normalise_reference, surname_matches


@pytest.mark.parametrize(("booked", "typed"), [
    ("Hans Müller", "Müller"),
    ("Hans Müller", "MUELLER"),
    ("Hans Müller", "  mueller "),
    ("Jörg Groß", "GROSS"),
    ("Anna de Vries", "de vries"),
    ("Anna de Vries", "Vries"),
    ("Ayşe Öztürk", "Oeztuerk"),
    ("Claire Dupont-Martin", "dupont martin"),
    ("Lucía García", "GARCIA"),
])
def test_surname_matches_whatever_the_spelling(booked: str, typed: str) -> None:
    assert surname_matches(booked, typed)


@pytest.mark.parametrize(("booked", "typed"), [
    ("Hans Müller", "Mueller Hans"),
    ("Hans Müller", "Mull"),
    ("Hans Müller", ""),
    ("Hans Müller", "  "),
    ("Anna de Vries", "Anna de Vries Smith"),
    ("Claire Dupont-Martin", "tin"),
])
def test_surname_must_be_whole_last_words(booked: str, typed: str) -> None:
    assert not surname_matches(booked, typed)


def test_reference_ignores_case_spaces_and_dashes() -> None:
    assert normalise_reference(" q7k2-lm ") == "Q7K2LM"
