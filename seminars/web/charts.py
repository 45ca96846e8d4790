"""Charts drawn on the server as inline SVG: no JavaScript, nothing from other hosts.

The signup chart answers an organiser's question "will it fill up, and when did people sign
up?": people signed up over time (with a seat, and the waiting list stacked on top) against
the line of seats, each message the organisers sent as a numbered mark, and the time left
until the seminar. Colours and line styles come from classes in `static/organizer.css`.
Screen readers get a title with the totals; the page adds the figures as a table.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, datetime

from babel.dates import format_date
from flask_babel import gettext as _
from flask_babel import ngettext
from markupsafe import Markup, escape

from seminars import dates
from seminars.organising.dashboard import SignupHistory
from seminars.web.i18n import current_language


@dataclass(frozen=True)
class Size:
    width: int
    height: int
    # Room around the plot for the axes' labels (none on the dashboard's small chart).
    left: int = 0
    right: int = 0
    top: int = 0
    bottom: int = 0
    axis_labels: int = 0  # how many dates the time axis names at most

    @property
    def plot_width(self) -> float:
        return self.width - self.left - self.right

    @property
    def base(self) -> float:
        return self.height - self.bottom


# A wide chart for a desktop, a narrow one whose text stays readable on a phone, and the
# dashboard's small one. The page shows one of the first two, as the screen allows.
SIZES = {
    "wide": Size(720, 310, left=48, right=20, top=30, bottom=50, axis_labels=7),
    "narrow": Size(360, 270, left=40, right=14, top=30, bottom=50, axis_labels=3),
    "small": Size(160, 48, top=2, bottom=1),
}


def _nice_step(largest: float, ticks: int = 4) -> int:
    """A step of 1, 2 or 5 times a power of ten giving about `ticks` lines up to `largest`."""
    rough = max(largest / ticks, 1)
    power = 10 ** math.floor(math.log10(rough))
    return next(int(n * power) for n in (1, 2, 5, 10) if n * power >= rough)


class _Plot:
    """Maps days and counts to the SVG's coordinates."""

    def __init__(self, history: SignupHistory, size: Size):
        self.size = size
        self.first = history.first_day
        self.day_count = (history.last_day - history.first_day).days + 1
        self.day_width = size.plot_width / self.day_count
        highest = max([history.capacity, *(day.total for day in history.days)])
        self.step = _nice_step(highest)
        self.top_value = max(math.ceil(highest * 1.08 / self.step) * self.step, 1)

    def x(self, day: date, fraction: float = 0.0) -> float:
        return round(self.size.left + ((day - self.first).days + fraction) * self.day_width, 1)

    def y(self, count: float) -> float:
        plot_height = self.size.base - self.size.top
        return round(self.size.base - count / self.top_value * plot_height, 1)


def _area(plot: _Plot, history: SignupHistory, lower, upper) -> str:
    """A step-shaped band between two counts of each day (each day flat across its width)."""
    top, bottom = [], []
    for day in history.days:
        start, end = plot.x(day.day), plot.x(day.day, 1)
        top += [f"{start},{plot.y(upper(day))}", f"{end},{plot.y(upper(day))}"]
        bottom += [f"{start},{plot.y(lower(day))}", f"{end},{plot.y(lower(day))}"]
    return "M" + " L".join(top + bottom[::-1]) + " Z"


def _date_label(day: date, language: str) -> str:
    """'3 mars' in Swedish, '3 Mar' in English."""
    return format_date(day, "d MMM", locale=language)


def _axes(plot: _Plot, history: SignupHistory, language: str) -> list[str]:
    size, parts = plot.size, []
    for count in range(0, plot.top_value + 1, plot.step):
        y = plot.y(count)
        parts.append(
            f'<line class="chart-grid" x1="{size.left}" y1="{y}" x2="{size.width - size.right}" '
            f'y2="{y}"/><text class="chart-label" x="{size.left - 6}" y="{y + 4}" '
            f'text-anchor="end">{count}</text>'
        )
    every = max(math.ceil(plot.day_count / size.axis_labels), 1)
    for offset in range(0, plot.day_count, every):
        day = date.fromordinal(history.first_day.toordinal() + offset)
        parts.append(
            f'<text class="chart-label" x="{plot.x(day, 0.5)}" y="{size.base + 18}" '
            f'text-anchor="middle">{escape(_date_label(day, language))}</text>'
        )
    parts.append(
        f'<line class="chart-axis" x1="{size.left}" y1="{size.base}" '
        f'x2="{size.width - size.right}" y2="{size.base}"/>'
    )
    return parts


def _capacity(plot: _Plot, history: SignupHistory) -> list[str]:
    size, y = plot.size, plot.y(history.capacity)
    parts = [
        f'<line class="chart-capacity" x1="{size.left}" y1="{y}" '
        f'x2="{size.width - size.right}" y2="{y}"/>'
    ]
    if size.axis_labels:
        label = ngettext("%(num)d seat", "%(num)d seats", history.capacity)
        parts.append(
            f'<text class="chart-label chart-capacity-label" x="{size.width - size.right}" '
            f'y="{y - 5}" text-anchor="end">{escape(label)}</text>'
        )
    return parts


def _today(plot: _Plot, history: SignupHistory) -> list[str]:
    if not history.first_day <= history.today < history.last_day:
        return []
    x, size = plot.x(history.today, 1), plot.size
    parts = [f'<line class="chart-today" x1="{x}" y1="{size.top}" x2="{x}" y2="{size.base}"/>']
    if size.axis_labels:
        # Under the dates, where no mark of a message can cover it.
        label = escape(_("today"))
        parts.append(
            f'<text class="chart-label chart-today-label" x="{x}" y="{size.base + 36}" '
            f'text-anchor="middle">{label}</text>'
        )
    return parts


def mailing_title(number: int, mailing, language: str) -> str:
    return ngettext(
        "Message %(number)d, %(day)s: “%(subject)s” to %(num)d person",
        "Message %(number)d, %(day)s: “%(subject)s” to %(num)d people",
        mailing.count,
        number=number,
        day=dates.day(mailing.sent_at, language),
        subject=mailing.subject,
    )


MARK_RADIUS = 9


def _mailings(plot: _Plot, history: SignupHistory, language: str) -> list[str]:
    """A line at each message's time, topped by its number; numbers that would overlap
    (messages close in time) are set side by side."""
    size, parts = plot.size, []
    last_mark = -math.inf
    for number, mailing in enumerate(history.mailings, start=1):
        moment: datetime = dates.local(mailing.sent_at)
        fraction = (moment.hour * 60 + moment.minute) / (24 * 60)
        x = plot.x(moment.date(), fraction)
        title = escape(mailing_title(number, mailing, language))
        parts.append(
            f'<g class="chart-mailing"><title>{title}</title>'
            f'<line x1="{x}" y1="{size.top}" x2="{x}" y2="{size.base}"/>'
        )
        if size.axis_labels:
            mark = max(x, last_mark + 2 * MARK_RADIUS + 2)
            last_mark = mark
            parts.append(
                f'<circle cx="{mark}" cy="{size.top - 11}" r="{MARK_RADIUS}"/>'
                f'<text x="{mark}" y="{size.top - 7}" text-anchor="middle">{number}</text>'
            )
        parts.append("</g>")
    return parts


def chart_summary(history: SignupHistory) -> str:
    """The totals in a sentence: the chart's name for screen readers, and its caption."""
    latest = history.latest
    seated, waiting = (latest.seated, latest.waiting) if latest else (0, 0)
    text = _("%(seated)d of %(capacity)d seats taken.", seated=seated, capacity=history.capacity)
    if waiting:
        text += " " + ngettext(
            "%(num)d person on the waiting list.", "%(num)d people on the waiting list.", waiting
        )
    return text


def signup_chart(
    history: SignupHistory, *, title: str, chart_id: str, size: str = "wide"
) -> Markup:
    """The signup history as an SVG image; "wide", "narrow" (a phone) or "small" (dashboard)."""
    shape, language = SIZES[size], current_language()
    label = f"{title}. {chart_summary(history)}"
    parts = [
        f'<svg class="chart signup-chart signup-chart-{size}" role="img" '
        f'aria-labelledby="{escape(chart_id)}" width="{shape.width}" height="{shape.height}" '
        f'viewBox="0 0 {shape.width} {shape.height}" xmlns="http://www.w3.org/2000/svg">'
        f'<title id="{escape(chart_id)}">{escape(label)}</title>'
    ]
    if history.first_day is not None:
        plot = _Plot(history, shape)
        if shape.axis_labels:
            parts += _axes(plot, history, language)
        if history.days:
            parts.append(f'<path class="chart-seated" d="{_area(plot, history, _zero, _seated)}"/>')
            parts.append(
                f'<path class="chart-waiting" d="{_area(plot, history, _seated, _total)}"/>'
            )
        parts += _capacity(plot, history)
        parts += _today(plot, history)
        parts += _mailings(plot, history, language)
    parts.append("</svg>")
    return Markup("".join(parts))


def _zero(day) -> int:
    return 0


def _seated(day) -> int:
    return day.seated


def _total(day) -> int:
    return day.total
