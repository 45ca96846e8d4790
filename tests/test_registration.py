"""Domain rules of signing up: capacity, the waiting list, duplicates, windows."""

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from seminars import signup
from seminars.extensions import db
from seminars.models import OutboxMessage, Registration, Seminar, SeminarStatus, Status
from tests.conftest import attendee
from tests.conftest import register as add


def register(seminar, email, **fields):
    registration = add(seminar, attendee(email, **fields))
    db.session.commit()
    return registration


def outbox_kinds(registration):
    return sorted(
        db.session.scalars(
            select(OutboxMessage.kind).where(OutboxMessage.registration_id == registration.id)
        )
    )


def test_signups_beyond_capacity_join_waiting_list_in_arrival_order(seminar_factory):
    seminar = seminar_factory(capacity=2)
    people = [register(seminar, f"p{i}@example.org") for i in range(5)]
    assert [p.status for p in people] == [Status.CONFIRMED] * 2 + [Status.WAITING] * 3
    assert seminar.seats_taken == 2
    assert [signup.waiting_position(p) for p in people[2:]] == [(1, 3), (2, 3), (3, 3)]


def test_confirmation_and_waiting_mail_are_queued_with_the_signup(seminar_factory):
    seminar = seminar_factory(capacity=1)
    first = register(seminar, "a@example.org")
    second = register(seminar, "b@example.org")
    assert outbox_kinds(first) == ["confirmed"]
    assert outbox_kinds(second) == ["waiting"]


def test_full_seminar_without_waiting_list_refuses(seminar_factory):
    seminar = seminar_factory(capacity=1, waitlist_enabled=False)
    register(seminar, "a@example.org")
    refused = signup.sign_up(seminar.id, attendee("b@example.org"))
    assert refused.kind == signup.Outcome.FULL
    db.session.rollback()
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_cancel_promotes_first_waiting(seminar_factory):
    seminar = seminar_factory(capacity=1)
    confirmed = register(seminar, "a@example.org")
    first_in_line = register(seminar, "b@example.org")
    second_in_line = register(seminar, "c@example.org")
    promoted = signup.cancel(confirmed)
    db.session.commit()
    assert promoted == [first_in_line]
    assert (confirmed.status, first_in_line.status, second_in_line.status) == (
        Status.CANCELLED,
        Status.CONFIRMED,
        Status.WAITING,
    )
    assert seminar.seats_taken == 1
    assert "promoted" in outbox_kinds(first_in_line)
    assert "cancelled" in outbox_kinds(confirmed)
    assert signup.waiting_position(second_in_line) == (1, 1)


def test_cancelling_a_waiting_registration_frees_no_seat(seminar_factory):
    seminar = seminar_factory(capacity=1)
    register(seminar, "a@example.org")
    waiting = register(seminar, "b@example.org")
    assert signup.cancel(waiting) == []
    db.session.commit()
    assert seminar.seats_taken == 1


def test_cancelling_twice_changes_nothing(seminar_factory):
    seminar = seminar_factory(capacity=1)
    confirmed = register(seminar, "a@example.org")
    register(seminar, "b@example.org")
    signup.cancel(confirmed)
    assert signup.cancel(confirmed) == []
    db.session.commit()
    assert seminar.seats_taken == 1


def test_same_email_in_other_case_is_already_registered_and_gets_link_again(seminar_factory):
    seminar = seminar_factory()
    first = register(seminar, "Anna@Example.org")
    again = signup.sign_up(seminar.id, attendee("  anna@EXAMPLE.org "))
    assert again.kind == signup.Outcome.ALREADY_REGISTERED
    db.session.commit()
    assert again.registration_id == first.id
    assert db.session.scalar(select(func.count(Registration.id))) == 1
    assert outbox_kinds(first) == ["confirmed", "manage_link"]


def test_signing_up_again_after_cancelling_is_allowed(seminar_factory):
    seminar = seminar_factory()
    first = register(seminar, "anna@example.org")
    signup.cancel(first)
    db.session.commit()
    again = register(seminar, "anna@example.org")
    assert again.id != first.id and again.status == Status.CONFIRMED


@pytest.mark.parametrize(
    "fields",
    [
        {"registration_opens_at": datetime.now(UTC) + timedelta(days=1)},
        {"registration_closes_at": datetime.now(UTC) - timedelta(minutes=1)},
        {"status": SeminarStatus.CANCELLED},
        {"status": SeminarStatus.DRAFT},
        {"starts_at": datetime.now(UTC) - timedelta(hours=1)},
    ],
    ids=["not-open-yet", "closed", "cancelled", "draft", "started"],
)
def test_no_signup_outside_the_registration_window(seminar_factory, fields):
    seminar = seminar_factory(**fields)
    assert signup.sign_up(seminar.id, attendee()).kind == signup.Outcome.CLOSED
    db.session.commit()  # even a caller that commits after a refusal takes no seat
    assert seats_taken(seminar) == 0


def seats_taken(seminar) -> int:
    table = Seminar.__table__
    return db.session.scalar(select(table.c.seats_taken).where(table.c.id == seminar.id))


@pytest.mark.parametrize("public", [True, False], ids=["public", "organiser"])
def test_a_refused_signup_takes_no_seat(seminar_factory, public):
    # Whatever refuses a signup, the seat count stays as it was, whoever signs up and
    # whatever the caller does next.
    seminar = seminar_factory(capacity=5)
    register(seminar, "anna@example.org")
    seminar_id, version = seminar.id, seminar.content_version
    refusals = [
        (signup.Outcome.ALREADY_REGISTERED, attendee("ANNA@example.org"), version),
        (signup.Outcome.CHANGED, attendee("bo@example.org"), version + 1),
    ]
    for refusal, person, seen in refusals if public else refusals[:1]:
        if public:
            db.session.commit()  # a public signup writes on a connection of its own
            with db.engine.begin() as connection:
                outcome = signup.sign_up(
                    seminar_id, person, connection=connection, content_version=seen
                )
        else:
            outcome = signup.sign_up(seminar_id, person, by_organizer=True)
        assert outcome.kind == refusal
        db.session.commit()
        assert seats_taken(seminar) == 1
    assert db.session.scalar(select(func.count(Registration.id))) == 1


def test_manage_token_is_long_random_and_stored_only_hashed(seminar_factory):
    seminar = seminar_factory()
    one = register(seminar, "a@example.org")
    two = register(seminar, "b@example.org")
    token = signup.manage_token(one)
    assert len(token) >= 43  # 256 bits, base64url
    assert token != signup.manage_token(two)
    assert token not in (one.token_hash, one.token_salt)
    assert signup.registration_for_token(token) is one
    assert signup.registration_for_token(token[:-1] + "x") is None


def test_delete_own_data_erases_person_and_gives_seat_to_next(seminar_factory):
    seminar = seminar_factory(capacity=1)
    leaving = register(seminar, "a@example.org", name="Åsa Plesner")
    waiting = register(seminar, "b@example.org")
    signup.delete_own_data(leaving)
    db.session.commit()
    assert (leaving.name, leaving.email, leaving.organization, leaving.answers) == ("", "", "", {})
    assert leaving.status == Status.CANCELLED
    assert waiting.status == Status.CONFIRMED
    pending_to_leaver = db.session.scalar(
        select(func.count(OutboxMessage.id)).where(OutboxMessage.to_email == "a@example.org")
    )
    assert pending_to_leaver == 0


def test_raising_capacity_promotes_in_order(seminar_factory):
    seminar = seminar_factory(capacity=1)
    register(seminar, "a@example.org")
    b = register(seminar, "b@example.org")
    c = register(seminar, "c@example.org")
    d = register(seminar, "d@example.org")
    seminar.capacity = 3
    promoted = signup.promote_from_waiting_list(seminar)
    db.session.commit()
    assert promoted == [b, c]
    assert d.status == Status.WAITING


def test_the_registration_returned_is_the_row_stored(seminar_factory):
    # sign_up() inserts with plain SQL; the registration read in the session afterwards
    # must hold exactly what a fresh read of the row gives.
    seminar_id = seminar_factory(capacity=1).id
    returned = add(seminar_id, attendee("Anna@Example.org", organization="Vision"))
    db.session.commit()
    fields = [c.key for c in Registration.__table__.c]
    held = {name: getattr(returned, name) for name in fields}
    db.session.expunge_all()
    stored = db.session.get(Registration, held["id"])
    assert {name: getattr(stored, name) for name in fields} == held
    assert stored.email_key == "anna@example.org" and stored.status == Status.CONFIRMED
    assert db.session.get(Seminar, seminar_id).seats_taken == 1


def test_a_loaded_seminar_keeps_its_seat_count_in_step(seminar_factory):
    seminar = seminar_factory(capacity=1)
    add(seminar, attendee("a@example.org"))
    add(seminar, attendee("b@example.org"))
    assert seminar.seats_taken == 1 and seminar.seats_left == 0


def test_a_change_not_yet_flushed_counts_for_the_signup(seminar_factory):
    # sign_up() runs plain SQL in the session's transaction: what the caller changed in
    # the session must be written first, as any session query would.
    seminar = seminar_factory(capacity=1)
    register(seminar, "a@example.org")
    seminar_id = seminar.id  # loaded again after the commit
    seminar.capacity = 2  # an organiser raises the capacity and adds someone at once
    added = add(seminar_id, attendee("b@example.org"), by_organizer=True)
    assert added.status == Status.CONFIRMED


def test_a_waiting_signup_learns_its_place_in_line(seminar_factory):
    seminar = seminar_factory(capacity=1)
    outcomes = [signup.sign_up(seminar.id, attendee(f"p{n}@example.org")) for n in range(3)]
    db.session.commit()
    assert [o.kind for o in outcomes] == [signup.Outcome.SEATED] + [signup.Outcome.WAITING] * 2
    assert [o.position for o in outcomes] == [None, 1, 2]
    last = db.session.get(Registration, outcomes[-1].registration_id)
    assert signup.waiting_position(last) == (2, 2)
    # A caller whose answer shows no place does not have everyone in line counted.
    uncounted = signup.sign_up(seminar.id, attendee("p9@example.org"), place_in_line=False)
    assert (uncounted.kind, uncounted.position) == (signup.Outcome.WAITING, None)


def test_a_new_registration_comes_with_the_token_of_its_manage_link(seminar_factory):
    seminar = seminar_factory()
    outcome = signup.sign_up(seminar.id, attendee())
    db.session.commit()
    assert signup.registration_for_token(outcome.token).id == outcome.registration_id


def test_nothing_is_kept_until_the_caller_commits(seminar_factory):
    seminar = seminar_factory(capacity=5)
    seminar_id = seminar.id
    assert signup.sign_up(seminar_id, attendee()).registered
    db.session.rollback()
    assert seats_taken(seminar) == 0
    assert db.session.scalar(select(func.count(Registration.id))) == 0
    assert db.session.scalar(select(func.count(OutboxMessage.id))) == 0
    # On a connection of its own, likewise: the caller's transaction decides.
    db.session.commit()  # (on SQLite the session's transaction holds the write lock)
    with db.engine.connect() as connection:
        assert signup.sign_up(seminar_id, attendee(), connection=connection).registered
        connection.rollback()
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_an_organiser_adding_someone_registered_mails_nobody(seminar_factory):
    seminar = seminar_factory()
    first = register(seminar, "anna@example.org")
    outcome = signup.sign_up(seminar.id, attendee("ANNA@example.org"), by_organizer=True)
    db.session.commit()
    assert (outcome.kind, outcome.registration_id) == (
        signup.Outcome.ALREADY_REGISTERED,
        first.id,
    )
    assert outbox_kinds(first) == ["confirmed"]
