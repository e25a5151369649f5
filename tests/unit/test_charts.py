"""The charts' geometry: a slanted category label ends above the x axis's title."""

import math
import re

from portal.reports import charts

# DejaVu Sans at 10 units: 6.3 units a character on average for these labels, at most.
CHARACTER_WIDTH = 6.3


def test_a_long_category_label_is_cut_and_ends_above_the_axis_title() -> None:
    svg = str(charts.pareto([("reason: no operations data yet for this train", 5.0),
                             ("asked for: statement", 2.0)], title="Cost", unit="EUR",
                            axes=charts.Axes("Driver (largest first)", "Cost, EUR"),
                            takeaway=""))
    labels = re.findall(r'<text x="[\d.]+" y="([\d.]+)" font-size="10" text-anchor="end" '
                        r'transform="rotate\(-40[^"]*">([^<]*)</text>', svg)
    assert [text for _y, text in labels] == ["reason: no operations d…", "asked for: statement"]
    title_y = float(re.findall(r'<text x="[\d.]+" y="([\d.]+)" font-size="11" '
                               r'text-anchor="middle">Driver', svg)[0])
    for y, text in labels:
        lowest = float(y) + len(text) * CHARACTER_WIDTH * math.sin(math.radians(40)) + 3
        assert lowest < title_y - 11, (text, lowest, title_y)
