"""Charts as SVG made on the server: the web page and its PDF show the same drawing, and
the page needs no script. Every label is escaped."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

WIDTH, HEIGHT = 720, 300
LEFT, RIGHT, TOP, BOTTOM = 60, 50, 20, 90
BAR = "#0b3d66"
LINE = "#b35900"


def pareto(items: Sequence[tuple[str, float]], *, title: str, unit: str) -> Markup:
    """Bars largest first, with the cumulative share as a line on a 0-100 % scale."""
    values = [(label, max(0.0, value)) for label, value in items if value > 0][:15]
    if not values:
        return Markup("")
    total = sum(v for _, v in values)
    top = max(v for _, v in values)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / len(values)
    parts = [_open(title)]
    cumulative, points = 0.0, []
    for index, (label, value) in enumerate(values):
        x = LEFT + index * step
        height = plot_h * value / top
        parts.append(f'<rect x="{x + step * 0.15:.1f}" y="{TOP + plot_h - height:.1f}" '
                     f'width="{step * 0.7:.1f}" height="{height:.1f}" fill="{BAR}">'
                     f'<title>{escape(label)}: {value:,.2f} {escape(unit)}</title></rect>')
        parts.append(f'<text x="{x + step / 2:.1f}" y="{TOP + plot_h + 8}" font-size="10" '
                     f'text-anchor="end" transform="rotate(-40 {x + step / 2:.1f} '
                     f'{TOP + plot_h + 8})">{escape(_short(label))}</text>')
        cumulative += value
        points.append((x + step / 2, TOP + plot_h * (1 - cumulative / total)))
    parts.append('<polyline fill="none" stroke="{}" stroke-width="2" points="{}"/>'.format(
        LINE, " ".join(f"{x:.1f},{y:.1f}" for x, y in points)))
    parts += _axes(plot_h, f"{top:,.0f} {unit}", right="100 %")
    parts.append("</svg>")
    return Markup("".join(parts))


def line(points: Sequence[tuple[str, float | None]], *, title: str, unit: str,
         maximum: float | None = None) -> Markup:
    """One value per period, as a line; gaps where a period has none."""
    known = [v for _, v in points if v is not None]
    if not known:
        return Markup("")
    top = maximum or max(known) or 1.0
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(1, len(points) - 1)
    parts = [_open(title)]
    coordinates = []
    for index, (label, value) in enumerate(points):
        x = LEFT + index * step
        if value is not None:
            y = TOP + plot_h * (1 - value / top)
            coordinates.append(f"{x:.1f},{y:.1f}")
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{BAR}">'
                         f"<title>{escape(label)}: {value:,.2f} {escape(unit)}</title></circle>")
        if len(points) <= 12 or index % max(1, len(points) // 12) == 0:
            parts.append(f'<text x="{x:.1f}" y="{TOP + plot_h + 8}" font-size="10" '
                         f'text-anchor="end" transform="rotate(-40 {x:.1f} '
                         f'{TOP + plot_h + 8})">{escape(label)}</text>')
    parts.append(f'<polyline fill="none" stroke="{BAR}" stroke-width="2" '
                 f'points="{" ".join(coordinates)}"/>')
    parts += _axes(plot_h, f"{top:,.2f} {unit}")
    parts.append("</svg>")
    return Markup("".join(parts))


def _open(title: str) -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
            f'role="img" aria-label="{escape(title)}" class="chart" '
            f'font-family="DejaVu Sans, sans-serif"><title>{escape(title)}</title>')


def _axes(plot_h: float, top_label: str, right: str | None = None) -> list[str]:
    bottom = TOP + plot_h
    parts = [f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{bottom}" stroke="#333"/>',
             f'<line x1="{LEFT}" y1="{bottom}" x2="{WIDTH - RIGHT}" y2="{bottom}" '
             'stroke="#333"/>',
             f'<text x="{LEFT - 4}" y="{TOP + 4}" font-size="10" text-anchor="end">'
             f"{escape(top_label)}</text>",
             f'<text x="{LEFT - 4}" y="{bottom}" font-size="10" text-anchor="end">0</text>']
    if right:
        parts.append(f'<text x="{WIDTH - RIGHT + 4}" y="{TOP + 4}" font-size="10">'
                     f"{escape(right)}</text>")
    return parts


def _short(label: str, limit: int = 28) -> str:
    return label if len(label) <= limit else label[:limit - 1] + "…"
