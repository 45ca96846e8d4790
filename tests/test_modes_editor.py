"""The organiser sets a seminar's modes: on site, online or hybrid with online seats."""

import pytest
from sqlalchemy import select

from seminars.extensions import db
from seminars.models import OutboxMessage, SeminarMode, Status
from tests.conftest import attendee, log_in, register
from tests.test_editor import _error_for, edit_data


@pytest.fixture
def organizer(organizer_factory, organization_factory):
    return organizer_factory(organization_factory("Malmö universitet"))


@pytest.fixture
def english_client(client, organizer):
    client.set_cookie("lang", "en")
    log_in(client, organizer)
    return client


def hybrid(seminar_factory, organizer, **fields):
    values = {"mode": SeminarMode.HYBRID, "capacity": 2, "online_capacity": 2}
    return seminar_factory(organization=organizer.organizations[0], **{**values, **fields})


def test_editor_makes_a_seminar_hybrid_with_link_and_online_seats(
    english_client, organizer, seminar_factory
):
    seminar = seminar_factory(organization=organizer.organizations[0])
    page = english_client.get(f"/organizer/seminars/{seminar.id}/edit").text
    assert "How people take part" in page and "Online seats" in page
    response = english_client.post(
        f"/organizer/seminars/{seminar.id}/edit",
        data=edit_data(
            seminar,
            mode="hybrid",
            online_capacity="300",
            online_link="https://zoom.example.org/j/123",
            online_details_in="reminder",
        ),
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert (seminar.mode, seminar.online_capacity, seminar.online_details_in) == (
        "hybrid",
        300,
        "reminder",
    )
    assert seminar.online_link == "https://zoom.example.org/j/123"


def test_joining_link_must_be_a_web_address(english_client, organizer, seminar_factory):
    seminar = seminar_factory(organization=organizer.organizations[0])
    response = english_client.post(
        f"/organizer/seminars/{seminar.id}/edit",
        data=edit_data(seminar, mode="online", online_link="zoom 123"),
    )
    assert response.status_code == 422
    assert "starting with https://" in _error_for(response.text, "online_link")
    assert 'value="zoom 123"' in response.text


def test_online_seats_below_those_taken_are_refused(english_client, organizer, seminar_factory):
    seminar = hybrid(seminar_factory, organizer, online_capacity=5)
    for n in range(3):
        register(seminar, attendee(f"p{n}@example.org"), mode="online")
    db.session.commit()
    response = english_client.post(
        f"/organizer/seminars/{seminar.id}/edit",
        data=edit_data(seminar, online_capacity="2"),
    )
    assert response.status_code == 422
    assert "3 people already have an online seat" in _error_for(response.text, "online_capacity")
    db.session.expire_all()
    assert seminar.online_capacity == 5


def test_raising_online_seats_promotes_from_the_online_waiting_list_only(
    english_client, organizer, seminar_factory
):
    seminar = hybrid(seminar_factory, organizer, capacity=1, online_capacity=1)
    online = [register(seminar, attendee(f"o{n}@example.org"), mode="online") for n in range(3)]
    on_site = [register(seminar, attendee(f"s{n}@example.org"), mode="onsite") for n in range(2)]
    db.session.commit()
    response = english_client.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, online_capacity="2")
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert [p.status for p in online] == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITING]
    assert [p.status for p in on_site] == [Status.CONFIRMED, Status.WAITING]
    promoted = db.session.scalars(
        select(OutboxMessage.registration_id).where(OutboxMessage.kind == "promoted")
    ).all()
    assert promoted == [online[1].id]


def test_removing_the_online_limit_seats_everyone_waiting_online(
    english_client, organizer, seminar_factory
):
    seminar = hybrid(seminar_factory, organizer, online_capacity=1)
    online = [register(seminar, attendee(f"o{n}@example.org"), mode="online") for n in range(3)]
    db.session.commit()
    response = english_client.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, online_capacity="")
    )
    assert response.status_code == 303
    db.session.expire_all()
    assert {p.status for p in online} == {Status.CONFIRMED}
    assert seminar.online_capacity is None and seminar.online_seats_taken == 3


def test_hybrid_seminar_with_online_attendees_stays_hybrid(
    english_client, organizer, seminar_factory
):
    seminar = hybrid(seminar_factory, organizer)
    register(seminar, attendee("o@example.org"), mode="online")
    db.session.commit()
    response = english_client.post(
        f"/organizer/seminars/{seminar.id}/edit", data=edit_data(seminar, mode="onsite")
    )
    assert response.status_code == 422
    assert "1 person is registered to take part online" in _error_for(response.text, "mode")
    db.session.expire_all()
    assert seminar.mode == "hybrid"
