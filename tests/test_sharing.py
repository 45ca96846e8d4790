"""A shared seminar link (issue 13, item 9): the page has a description, OpenGraph and Twitter
card tags with the title, date and place, and a schema.org Event as JSON-LD, read back here
the way other sites read them (extruct). The Event's offer stays right through the page
cache, and its data block passes the strict CSP (it is data, never run)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import extruct
import pytest

from seminars import signup
from seminars.extensions import db
from seminars.models import SeminarStatus
from seminars.web import pagecache
from tests.conftest import attendee, register

BASE_URL = "http://seminars.test"
START = datetime(2031, 3, 19, 12, 0, tzinfo=UTC)  # onsdag 19 mars 2031 kl. 13.00 in Stockholm


@pytest.fixture
def seminar(seminar_factory, organization_factory):
    host = organization_factory("OFR", website="https://www.ofr.se")
    seminar = seminar_factory(
        title="Inflytande och hälsa med tillitsbaserad styrning?",
        subtitle="Ett seminarium om tillitsreformen",
        starts_at=START,
        ends_at=START + timedelta(hours=3),
        venue_name="Norra Latin, Aulan",
        venue_address="Drottninggatan 71B, 111 36 Stockholm",
        capacity=2,
        organization=host,
    )
    seminar.cohosts = [organization_factory("Tillitsdelegationen")]
    db.session.commit()
    return seminar


def read(client, seminar) -> dict:
    response = client.get(f"/seminars/{seminar.slug}")
    assert response.status_code == 200
    return extruct.extract(response.text, base_url=BASE_URL, syntaxes=["json-ld", "opengraph"])


def event_of(data: dict) -> dict:
    events = [item for item in data["json-ld"] if item.get("@type") == "Event"]
    assert len(events) == 1
    return events[0]


def test_the_page_is_an_event_with_its_times_place_and_organisers(client, seminar):
    event = event_of(read(client, seminar))
    assert event["name"] == "Inflytande och hälsa med tillitsbaserad styrning?"
    assert event["startDate"] == "2031-03-19T13:00:00+01:00"
    assert event["endDate"] == "2031-03-19T16:00:00+01:00"
    assert event["url"] == f"{BASE_URL}/seminars/{seminar.slug}"
    assert event["eventStatus"] == "https://schema.org/EventScheduled"
    assert event["eventAttendanceMode"] == "https://schema.org/OfflineEventAttendanceMode"
    assert event["location"] == [
        {
            "@type": "Place",
            "name": "Norra Latin, Aulan",
            "address": {
                "@type": "PostalAddress",
                "streetAddress": "Drottninggatan 71B",
                "postalCode": "111 36",
                "addressLocality": "Stockholm",
                "addressCountry": "SE",
            },
        }
    ]
    cohost = seminar.cohosts[0]
    assert event["organizer"] == [
        {"@type": "Organization", "name": "OFR", "url": "https://www.ofr.se"},
        # Without a website of its own: its page here.
        {
            "@type": "Organization",
            "name": "Tillitsdelegationen",
            "url": f"{BASE_URL}/o/{cohost.slug}",
        },
    ]
    assert event["offers"]["availability"] == "https://schema.org/InStock"
    assert event["offers"]["price"] == "0" and event["offers"]["priceCurrency"] == "SEK"


def test_a_summer_date_carries_the_summer_offset(client, seminar):
    seminar.starts_at = datetime(2031, 6, 11, 7, 30, tzinfo=UTC)
    seminar.ends_at = seminar.starts_at + timedelta(hours=2)
    db.session.commit()
    event = event_of(read(client, seminar))
    assert (event["startDate"], event["endDate"]) == (
        "2031-06-11T09:30:00+02:00",
        "2031-06-11T11:30:00+02:00",
    )


def test_an_online_seminar_has_a_virtual_location_and_a_hybrid_one_both(client, seminar):
    seminar.online_info = "Länk till Zoom skickas dagen före."
    db.session.commit()
    event = event_of(read(client, seminar))
    assert event["eventAttendanceMode"] == "https://schema.org/MixedEventAttendanceMode"
    assert [place["@type"] for place in event["location"]] == ["Place", "VirtualLocation"]
    # The joining link is only for those registered: the location points to the page.
    assert event["location"][1]["url"] == f"{BASE_URL}/seminars/{seminar.slug}"
    assert "Zoom" not in str(event)
    seminar.venue_name = seminar.venue_address = ""
    db.session.commit()
    event = event_of(read(client, seminar))
    assert event["eventAttendanceMode"] == "https://schema.org/OnlineEventAttendanceMode"
    assert [place["@type"] for place in event["location"]] == ["VirtualLocation"]


def test_a_cancelled_seminar_says_so(client, seminar):
    seminar.status = SeminarStatus.CANCELLED
    db.session.commit()
    event = event_of(read(client, seminar))
    assert event["eventStatus"] == "https://schema.org/EventCancelled"
    assert event["offers"]["availability"] == "https://schema.org/Discontinued"


def test_registration_not_yet_open_is_a_pre_order(client, seminar):
    seminar.registration_opens_at = datetime.now(UTC) + timedelta(days=3)
    db.session.commit()
    offer = event_of(read(client, seminar))["offers"]
    assert offer["availability"] == "https://schema.org/PreOrder"
    # (Such a seminar's page and the list of seminars were a 500 before: a macro without
    # the page's date formats.)
    assert "Anmälan öppnar" in client.get("/").text
    assert offer["validFrom"].endswith(("+01:00", "+02:00"))


def test_availability_follows_the_seats_through_the_page_cache(client, seminar):
    """Rendered once per version: the key says whether a seat is left, and so does the offer."""
    people = [register(seminar, attendee(f"p{n}@example.org")) for n in range(2)]
    db.session.commit()
    assert event_of(read(client, seminar))["offers"]["availability"].endswith("/SoldOut")
    signup.cancel(people[0])
    db.session.commit()
    assert event_of(read(client, seminar))["offers"]["availability"].endswith("/InStock")
    register(seminar, attendee("p3@example.org"))
    db.session.commit()
    # The page kept from the first view is served again, and is still right.
    assert event_of(read(client, seminar))["offers"]["availability"].endswith("/SoldOut")


def test_a_page_kept_for_a_full_seminar_never_offers_a_seat(app, seminar):
    """Between the row read for the key and the rendering, the last seat may go or come back:
    the offer follows the key's seat count, not the row read a moment later."""
    from seminars.web.public import views

    def render():
        return views._seminar_page(seminar.id)

    with app.test_request_context(f"/seminars/{seminar.slug}"):
        html = pagecache.PageCache(size=0).page(("key",), render, seats=0)
    event = event_of(extruct.extract(html, base_url=BASE_URL, syntaxes=["json-ld"]))
    assert seminar.seats_left == 2
    assert event["offers"]["availability"] == "https://schema.org/SoldOut"


def test_opengraph_and_twitter_card_have_the_title_date_and_place(client, seminar):
    og = dict(read(client, seminar)["opengraph"][0]["properties"])
    assert og["og:title"] == "Inflytande och hälsa med tillitsbaserad styrning?"
    assert og["og:description"] == (
        "onsdag 19 mars 2031 kl. 13.00–16.00 · Norra Latin, Aulan, Drottninggatan 71B, "
        "111 36 Stockholm. Ett seminarium om tillitsreformen"
    )
    assert og["og:url"] == f"{BASE_URL}/seminars/{seminar.slug}"
    assert og["og:type"] == "website" and og["og:locale"] == "sv_SE"
    assert og["og:image"] == f"{BASE_URL}/static/favicon-512.png"
    page = client.get(f"/seminars/{seminar.slug}").text
    assert '<meta name="twitter:card" content="summary">' in page
    assert (
        '<meta name="twitter:title" content="Inflytande och hälsa med tillitsbaserad styrning?">'
        in page
    )
    assert f'<meta name="description" content="{og["og:description"]}">' in page


def test_in_english_the_date_is_english(client, seminar):
    client.set_cookie("lang", "en")
    og = dict(read(client, seminar)["opengraph"][0]["properties"])
    assert og["og:description"].startswith("Wednesday 19 March 2031, 13:00–16:00")
    assert og["og:locale"] == "en_GB"


def test_every_page_has_a_description_and_a_favicon(client, seminar):
    page = client.get("/").text
    assert '<meta name="description" content="Seminarier som du anmäler dig till' in page
    assert '<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">' in page
    for path in ("/static/favicon.svg", "/static/favicon.ico", "/static/favicon-512.png"):
        assert client.get(path).status_code == 200, path


def test_typed_text_cannot_end_the_data_block(client, seminar):
    seminar.title = '</script><script>alert("x")</script> & <b>'
    db.session.commit()
    page = client.get(f"/seminars/{seminar.slug}").text
    block = page[page.index('<script type="application/ld+json">') :]
    block = block[: block.index("</script>")]
    assert "<" not in block[1:] and "&" not in block.replace("\\u0026", "")
    assert event_of(read(client, seminar))["name"] == seminar.title
