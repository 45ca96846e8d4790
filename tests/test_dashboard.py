"""The organiser's dashboard: own seminars only, the right counts from a fixed number of
queries, and a small signup chart per seminar (the full chart: test_signup_chart.py)."""

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import event

from seminars import signup
from seminars.extensions import db
from seminars.models import utcnow
from tests.conftest import attendee, log_in, register


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("OFR"))


@pytest.fixture
def english_client(client, organizer):
    client.set_cookie("lang", "en")
    log_in(client, organizer)
    return client


def _row(page: str, title: str) -> str:
    start = page.index(title)
    return page[start : page.index("</tr>", start)]


def _numbers(row: str) -> list[int]:
    return [int(n) for n in re.findall(r'<td class="num"[^>]*>(\d+)</td>', row)]


def test_counts_for_upcoming_and_past_seminars(english_client, organizer, seminar_factory):
    mine = organizer.organizations[0]
    upcoming = seminar_factory(organization=mine, title="Frukostsamtal", capacity=2)
    people = [register(upcoming, attendee(f"p{n}@example.org")) for n in range(4)]
    signup.cancel(people[3])
    people[0].checked_in_at = utcnow()
    seminar_factory(
        organization=mine,
        title="Förra årets seminarium",
        starts_at=datetime.now(UTC) - timedelta(days=300),
    )
    db.session.commit()

    page = english_client.get("/organizer/").text
    upcoming_section, past_section = page.split('id="past-heading"')
    # confirmed, seats, waiting, checked in
    assert _numbers(_row(upcoming_section, "Frukostsamtal")) == [2, 2, 1, 1]
    assert _numbers(_row(past_section, "Förra årets seminarium")) == [0, 10, 0, 0]
    assert "Förra årets seminarium" not in upcoming_section


def test_only_my_organisations_seminars_including_cohosted(
    english_client, organizer, seminar_factory, organization_factory
):
    other = organization_factory("Någon annan")
    seminar_factory(organization=organizer.organizations[0], title="Vårt eget")
    cohosted = seminar_factory(organization=other, title="Samarrangemanget")
    cohosted.cohosts = [organizer.organizations[0]]
    seminar_factory(organization=other, title="Någon annans hemliga")
    db.session.commit()
    page = english_client.get("/organizer/").text
    assert "Vårt eget" in page
    assert "Samarrangemanget" in page
    assert "Någon annans hemliga" not in page


def _statements_for(client, url: str) -> int:
    from flask import g

    # A request of its own, as in real life: the test's app context outlives requests,
    # and Flask-Login would reuse the account it loaded in the previous one.
    g.pop("_login_user", None)
    statements = []

    def count(*args):
        statements.append(args[2])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        assert client.get(url).status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return len(statements)


def _add_seminars(organizer, seminar_factory, how_many: int, cohost) -> None:
    for n in range(how_many):
        seminar = seminar_factory(organization=organizer.organizations[0], capacity=3)
        seminar.cohosts = [cohost]
        for person in range(5):
            register(seminar, attendee(f"p{n}-{person}@example.org"))
    db.session.commit()


def test_dashboard_queries_do_not_grow_with_the_number_of_seminars(
    english_client, organizer, seminar_factory, organization_factory
):
    partner = organization_factory("Partner")
    _add_seminars(organizer, seminar_factory, 2, partner)
    few = _statements_for(english_client, "/organizer/")
    _add_seminars(organizer, seminar_factory, 10, partner)
    many = _statements_for(english_client, "/organizer/")
    assert many == few, (few, many)
    # The account and its server-side session, what the person may see (access.standing:
    # the menu and the guard), and the dashboard's own, its parallel sessions' seats included.
    assert few <= 9, few


def test_each_seminar_has_a_small_signup_chart_with_its_totals(
    english_client, organizer, seminar_factory
):
    seminar = seminar_factory(organization=organizer.organizations[0], title="Med graf", capacity=2)
    now = utcnow()
    for n, days_ago in enumerate([3, 3, 1]):
        register(seminar, attendee(f"p{n}@example.org"), now=now - timedelta(days=days_ago))
    db.session.commit()
    row = _row(english_client.get("/organizer/").text, "Med graf")
    svg = row[row.index("<svg") : row.index("</svg>")]
    assert 'role="img"' in svg and 'class="chart signup-chart signup-chart-small"' in svg
    assert re.search(r'<title id="chart-upcoming-\d+">Signups over time for Med graf\. ', svg)
    assert "2 of 2 seats taken. 1 person on the waiting list." in svg
    # Seats, the waiting list on top of them, and the line of seats.
    assert '<path class="chart-seated"' in svg and '<path class="chart-waiting"' in svg
    assert '<line class="chart-capacity"' in svg
    assert "style=" not in svg and "<script" not in row
    assert "3 signups since" in row
    assert "2 of 2 seats taken." in row


def test_seminar_without_signups_says_so(english_client, organizer, seminar_factory):
    seminar_factory(organization=organizer.organizations[0], title="Tomt")
    db.session.commit()
    assert "No signups yet." in _row(english_client.get("/organizer/").text, "Tomt")
