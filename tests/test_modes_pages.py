"""A hybrid seminar's public page, its signup form with a `mode` field, and switching mode
from the attendee's page."""

from sqlalchemy import select

from seminars.extensions import db
from seminars.models import Registration, SeminarMode, Status
from tests.conftest import attendee, register
from tests.test_public import SIGNUP, english, manage_path, post_signup


def hybrid(seminar_factory, **fields):
    values = {"mode": SeminarMode.HYBRID, "capacity": 1, "online_capacity": None}
    return seminar_factory(**{**values, **fields})


def test_page_and_list_show_seats_per_mode(client, seminar_factory):
    seminar = hybrid(seminar_factory, capacity=12)
    page = client.get(f"/seminars/{seminar.slug}").text
    assert "12 platser kvar på plats · digitalt: obegränsat" in page
    assert "12 platser kvar på plats · digitalt: obegränsat" in client.get("/").text


def test_seats_per_mode_in_english(client, seminar_factory):
    seminar = hybrid(seminar_factory, capacity=12, online_capacity=300)
    page = english(client).get(f"/seminars/{seminar.slug}").text
    assert "12 seats left on site · online: 300 seats left" in page


def test_form_marks_the_full_mode_and_signs_up_for_the_mode_asked(client, seminar_factory):
    seminar = hybrid(seminar_factory)
    register(seminar, attendee("first@example.org"), mode="onsite")
    db.session.commit()
    page = client.get(f"/seminars/{seminar.slug}").text
    assert "Fullbokat på plats · digitalt: obegränsat" in page
    assert "På plats – fullbokat, väntelista" in page
    assert 'name="mode"' in page and 'value="online"' in page
    manage_path(post_signup(client, seminar, mode="online"))
    registration = db.session.scalar(select(Registration).order_by(Registration.id.desc()))
    assert (registration.mode, registration.status) == ("online", Status.CONFIRMED)


def test_form_without_a_mode_is_refused_next_to_the_field(client, seminar_factory):
    seminar = hybrid(seminar_factory)
    response = english(client).post(f"/seminars/{seminar.slug}/register", data=SIGNUP)
    assert response.status_code == 422
    assert "Choose on site or online." in response.text
    assert 'value="Åsa Plesner"' in response.text
    assert db.session.scalar(select(Registration)) is None


def test_full_mode_without_waiting_list_cannot_be_chosen(client, seminar_factory):
    seminar = hybrid(seminar_factory, waitlist_enabled=False)
    register(seminar, attendee("first@example.org"), mode="onsite")
    db.session.commit()
    page = english(client).get(f"/seminars/{seminar.slug}").text
    assert "On site – fully booked</label>" in page
    assert 'value="onsite" disabled' in page or 'disabled id="mode-0"' in page
    response = post_signup(client, seminar, mode="onsite")
    assert response.status_code == 409
    assert "This way of taking part is fully booked" in response.text


def test_attendee_switches_to_online_and_their_seat_goes_to_the_next(client, seminar_factory):
    seminar = hybrid(seminar_factory)
    path = manage_path(post_signup(english(client), seminar, mode="onsite"))
    waiting = register(seminar, attendee("next@example.org"), mode="onsite")
    db.session.commit()
    page = client.get(path).text
    assert "You take part on site." in page and "Take part online instead" in page
    response = client.post(f"{path}/mode", data={"mode": "online"})
    assert response.status_code == 303
    page = client.get(response.headers["Location"]).text
    assert "You take part online." in page
    assert "you have changed how you take part" in page
    db.session.expire_all()
    assert waiting.status == Status.CONFIRMED


def test_attendee_waits_for_a_full_mode_keeping_their_seat(client, seminar_factory):
    seminar = hybrid(seminar_factory, capacity=5, online_capacity=1)
    register(seminar, attendee("online@example.org"), mode="online")
    db.session.commit()
    path = manage_path(post_signup(english(client), seminar, mode="onsite"))
    page = client.get(path).text
    assert "Online is fully booked. You may wait for a seat there" in page
    client.post(f"{path}/mode", data={"mode": "online"})
    page = client.get(path).text
    assert "You are in line for a seat online, and keep your seat on site" in page
    assert "Stay on site, leave the line" in page


def test_embedded_signup_asks_for_the_mode_too(client, seminar_factory):
    seminar = hybrid(seminar_factory)
    register(seminar, attendee("first@example.org"), mode="onsite")
    db.session.commit()
    page = client.get(f"/embed/seminars/{seminar.slug}").text
    assert 'name="mode"' in page and "På plats – fullbokat, väntelista" in page
