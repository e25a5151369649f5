"""Timetable times are written as Babel writes "d. MMM y, HH:mm" (German) and
"d MMM y, HH:mm" (English), in the station's own UTC offset."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from babel.dates import format_datetime

from portal.templating import station_time_in

PATTERNS = {"de": "d. MMM y, HH:mm", "en": "d MMM y, HH:mm"}


@pytest.mark.parametrize("language", sorted(PATTERNS))
@pytest.mark.parametrize("month", range(1, 13))
def test_as_babel_writes_it(language: str, month: int) -> None:
    for offset, day, hour, minute in ((1, 1, 0, 5), (-5, 28, 23, 59), (0, 9, 12, 0)):
        zone = timezone(timedelta(hours=offset))
        value = datetime(2026, month, day, hour, minute, tzinfo=zone)
        assert station_time_in(value, language) == format_datetime(
            value, PATTERNS[language], tzinfo=zone, locale=language)
