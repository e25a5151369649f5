"""One surname rule: the passenger's look-up in SQL (claims.passengers.booking_reads:
the folded name key equal to the typed surname's, or ending in a space and it) finds a
booking exactly when claims.core.names.surname_matches says its name is matched, for
names and typed surnames over an alphabet with umlauts, accents, hyphens, apostrophes,
spaces and SQL's LIKE wildcards."""

from __future__ import annotations

import itertools

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from claims.core.names import surname_matches
from claims.passengers.booking_reads import found_bookings
from tests.helpers import create_operator, load
from tests.records import rail_booking

LETTERS = "aeiouäöüßéçnmrstlMÜÖÄSLÉ"
WORD = st.text(alphabet=LETTERS, min_size=1, max_size=8)
NAMES = st.lists(WORD, min_size=1, max_size=4).map(
    lambda words: "".join(w + sep for w, sep in zip(words, itertools.cycle([" ", "-"]),
                                                     strict=False)).strip(" -"))
# What a passenger types: the name's last words (as typed: other case, other spelling of
# an umlaut), or anything, wildcards and punctuation included.
TYPED = st.text(alphabet=LETTERS + " -'%_.", min_size=0, max_size=20)
REFERENCES = (f"S{number:05d}" for number in itertools.count())


@settings(max_examples=120, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(name=NAMES, typed=TYPED, last_words=st.integers(min_value=0, max_value=3),
       data=st.data())
def test_the_look_up_finds_a_booking_exactly_when_the_surname_matches(
        app: Flask, name: str, typed: str, last_words: int, data: st.DataObject) -> None:
    if not getattr(app, "_surname_operator", False):
        create_operator(app)
        app._surname_operator = True  # type: ignore[attr-defined]
    if last_words:
        # The name's last words, as a passenger may type them.
        words = name.replace("-", " ").split()[-last_words:]
        typed = data.draw(st.sampled_from([" ".join(words), " ".join(words).upper(),
                                           "-".join(words).replace("ü", "ue")]))
    reference = next(REFERENCES)
    load(app, [rail_booking(reference, passenger={"name": name})])
    with app.extensions["effortless"].session_factory() as session:
        found = bool(found_bookings(session, reference, typed))
    assert found == surname_matches(name, typed), (name, typed)
