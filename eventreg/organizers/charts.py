"""Charts drawn on the server as SVG: no script, no library, readable without either.

Each chart is an ``<svg role="img">`` named by its ``<title>`` and described by its
``<desc>`` (which states the figures in words); the page shows the same figures as a table
next to it. Colours are presentation attributes (the content security policy allows no
inline styles), text takes the page's colour (``currentColor``), and both bar colours keep
a 3:1 contrast on the light and the dark background.
"""

from collections.abc import Sequence
from datetime import date

from markupsafe import Markup, escape

CONFIRMED_COLOUR = "#2f6fb0"
WAITING_COLOUR = "#b85c00"
PENDING_COLOUR = "#7b6b8f"
FONT = 'font-family="inherit" font-size="13"'


def _number(value: float) -> str:
    return f"{value:.1f}".rstrip("0").rstrip(".")


def bar_chart(
    chart_id: str, title: str, description: str, bars: Sequence[tuple[str, int]]
) -> Markup:
    """Horizontal bars, one per (label, count), the count written after each bar."""
    label_width, bar_width, row, top = 180, 300, 26, 8
    height = top * 2 + row * max(len(bars), 1)
    largest = max((count for _label, count in bars), default=0) or 1
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {label_width + bar_width + 60} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for index, (label, count) in enumerate(bars):
        y = top + index * row
        width = bar_width * count / largest
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="currentColor" '
            f"{FONT}>{escape(short)}</text>"
        )
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{_number(width)}" height="{row - 8}" '
            f'fill="{CONFIRMED_COLOUR}"/>'
        )
        parts.append(
            f'<text x="{_number(label_width + width + 6)}" y="{y + 17}" fill="currentColor" '
            f"{FONT}>{count}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def cumulative_chart(
    chart_id: str,
    title: str,
    description: str,
    days: Sequence[tuple[date, int, int]],
    legend: tuple[str, str],
) -> Markup:
    """Two step lines over the days, (day, confirmed, waiting) each a running total."""
    left, right, top, bottom, width, height = 48, 12, 28, 36, 560, 240
    plot_w, plot_h = width - left - right, height - top - bottom
    largest = max((max(c, w) for _d, c, w in days), default=0) or 1
    step = plot_w / max(len(days) - 1, 1)

    def x(index: int) -> str:
        return _number(left + index * step)

    def y(value: int) -> str:
        return _number(top + plot_h - plot_h * value / largest)

    def path(values: list[int]) -> str:
        if not values:
            return ""
        points = [f"M{x(0)},{y(values[0])}"]
        for index in range(1, len(values)):
            points.append(f"H{x(index)}V{y(values[index])}")
        return "".join(points)

    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {width} {height}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
        # Axes and the largest value.
        f'<path d="M{left},{top}V{top + plot_h}H{width - right}" fill="none" '
        'stroke="currentColor" stroke-width="1"/>',
        f'<text x="{left - 6}" y="{top + 4}" text-anchor="end" fill="currentColor" {FONT}>'
        f"{largest}</text>",
        f'<text x="{left - 6}" y="{top + plot_h + 4}" text-anchor="end" fill="currentColor" '
        f"{FONT}>0</text>",
    ]
    if days:
        first, last = days[0][0].isoformat(), days[-1][0].isoformat()
        parts.append(
            f'<text x="{left}" y="{height - 12}" fill="currentColor" {FONT}>{first}</text>'
        )
        if len(days) > 1:
            parts.append(
                f'<text x="{width - right}" y="{height - 12}" text-anchor="end" '
                f'fill="currentColor" {FONT}>{last}</text>'
            )
        for values, colour, dash in (
            ([c for _d, c, _w in days], CONFIRMED_COLOUR, ""),
            ([w for _d, _c, w in days], WAITING_COLOUR, ' stroke-dasharray="6 4"'),
        ):
            parts.append(
                f'<path d="{path(values)}" fill="none" stroke="{colour}" stroke-width="2.5"{dash}/>'
            )
    # The legend: a line sample of each series (dashed for waiting: not by colour alone).
    for index, (label, colour, dash) in enumerate(
        ((legend[0], CONFIRMED_COLOUR, ""), (legend[1], WAITING_COLOUR, ' stroke-dasharray="6 4"'))
    ):
        x0 = left + index * 200
        parts.append(
            f'<path d="M{x0},{12}h24" stroke="{colour}" stroke-width="2.5"{dash} fill="none"/>'
        )
        parts.append(
            f'<text x="{x0 + 30}" y="{16}" fill="currentColor" {FONT}>{escape(label)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)


def stacked_bar_chart(
    chart_id: str,
    title: str,
    description: str,
    bars: Sequence[tuple[str, Sequence[int]]],
    legend: Sequence[str],
) -> Markup:
    """Horizontal bars, one per (label, counts), each stacked from its counts in the order
    of ``legend`` (confirmed, waiting, pending), the total written after it. The series are
    told apart by colour and by a white gap between segments, and the table says it too."""
    colours = (CONFIRMED_COLOUR, WAITING_COLOUR, PENDING_COLOUR)
    label_width, bar_width, row, top = 180, 300, 26, 30
    height = top + 8 + row * max(len(bars), 1)
    largest = max((sum(counts) for _label, counts in bars), default=0) or 1
    parts = [
        f'<svg class="chart" id="{escape(chart_id)}" role="img" '
        f'aria-labelledby="{escape(chart_id)}-title {escape(chart_id)}-desc" '
        f'viewBox="0 0 {label_width + bar_width + 60} {height}" '
        f'width="100%" preserveAspectRatio="xMinYMin meet" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{escape(chart_id)}-title">{escape(title)}</title>',
        f'<desc id="{escape(chart_id)}-desc">{escape(description)}</desc>',
    ]
    for index, label in enumerate(legend):
        x0 = 8 + index * 170
        parts.append(f'<rect x="{x0}" y="6" width="14" height="14" fill="{colours[index]}"/>')
        parts.append(
            f'<text x="{x0 + 20}" y="18" fill="currentColor" {FONT}>{escape(label)}</text>'
        )
    for index, (label, counts) in enumerate(bars):
        y = top + index * row
        short = label if len(label) <= 26 else label[:25] + "…"
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 17}" text-anchor="end" fill="currentColor" '
            f"{FONT}>{escape(short)}</text>"
        )
        x = float(label_width)
        for colour, count in zip(colours, counts, strict=False):
            width = bar_width * count / largest
            if width > 0:
                parts.append(
                    f'<rect x="{_number(x)}" y="{y + 4}" width="{_number(width)}" '
                    f'height="{row - 8}" fill="{colour}" stroke="#ffffff" stroke-width="1"/>'
                )
            x += width
        parts.append(
            f'<text x="{_number(x + 6)}" y="{y + 17}" fill="currentColor" {FONT}>'
            f"{sum(counts)}</text>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  (every text above is escaped)
