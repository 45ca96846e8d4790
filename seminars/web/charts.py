"""Charts drawn on the server as inline SVG: no JavaScript, nothing from other hosts."""

from __future__ import annotations

from datetime import date

from markupsafe import Markup, escape

BAR_WIDTH = 8
BAR_GAP = 2
HEIGHT = 48
MIN_WIDTH = 120


def signups_per_day(days: list[tuple[date, int]], *, title: str, chart_id: str) -> Markup:
    """A bar per day. Screen readers get the title; each bar has its day and count as a
    tooltip, and the page shows a text summary next to it."""
    tallest = max((count for _, count in days), default=0) or 1
    step = BAR_WIDTH + BAR_GAP
    width = max(len(days) * step, MIN_WIDTH)
    bars = []
    for index, (day, count) in enumerate(days):
        height = round(count / tallest * (HEIGHT - 2)) if count else 0
        bars.append(
            f'<rect class="chart-bar" x="{index * step}" y="{HEIGHT - 1 - height}" '
            f'width="{BAR_WIDTH}" height="{height}">'
            f"<title>{escape(day.isoformat())}: {count}</title></rect>"
        )
    return Markup(
        f'<svg class="chart" role="img" aria-labelledby="{escape(chart_id)}" '
        f'width="{width}" height="{HEIGHT}" viewBox="0 0 {width} {HEIGHT}" '
        f'xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}">{escape(title)}</title>'
        f'<line class="chart-axis" x1="0" y1="{HEIGHT - 0.5}" x2="{width}" y2="{HEIGHT - 0.5}"/>'
        f"{''.join(bars)}</svg>"
    )
