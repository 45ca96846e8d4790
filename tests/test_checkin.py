"""Check-in at the door: find a person, one tap in or out, counts that follow."""

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import AuditEvent
from tests.conftest import attendee, log_in
from tests.conftest import register as add


@pytest.fixture
def seminar(client, organizer_factory, organization_factory, seminar_factory):
    organizer = organizer_factory(organization_factory("OFR"))
    seminar = seminar_factory(capacity=3, organization=organizer.organizations[0])
    log_in(client, organizer)
    return seminar


def register(seminar, email, name):
    registration = add(seminar, attendee(email, name=name))
    db.session.commit()
    return registration


def checkin_url(seminar, registration=None):
    base = f"/organizer/seminars/{seminar.id}/checkin"
    return f"{base}/{registration.id}" if registration else base


def text(response):
    return response.get_data(as_text=True)


def counts_line(client, seminar):
    page = text(client.get(checkin_url(seminar)))
    start = page.index('id="checkin-count"')
    return " ".join(page[start : page.index("</p>", start)].split(">", 1)[1].split())


def test_check_in_and_undo_change_the_counts(client, seminar):
    anna = register(seminar, "anna@example.org", "Anna Andersson")
    register(seminar, "bo@example.org", "Bo Berg")
    assert counts_line(client, seminar) in ("Incheckade 0 av 2", "Checked in 0 of 2")

    response = client.post(checkin_url(seminar, anna), data={"action": "in", "q": "ann"})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(f"/checkin?q=ann#r{anna.id}")
    db.session.refresh(anna)
    assert anna.checked_in_at is not None
    assert counts_line(client, seminar) in ("Incheckade 1 av 2", "Checked in 1 of 2")

    client.post(checkin_url(seminar, anna), data={"action": "undo"})
    db.session.refresh(anna)
    assert anna.checked_in_at is None
    assert counts_line(client, seminar) in ("Incheckade 0 av 2", "Checked in 0 of 2")
    actions = db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)).all()
    assert actions == ["checked_in", "check_in_undone"]


def test_tapping_twice_records_one_check_in(client, seminar):
    anna = register(seminar, "anna@example.org", "Anna Andersson")
    client.post(checkin_url(seminar, anna), data={"action": "in"})
    first_time = db.session.scalar(select(AuditEvent.created_at))
    client.post(checkin_url(seminar, anna), data={"action": "in"})
    events = db.session.scalars(select(AuditEvent.action)).all()
    assert events == ["checked_in"]
    db.session.refresh(anna)
    assert anna.checked_in_at is not None and first_time is not None


def test_search_without_javascript_finds_by_name_email_or_organisation(client, seminar):
    register(seminar, "anna@kommun.se", "Anna Andersson")
    register(seminar, "bo@ofr.se", "Bo Berg")
    page = text(client.get(checkin_url(seminar), query_string={"q": "ANDERS"}))
    assert "Anna Andersson" in page and "Bo Berg" not in page
    assert 'value="ANDERS"' in page
    page = text(client.get(checkin_url(seminar), query_string={"q": "ofr.se"}))
    assert "Bo Berg" in page and "Anna Andersson" not in page


def test_waiting_person_is_shown_but_cannot_be_checked_in(client, seminar):
    for n in range(3):
        register(seminar, f"p{n}@example.org", f"Person {n}")
    waiting = register(seminar, "w@example.org", "Väntande Person")
    page = text(client.get(checkin_url(seminar), query_string={"q": "väntande"}))
    assert "Väntande Person" in page
    assert f'action="{checkin_url(seminar, waiting)}"' not in page
    client.post(checkin_url(seminar, waiting), data={"action": "in"})
    db.session.refresh(waiting)
    assert waiting.checked_in_at is None


def test_qr_code_page_shows_that_one_person_and_returns_there(client, seminar):
    anna = register(seminar, "anna@example.org", "Anna Andersson")
    register(seminar, "bo@example.org", "Bo Berg")
    page = text(client.get(checkin_url(seminar, anna)))
    assert "Anna Andersson" in page and "Bo Berg" not in page
    assert 'name="back" value="person"' in page
    response = client.post(checkin_url(seminar, anna), data={"action": "in", "back": "person"})
    assert response.headers["Location"].endswith(checkin_url(seminar, anna))


def test_check_in_page_is_phone_friendly_and_uses_no_inline_script(client, seminar):
    register(seminar, "anna@example.org", "Anna Andersson")
    page = text(client.get(checkin_url(seminar)))
    assert '<script src="/static/checkin.js" defer></script>' in page
    assert "<script>" not in page and "style=" not in page
    assert 'type="search"' in page and 'class="checkin-button"' in page
    assert client.get("/static/checkin.js").status_code == 200
