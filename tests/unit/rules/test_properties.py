"""Properties over many generated journeys (hypothesis)."""

from datetime import timedelta
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from claims.core.rules import eu_rail
from claims.core.rules.causes import CAUSES
from claims.core.rules.engine import assess
from claims.core.rules.journey_input import JourneyInput
from tests.unit.rules.helpers import SCHEDULED, fare

prices = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("5000.00"), places=2)
delays = st.integers(min_value=-120, max_value=24 * 60)
causes = st.sampled_from(sorted(CAUSES))
kinds = st.sampled_from(["single", "return", "season"])
thresholds = st.decimals(min_value=Decimal("0.00"), max_value=Decimal("4.00"), places=2)
airports = st.sampled_from(["FRA", "CDG", "LIS", "JFK", "LHR", "KEF", "RUN", "LPA", "DXB"])


@st.composite
def rail_journeys(draw: st.DrawFn, regime: str | None = None) -> JourneyInput:
    regime = regime or draw(st.sampled_from(["eu-rail", "uk-rail"]))
    kind = draw(kinds) if regime == "eu-rail" else draw(st.sampled_from(["single", "return"]))
    price = draw(prices)
    leg = None
    if kind == "return" and draw(st.booleans()):
        leg = draw(st.decimals(min_value=Decimal("0.00"), max_value=price, places=2))
    return JourneyInput(
        regime=regime, scheduled_arrival=SCHEDULED,
        actual_arrival=SCHEDULED + timedelta(minutes=draw(delays)), cause=draw(causes),
        fare=fare(str(price), kind), leg_amount=leg, minimum_payout=draw(thresholds),
        informed_before_purchase=draw(st.booleans()),
        scheme=draw(st.sampled_from(["DR15", "DR30"])))


@st.composite
def flights(draw: st.DrawFn) -> JourneyInput:
    origin, destination = draw(st.lists(airports, min_size=2, max_size=2, unique=True))
    return JourneyInput(
        regime="eu-air", scheduled_arrival=SCHEDULED, scheduled_departure=SCHEDULED
        - timedelta(hours=3), actual_arrival=SCHEDULED + timedelta(minutes=draw(delays)),
        cause=draw(causes), origin=origin, destination=destination,
        carrier_eu=draw(st.booleans()))


@given(st.one_of(rail_journeys(), flights()))
def test_amounts_are_never_negative_and_zero_when_not_eligible(journey: JourneyInput) -> None:
    result = assess(journey)
    assert result.amount >= 0
    assert result.amount == result.amount.quantize(Decimal("0.01"))
    if not result.eligible:
        assert result.amount == Decimal("0.00")


@given(rail_journeys("eu-rail"))
def test_eu_rail_never_pays_above_the_price_basis(journey: JourneyInput) -> None:
    assert assess(journey).amount <= eu_rail.price_basis(journey)


@given(rail_journeys("uk-rail"))
def test_uk_rail_never_pays_above_the_fare(journey: JourneyInput) -> None:
    assert journey.fare is not None
    assert assess(journey).amount <= journey.fare.amount


def _later(journey: JourneyInput, extra: int) -> JourneyInput:
    assert journey.actual_arrival is not None
    return JourneyInput(**{**journey.__dict__,
                           "actual_arrival": journey.actual_arrival + timedelta(minutes=extra)})


@given(st.one_of(rail_journeys(), flights()), st.integers(min_value=1, max_value=600))
def test_amounts_never_fall_as_the_delay_grows(journey: JourneyInput, extra: int) -> None:
    assert assess(_later(journey, extra)).amount >= assess(journey).amount
