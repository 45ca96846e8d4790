"""An organisation's page (/o/<slug>) and its feeds: a subscribable calendar that icalendar
reads, and an Atom feed that feedparser reads. Every seminar page links to its organisers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import feedparser
from icalendar import Calendar

from seminars.exports.calendar import event_uid
from seminars.extensions import db
from seminars.models import SeminarStatus

BASE_URL = "http://seminars.test"


def _days(number: int) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(days=number)


def _world(seminar_factory, organization_factory):
    ofr = organization_factory("OFR")
    mau = organization_factory("Malmö universitet")
    other = organization_factory("Någon annan")
    seminars = {
        "later": seminar_factory(organization=ofr, title="Senare", starts_at=_days(30)),
        "cohosted": seminar_factory(
            organization=mau, title="Samarrangerat", starts_at=_days(10), cohosts=[ofr]
        ),
        "past": seminar_factory(organization=ofr, title="Förra året", starts_at=_days(-20)),
        "draft": seminar_factory(
            organization=ofr, title="Utkast", starts_at=_days(5), status=SeminarStatus.DRAFT
        ),
        "cancelled": seminar_factory(
            organization=ofr, title="Inställt", starts_at=_days(15), status=SeminarStatus.CANCELLED
        ),
        "others": seminar_factory(organization=other, title="Någon annans", starts_at=_days(3)),
    }
    return ofr, mau, seminars


def test_page_lists_upcoming_including_cohosted_then_past(
    client, seminar_factory, organization_factory
):
    ofr, _mau, _seminars = _world(seminar_factory, organization_factory)
    response = client.get(f"/o/{ofr.slug}")
    assert response.status_code == 200
    page = response.text
    assert "<h1>OFR</h1>" in page
    upcoming, past = page.split("Tidigare seminarier")
    positions = [upcoming.index(title) for title in ("Samarrangerat", "Inställt", "Senare")]
    assert positions == sorted(positions)  # by date, the co-hosted one first
    assert "Förra året" in past and "Förra året" not in upcoming
    assert "Utkast" not in page
    assert "Någon annans" not in page
    assert f'href="/o/{ofr.slug}/calendar.ics"' in page
    assert f'href="/o/{ofr.slug}/feed.atom"' in page


def test_page_in_english_and_unknown_organisation_is_404(
    client, seminar_factory, organization_factory
):
    ofr, _mau, _seminars = _world(seminar_factory, organization_factory)
    page = client.get(f"/o/{ofr.slug}", headers={"Accept-Language": "en"}).text
    assert "Upcoming seminars" in page and "Past seminars" in page
    assert client.get("/o/no-such-organisation").status_code == 404


def test_seminar_page_links_to_every_organisers_page(client, seminar_factory, organization_factory):
    _ofr, mau, seminars = _world(seminar_factory, organization_factory)
    page = client.get(f"/seminars/{seminars['cohosted'].slug}").text
    for organization in seminars["cohosted"].organizations:
        assert f'<a href="/o/{organization.slug}">{organization.name}</a>' in page
    # The link follows a new short name of the organisation (the cached page is redrawn).
    mau.slug = "malmo-universitet"
    db.session.commit()
    assert (
        'href="/o/malmo-universitet"' in client.get(f"/seminars/{seminars['cohosted'].slug}").text
    )


def _calendar(client, slug: str) -> Calendar:
    response = client.get(f"/o/{slug}/calendar.ics")
    assert response.status_code == 200
    assert response.mimetype == "text/calendar"
    return Calendar.from_ical(response.data)


def test_calendar_feed_is_subscribable(client, seminar_factory, organization_factory):
    ofr, _mau, seminars = _world(seminar_factory, organization_factory)
    calendar = _calendar(client, ofr.slug)

    assert str(calendar["METHOD"]) == "PUBLISH"
    assert str(calendar["X-WR-CALNAME"]) == "OFR"
    assert calendar["REFRESH-INTERVAL"].dt == timedelta(hours=1)
    assert calendar["REFRESH-INTERVAL"].params["VALUE"] == "DURATION"
    assert calendar["X-PUBLISHED-TTL"].to_ical() == b"PT1H"
    events = {str(event["SUMMARY"]): event for event in calendar.walk("VEVENT")}
    assert set(events) == {"Senare", "Samarrangerat", "Förra året", "Inställt"}
    assert str(events["Inställt"]["STATUS"]) == "CANCELLED"
    assert str(events["Senare"]["STATUS"]) == "CONFIRMED"
    assert str(events["Senare"]["URL"]) == f"{BASE_URL}/seminars/{seminars['later'].slug}"

    # Stable UIDs: the same on every fetch, and the same as in the confirmation emails.
    again = {str(e["SUMMARY"]): str(e["UID"]) for e in _calendar(client, ofr.slug).walk("VEVENT")}
    for title, event in events.items():
        assert str(event["UID"]) == again[title]
    assert str(events["Senare"]["UID"]) == event_uid(seminars["later"], BASE_URL)


def test_calendar_feed_with_only_a_cancelled_seminar_still_publishes(
    client, seminar_factory, organization_factory
):
    organization = organization_factory("Tillitsdelegationen")
    seminar_factory(organization=organization, title="Inställt", status=SeminarStatus.CANCELLED)
    calendar = _calendar(client, organization.slug)
    # METHOD:CANCEL would make a subscribing client drop the whole calendar's event.
    assert str(calendar["METHOD"]) == "PUBLISH"
    [event] = calendar.walk("VEVENT")
    assert str(event["STATUS"]) == "CANCELLED"


def test_feeds_answer_304_when_nothing_changed(client, seminar_factory, organization_factory):
    ofr, _mau, seminars = _world(seminar_factory, organization_factory)
    for path in (f"/o/{ofr.slug}/calendar.ics", f"/o/{ofr.slug}/feed.atom"):
        first = client.get(path)
        assert first.headers["ETag"]
        unchanged = client.get(path, headers={"If-None-Match": first.headers["ETag"]})
        assert unchanged.status_code == 304
    seminars["later"].title = "Senare, med ny titel"
    db.session.commit()
    changed = client.get(
        f"/o/{ofr.slug}/feed.atom",
        headers={"If-None-Match": client.get(f"/o/{ofr.slug}/feed.atom").headers["ETag"] + "x"},
    )
    assert changed.status_code == 200
    assert "Senare, med ny titel" in changed.text


def test_atom_feed_parses(client, seminar_factory, organization_factory):
    ofr, _mau, seminars = _world(seminar_factory, organization_factory)
    response = client.get(f"/o/{ofr.slug}/feed.atom")
    assert response.status_code == 200
    assert response.mimetype == "application/atom+xml"

    feed = feedparser.parse(response.data)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "atom10"
    assert feed.feed.title == "Seminarier från OFR"
    assert feed.feed.link == f"{BASE_URL}/o/{ofr.slug}"
    by_title = {entry.title: entry for entry in feed.entries}
    assert set(by_title) == {"Senare", "Samarrangerat", "Förra året", "Inställt: Inställt"}
    later = by_title["Senare"]
    assert later.link == f"{BASE_URL}/seminars/{seminars['later'].slug}"
    assert later.id.startswith("tag:seminars.test,")
    assert "Aulan" in later.summary
    assert by_title["Samarrangerat"].author == "Malmö universitet · OFR"
    # Entry ids do not change with the slug.
    seminars["later"].slug = "ny-adress"
    db.session.commit()
    again = feedparser.parse(client.get(f"/o/{ofr.slug}/feed.atom").data)
    assert {e.title: e.id for e in again.entries}["Senare"] == later.id


def test_atom_feed_in_english(client, seminar_factory, organization_factory):
    ofr, _mau, _seminars = _world(seminar_factory, organization_factory)
    feed = feedparser.parse(
        client.get(f"/o/{ofr.slug}/feed.atom", headers={"Accept-Language": "en"}).data
    )
    assert feed.bozo == 0
    assert feed.feed.title == "Seminars from OFR"
    assert "Cancelled: Inställt" in {entry.title for entry in feed.entries}
