"""Every code of the vocabulary has words on a page, in English and in German: a new
reason, event, status, cause, regime or path added without them would reach the staff
pages as the bare code (tests/integration/test_no_raw_codes.py finds those it renders)."""

from __future__ import annotations

from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask import Flask
from flask_babel import Babel

from claims.clerks.review import INFO_ITEMS
from claims.core.rules.causes import CAUSES
from claims.core.vocabulary import Actor, ClaimStatus, EventKind, ReasonCode, Regime
from claims.passengers.claim_writes import CLAIM_FIELDS
from claims.reporting.reports import PATHS
from portal.templating import LABELS

CATALOG = Path(__file__).resolve().parents[2] / "portal" / "translations" / "de" / \
    "LC_MESSAGES" / "messages.po"

# Each kind of code, and every code of it the product knows.
VOCABULARY = {
    "reason": {code.value for code in ReasonCode},
    "event": {kind.value for kind in EventKind},
    "status": {status.value for status in ClaimStatus},
    "actor": {actor.value for actor in Actor},
    "regime": {regime.value for regime in Regime},
    "cause": set(CAUSES),
    "path": set(PATHS),
    # The fields the effort drivers name: typed on the claim form (with an account),
    # asked for by a clerk, uploaded.
    "field": {*CLAIM_FIELDS, *INFO_ITEMS, "iban", "account_holder", "sort_code",
              "account_number", "ticket"},
}


@pytest.mark.parametrize("kind", sorted(VOCABULARY))
def test_every_code_of_a_kind_has_words(kind: str) -> None:
    assert VOCABULARY[kind] - set(LABELS[kind]) == set()


@pytest.mark.parametrize("kind", sorted(LABELS))
def test_every_label_is_translated_into_german(kind: str) -> None:
    with CATALOG.open("rb") as file:
        catalog = read_po(file)
    # Without a catalogue of its own, Babel gives each lazy string as its message id.
    bare = Flask(__name__)
    Babel(bare)
    with bare.app_context():
        ids = {code: str(words) for code, words in LABELS[kind].items()}
    untranslated = sorted(code for code, msgid in ids.items()
                          if msgid not in catalog or not catalog[msgid].string)
    assert untranslated == []
