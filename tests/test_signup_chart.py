"""The signup chart (issue 13, item 11): signups over time against the seats, the waiting list
stacked on top, a numbered mark for every message sent, Swedish dates on the axis, drawn on
the server as SVG with a table of the same figures for screen readers."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest

from seminars import dates, signup
from seminars.extensions import db
from seminars.organising import messaging
from seminars.organising.dashboard import seminar_history
from seminars.web import charts
from tests.conftest import attendee, log_in, register

# Monday 2 March: signups that week, the seminar a fortnight later.
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("OFR"))


@pytest.fixture
def seminar(seminar_factory, organizer):
    return seminar_factory(
        organization=organizer.organizations[0],
        title="Tillit i praktiken",
        capacity=2,
        starts_at=MONDAY + timedelta(days=14, hours=4),
    )


@pytest.fixture
def busy_week(seminar, organizer):
    """Monday: two signups fill the seats. Tuesday: a third waits. Wednesday: one of the first
    cancels, the waiting one gets the seat, and the organisers send a message."""
    first = register(seminar, attendee("a@example.org"), now=MONDAY)
    register(seminar, attendee("b@example.org"), now=MONDAY + timedelta(hours=2))
    register(seminar, attendee("c@example.org"), now=MONDAY + timedelta(days=1))
    signup.cancel(first, now=MONDAY + timedelta(days=2))
    messaging.send_message(
        seminar,
        organizer,
        audience="confirmed",
        subject="Ny lokal",
        body="Aulan.",
        form_id="1" * 32,
    )
    db.session.commit()
    # The message went out on Wednesday at 12.00 in Stockholm.
    from seminars.models import AuditEvent

    event = db.session.scalars(db.select(AuditEvent).where(AuditEvent.action == "messaged")).one()
    event.created_at = MONDAY + timedelta(days=2, hours=2)
    db.session.commit()
    return seminar


def test_history_counts_seats_and_the_waiting_list_day_by_day(busy_week):
    history = seminar_history(busy_week, MONDAY + timedelta(days=3))
    assert [(d.day.day, d.signed_up, d.cancelled, d.seated, d.waiting) for d in history.days] == [
        (2, 2, 0, 2, 0),
        (3, 1, 0, 2, 1),
        (4, 0, 1, 2, 0),
        (5, 0, 0, 2, 0),
    ]
    assert (history.first_day.day, history.last_day.day) == (2, 16)
    assert [m.subject for m in history.mailings] == ["Ny lokal"]
    assert history.mailings[0].count == 2


def test_a_seat_given_beyond_the_capacity_is_a_seat(seminar, registration_factory):
    """An organiser may seat people beyond the capacity: they are not shown as waiting."""
    for n in range(3):
        registration_factory(seminar, created_at=MONDAY + timedelta(hours=n))
    history = seminar_history(seminar, MONDAY + timedelta(days=1))
    assert (history.latest.seated, history.latest.waiting) == (3, 0)


def _svg(history, size="wide", language="sv"):
    from flask import current_app
    from flask_babel import refresh

    with current_app.test_request_context(headers={"Cookie": f"lang={language}"}):
        svg = str(charts.signup_chart(history, title="Anmälningar", chart_id="c", size=size))
        refresh()
    return svg


def _path_points(svg: str, css_class: str) -> list[tuple[float, float]]:
    path = re.search(f'<path class="{css_class}" d="M([^"]+) Z"', svg)[1]
    return [tuple(map(float, point.split(","))) for point in path.split(" L")]


def test_chart_draws_seats_waiting_list_and_capacity_to_scale(busy_week):
    svg = _svg(seminar_history(busy_week, MONDAY + timedelta(days=3)))
    capacity_y = float(re.search(r'<line class="chart-capacity" x1="[\d.]+" y1="([\d.]+)"', svg)[1])
    seated = _path_points(svg, "chart-seated")
    waiting = _path_points(svg, "chart-waiting")
    # Two seats taken from Monday on: the top of the seats lies on the capacity line.
    assert min(y for _, y in seated) == capacity_y
    # Tuesday's waiting person sits above the line, only on Tuesday.
    assert min(y for _, y in waiting) < capacity_y
    assert sum(1 for _, y in waiting if y < capacity_y) == 2  # one day: its left and right corner
    assert "2 platser" in svg


def test_chart_axis_has_swedish_dates_and_a_mark_per_message(busy_week):
    svg = _svg(seminar_history(busy_week, MONDAY + timedelta(days=3)))
    middle = r'<text class="chart-label[^"]*"[^>]*text-anchor="middle">([^<]+)</text>'
    labels = re.findall(middle, svg)
    assert "2 mars" in labels and "i dag" in labels
    mark = re.search(r'<g class="chart-mailing"><title>([^<]+)</title>', svg)[1]
    assert mark == "Utskick 1, onsdag 4 mars 2026: ”Ny lokal” till 2 personer"
    assert re.search(r"<circle [^>]*/><text [^>]*>1</text>", svg)
    english = _svg(seminar_history(busy_week, MONDAY + timedelta(days=3)), language="en")
    assert "2 Mar" in english and "today" in english


def test_chart_is_an_image_with_its_totals_and_nothing_inline(busy_week):
    svg = _svg(seminar_history(busy_week, MONDAY + timedelta(days=3)))
    assert svg.startswith('<svg class="chart signup-chart signup-chart-wide" role="img"')
    assert '<title id="c">Anmälningar. 2 av 2 platser tagna.</title>' in svg
    assert "style=" not in svg and "<script" not in svg


def test_a_seminar_without_signups_has_an_empty_chart(seminar):
    history = seminar_history(seminar, MONDAY)
    assert history.days == [] and history.first_day is None
    assert "<path" not in _svg(history)


def test_the_seminars_page_shows_the_chart_and_the_figures_as_a_table(
    client, organizer, busy_week, time_machine
):
    time_machine.move_to(MONDAY + timedelta(days=3))
    log_in(client, organizer)
    page = client.get(f"/organizer/seminars/{busy_week.id}/edit").text
    section = page[page.index('aria-labelledby="signups-heading"') : page.index("</section>")]
    assert section.count('role="img"') == 2  # a wide and a narrow drawing, one shown at a time
    assert "2 av 2 platser tagna." in section
    assert "Utskick 1, onsdag 4 mars 2026: ”Ny lokal” till 2 personer" in section
    table = section[section.index("<table") : section.index("</table>")]
    assert "<caption>Anmälningar dag för dag</caption>" in table
    rows = [
        re.findall(r"<t[hd][^>]*>([^<]*)</t[hd]>", row)
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S)[1:]
    ]
    assert rows == [
        [dates.day(datetime(2026, 3, 2).date(), "sv"), "2", "0", "2", "0"],
        [dates.day(datetime(2026, 3, 3).date(), "sv"), "1", "0", "2", "1"],
        [dates.day(datetime(2026, 3, 4).date(), "sv"), "0", "1", "2", "0"],
    ]
