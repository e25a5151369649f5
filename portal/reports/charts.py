"""Charts as SVG made on the server: the web page and its PDF show the same drawing, and
the page needs no script. Each has its title, labelled axes with units, and a sentence
saying what to take from it; every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

from portal.templating import number

# Below the plot: category labels slanted at 40 degrees (a label of LABEL_CHARACTERS takes
# about 100 of the BOTTOM units), then the x axis's title on the last line.
WIDTH, HEIGHT = 720, 360
LEFT, RIGHT, TOP, BOTTOM = 80, 70, 44, 130
LABEL_CHARACTERS = 24
BAR = "#0b3d66"
LINE = "#b35900"
MAX_BAR = 70  # a lone bar stays a bar, not a wall
TICKS = 4


@dataclass(frozen=True)
class Axes:
    x: str        # what the categories or periods are
    y: str        # the measure, with its unit
    right: str | None = None


def pareto(items: Sequence[tuple[str, float]], *, title: str, unit: str, axes: Axes,
           takeaway: str) -> Markup:
    """Bars largest first, with the running share as a line (and points) on 0-100 %."""
    values = [(label, max(0.0, value)) for label, value in items if value > 0][:15]
    if not values:
        return Markup("")
    total = sum(v for _, v in values)
    top = _nice(max(v for _, v in values))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(values)
    bar = min(step * 0.7, MAX_BAR)
    parts = [_open(title)]
    cumulative, points = 0.0, []
    for index, (label, value) in enumerate(values):
        middle = LEFT + index * step + step / 2
        height = plot_h * value / top
        parts.append(f'<rect x="{middle - bar / 2:.1f}" y="{TOP + plot_h - height:.1f}" '
                     f'width="{bar:.1f}" height="{height:.1f}" fill="{BAR}">'
                     f'<title>{escape(label)}: {number(value, 2)} {escape(unit)}</title></rect>')
        parts.append(_category(middle, TOP + plot_h, _short(label)))
        cumulative += value
        points.append((middle, TOP + plot_h * (1 - cumulative / total), 100 * cumulative / total))
    parts.append('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(
        LINE, " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)))
    parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{LINE}">'
              f"<title>{share:.0f} %</title></circle>" for x, y, share in points]
    parts += _axes(plot_h, top, unit, axes, right_ticks=True)
    parts.append("</svg>")
    return _figure(parts, takeaway)


def line(points: Sequence[tuple[str, float | None]], *, title: str, unit: str, axes: Axes,
         takeaway: str, maximum: float | None = None) -> Markup:
    """One value per period, as a line with its points; gaps where a period has none."""
    known = [v for _, v in points if v is not None]
    if not known:
        # Nothing to draw (no complete week yet): the takeaway still says so.
        return Markup(f"<p class=\"takeaway\">{escape(takeaway)}</p>") if takeaway \
            else Markup("")
    top = maximum or _nice(max(known)) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(points) - 1)
    parts = [_open(title)]
    coordinates = []
    for index, (label, value) in enumerate(points):
        x = LEFT + index * step if len(points) > 1 else LEFT + plot_w / 2
        if value is not None:
            y = TOP + plot_h * (1 - value / top)
            coordinates.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3.5" fill="{BAR}">'
                         f"<title>{escape(label)}: {number(value, 2)} {escape(unit)}"
                         "</title></circle>")
        if len(points) <= 12 or index % max(1, len(points) // 12) == 0:
            parts.append(_category(x, TOP + plot_h, label))
    parts.append(f'<polyline fill="none" stroke="{BAR}" stroke-width="2" '
                 f'points="{" ".join(coordinates)}"/>')
    parts += _axes(plot_h, top, unit, axes)
    parts.append("</svg>")
    return _figure(parts, takeaway)


def _figure(parts: list[str], takeaway: str) -> Markup:
    return Markup(f'<figure class="chart">{"".join(parts)}'
                  f"<figcaption>{escape(takeaway)}</figcaption></figure>")


def _open(title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'role="img" aria-label="{escape(title)}" '
            f'font-family="DejaVu Sans, sans-serif"><title>{escape(title)}</title>'
            f'<text x="{WIDTH / 2}" y="20" font-size="15" font-weight="bold" '
            f'text-anchor="middle">{escape(title)}</text>')


def _category(x: float, baseline: float, label: str) -> str:
    return (f'<text x="{x:.1f}" y="{baseline + 12}" font-size="10" text-anchor="end" '
            f'transform="rotate(-40 {x:.1f} {baseline + 12})">{escape(label)}</text>')


def _axes(plot_h: float, top: float, unit: str, axes: Axes, *,
          right_ticks: bool = False) -> list[str]:
    bottom, right = TOP + plot_h, WIDTH - RIGHT
    parts = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#333"/>',
             f'<line x1="{LEFT}" y1="{bottom}" x2="{right}" y2="{bottom}" stroke="#333"/>']
    for tick in range(TICKS + 1):
        y = bottom - plot_h * tick / TICKS
        value = top * tick / TICKS
        parts.append(f'<line x1="{LEFT - 4}" y1="{y:.1f}" x2="{right}" y2="{y:.1f}" '
                     f'stroke="#ddd"/>' if tick else "")
        parts.append(f'<text x="{LEFT - 6}" y="{y + 4:.1f}" font-size="10" '
                     f'text-anchor="end">{_tick(value, unit)}</text>')
        if right_ticks:
            parts.append(f'<text x="{right + 6}" y="{y + 4:.1f}" font-size="10" '
                         f'fill="{LINE}">{100 * tick // TICKS} %</text>')
    parts.append(f'<text x="16" y="{TOP + plot_h / 2:.1f}" font-size="11" '
                 f'text-anchor="middle" transform="rotate(-90 16 {TOP + plot_h / 2:.1f})">'
                 f"{escape(axes.y)}</text>")
    parts.append(f'<text x="{LEFT + (right - LEFT) / 2:.1f}" y="{HEIGHT - 6}" font-size="11" '
                 f'text-anchor="middle">{escape(axes.x)}</text>')
    if axes.right:
        x = WIDTH - 14
        parts.append(f'<text x="{x}" y="{TOP + plot_h / 2:.1f}" font-size="11" '
                     f'fill="{LINE}" text-anchor="middle" '
                     f'transform="rotate(90 {x} {TOP + plot_h / 2:.1f})">'
                     f"{escape(axes.right)}</text>")
    return parts


def _tick(value: float, unit: str) -> str:
    text = number(value, 0 if value >= 10 or value == int(value) else 2)
    return escape(f"{text} {unit}" if unit == "%" else text)


def _nice(value: float) -> float:
    """A round top for the scale: 1, 2, 2.5 or 5 times a power of ten, at or above value."""
    if value <= 0:
        return 1.0
    power = 10 ** (len(str(int(value))) - 1) if value >= 1 else 0.1
    while power > value:
        power /= 10
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= value:
            return factor * power
    return 10 * power


def _short(label: str, limit: int = LABEL_CHARACTERS) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"
