"""Participation modes: a hybrid seminar's on-site and online seats, each with its own
waiting list, and switching between them."""

from sqlalchemy import select

from seminars import signup
from seminars.extensions import db
from seminars.models import OutboxMessage, SeminarMode, Status
from tests.conftest import attendee
from tests.conftest import register as add


def hybrid(seminar_factory, **fields):
    values = {"mode": SeminarMode.HYBRID, "capacity": 2, "online_capacity": 2}
    return seminar_factory(**{**values, **fields})


def register(seminar, email, mode):
    registration = add(seminar, attendee(email), mode=mode)
    db.session.commit()
    return registration


def kinds(registration):
    return sorted(
        db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.registration_id == registration.id)
        )
    )


def test_each_mode_fills_its_own_seats_and_its_own_waiting_list(seminar_factory):
    seminar = hybrid(seminar_factory)
    on_site = [register(seminar, f"s{i}@example.org", "onsite") for i in range(3)]
    online = [register(seminar, f"o{i}@example.org", "online") for i in range(3)]
    assert [r.status for r in on_site] == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITING]
    assert [r.status for r in online] == [Status.CONFIRMED, Status.CONFIRMED, Status.WAITING]
    assert (seminar.seats_taken, seminar.online_seats_taken) == (2, 2)
    assert signup.waiting_position(on_site[2]) == (1, 1)
    assert signup.waiting_position(online[2]) == (1, 1)


def test_unlimited_online_never_fills(seminar_factory):
    seminar = hybrid(seminar_factory, capacity=1, online_capacity=None)
    people = [register(seminar, f"o{i}@example.org", "online") for i in range(25)]
    assert {r.status for r in people} == {Status.CONFIRMED}
    assert register(seminar, "room@example.org", "onsite").status == Status.CONFIRMED
    assert register(seminar, "late@example.org", "onsite").status == Status.WAITING


def test_full_mode_without_waiting_list_refuses_while_the_other_takes(seminar_factory):
    seminar = hybrid(seminar_factory, capacity=1, waitlist_enabled=False)
    register(seminar, "a@example.org", "onsite")
    refused = signup.sign_up(seminar.id, attendee("b@example.org"), mode="onsite")
    assert refused.kind == signup.Outcome.FULL
    db.session.rollback()
    assert register(seminar, "b@example.org", "online").status == Status.CONFIRMED


def test_cancel_promotes_first_waiting_for_that_mode_only(seminar_factory):
    seminar = hybrid(seminar_factory, capacity=1, online_capacity=1)
    seated = register(seminar, "a@example.org", "onsite")
    register(seminar, "b@example.org", "online")
    online_waiting = register(seminar, "c@example.org", "online")
    on_site_waiting = register(seminar, "d@example.org", "onsite")
    promoted = signup.cancel(seated)
    db.session.commit()
    assert promoted == [on_site_waiting]
    assert on_site_waiting.status == Status.CONFIRMED
    assert online_waiting.status == Status.WAITING
    assert "promoted" in kinds(on_site_waiting)
    assert (seminar.seats_taken, seminar.online_seats_taken) == (1, 1)


def test_switch_to_a_mode_with_room_keeps_the_registration_and_frees_the_old_seat(
    seminar_factory,
):
    seminar = hybrid(seminar_factory, capacity=1, online_capacity=None)
    seated = register(seminar, "a@example.org", "onsite")
    waiting = register(seminar, "b@example.org", "onsite")
    assert signup.switch_mode(seated, "online") == signup.Switch.SWITCHED
    db.session.commit()
    assert (seated.status, seated.mode) == (Status.CONFIRMED, "online")
    assert waiting.status == Status.CONFIRMED
    assert (seminar.seats_taken, seminar.online_seats_taken) == (1, 1)
    assert "mode_changed" in kinds(seated)
    assert "promoted" in kinds(waiting)


def test_switch_to_a_full_mode_waits_keeping_the_seat_and_moves_when_one_frees(
    seminar_factory,
):
    seminar = hybrid(seminar_factory, capacity=1, online_capacity=1)
    online = register(seminar, "a@example.org", "online")
    on_site = register(seminar, "b@example.org", "onsite")
    on_site_waiting = register(seminar, "c@example.org", "onsite")
    assert signup.switch_mode(on_site, "online") == signup.Switch.WAITING
    db.session.commit()
    assert (on_site.status, on_site.mode, on_site.wanted_mode) == (
        Status.CONFIRMED,
        "onsite",
        "online",
    )
    signup.cancel(online)
    db.session.commit()
    # The online seat went to the person waiting to switch; their room seat to the next.
    assert (on_site.mode, on_site.wanted_mode) == ("online", None)
    assert on_site_waiting.status == Status.CONFIRMED
    assert (seminar.seats_taken, seminar.online_seats_taken) == (1, 1)
    assert "mode_changed" in kinds(on_site)


def test_first_in_line_for_a_mode_gets_the_seat_whether_signup_or_switch(seminar_factory):
    seminar = hybrid(seminar_factory, capacity=1, online_capacity=1)
    online = register(seminar, "a@example.org", "online")
    on_site = register(seminar, "b@example.org", "onsite")
    early_waiting = register(seminar, "c@example.org", "online")
    signup.switch_mode(on_site, "online")
    db.session.commit()
    signup.cancel(online)
    db.session.commit()
    assert early_waiting.status == Status.CONFIRMED
    assert (on_site.mode, on_site.wanted_mode) == ("onsite", "online")


def test_withdrawing_a_wish_to_switch_keeps_the_seat(seminar_factory):
    seminar = hybrid(seminar_factory, capacity=1, online_capacity=1)
    register(seminar, "a@example.org", "online")
    on_site = register(seminar, "b@example.org", "onsite")
    signup.switch_mode(on_site, "online")
    assert signup.switch_mode(on_site, "onsite") == signup.Switch.STAYED
    db.session.commit()
    assert (on_site.mode, on_site.wanted_mode, on_site.status) == (
        "onsite",
        None,
        Status.CONFIRMED,
    )


def test_waiting_person_switches_into_a_free_seat_or_keeps_their_place(seminar_factory):
    seminar = hybrid(seminar_factory, capacity=1, online_capacity=1)
    register(seminar, "a@example.org", "onsite")
    register(seminar, "b@example.org", "online")
    waiting = register(seminar, "c@example.org", "onsite")
    assert signup.switch_mode(waiting, "online") == signup.Switch.FULL
    db.session.commit()
    assert (waiting.status, waiting.mode) == (Status.WAITING, "onsite")
    seminar.online_capacity = 2
    db.session.commit()
    assert signup.switch_mode(waiting, "online") == signup.Switch.SWITCHED
    db.session.commit()
    assert (waiting.status, waiting.mode) == (Status.CONFIRMED, "online")
    assert seminar.online_seats_taken == 2


def test_plain_seminar_ignores_the_mode_asked(seminar_factory):
    seminar = seminar_factory(capacity=1, mode=SeminarMode.ONLINE)
    registration = register(seminar, "a@example.org", "onsite")
    assert registration.mode == "online" and registration.online
    assert seminar.seats_taken == 1 and seminar.online_seats_taken == 0
    assert signup.switch_mode(registration, "onsite") == signup.Switch.UNCHANGED


def test_demo_malmo_seminar_is_hybrid_with_its_room_full(app):
    from seminars import demo
    from seminars.models import Seminar

    demo.load()
    db.session.commit()
    seminar = db.session.scalar(
        select(Seminar).where(Seminar.slug == "styrning-och-ledarskap-i-offentlig-sektor")
    )
    assert (seminar.mode, seminar.capacity, seminar.online_capacity) == ("hybrid", 80, 300)
    assert (seminar.seats_taken, seminar.online_seats_taken) == (80, demo.ONLINE_PEOPLE)
    waiting = [r for r in seminar_registrations(seminar) if r.status == Status.WAITING]
    assert len(waiting) == demo.ON_SITE_PEOPLE - 80 and {r.mode for r in waiting} == {"onsite"}
    assert not any("plats" in question.text for question in seminar.questions)


def seminar_registrations(seminar):
    from seminars.models import Registration

    return db.session.scalars(
        select(Registration).where(Registration.seminar_id == seminar.id)
    ).all()
