"""Parallel sessions: a seat per session, lines in arrival order, moves and wishes, and a
cancellation filling the freed session seat in the same transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from seminars import signup
from seminars.extensions import db
from seminars.models import (
    ChoiceState,
    OutboxMessage,
    Registration,
    SeminarSession,
    SessionChoice,
    SessionGroup,
    Status,
)
from seminars.signup import Outcome
from seminars.signup import sessions as session_seats
from tests.conftest import attendee, register


def add_workshops(seminar, capacities=(2, 2), waitlist=True, required=True) -> SessionGroup:
    group = SessionGroup(
        seminar_id=seminar.id,
        title="Eftermiddagens workshop 14.00–15.30",
        required=required,
        sessions=[
            SeminarSession(
                position=i,
                title=f"Workshop {'AB'[i]}",
                room=f"Sal {i + 1}",
                capacity=capacity,
                waitlist_enabled=waitlist,
            )
            for i, capacity in enumerate(capacities)
        ],
    )
    db.session.add(group)
    db.session.commit()
    return group


@pytest.fixture
def workshops(seminar_factory):
    seminar = seminar_factory(capacity=10)
    return seminar, add_workshops(seminar)


def choice_of(registration_id: int, *, wish: bool = False) -> SessionChoice | None:
    return db.session.scalar(
        select(SessionChoice).where(
            SessionChoice.registration_id == registration_id, SessionChoice.wish.is_(wish)
        )
    )


def sign(seminar, group, index: int, email: str, **flags):
    outcome = signup.sign_up(
        seminar.id, attendee(email), sessions={group.id: group.sessions[index].id}, **flags
    )
    db.session.commit()
    return outcome


def mails(kind: str) -> list[OutboxMessage]:
    return list(db.session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


def test_a_full_session_puts_the_next_in_its_line_in_arrival_order(workshops):
    seminar, group = workshops
    outcomes = [sign(seminar, group, 0, f"p{i}@example.org") for i in range(4)]
    assert [o.kind for o in outcomes] == [Outcome.SEATED] * 4
    assert [o.session_states[group.id] for o in outcomes] == [
        "seated",
        "seated",
        "waiting",
        "waiting",
    ]
    db.session.refresh(group.sessions[0])
    assert group.sessions[0].seats_taken == 2

    # The first seated cancels: the first in line gets the seat, and a mail.
    signup.cancel(db.session.get(Registration, outcomes[0].registration_id))
    db.session.commit()
    assert choice_of(outcomes[2].registration_id).state == ChoiceState.SEATED
    assert choice_of(outcomes[3].registration_id).state == ChoiceState.WAITING
    assert choice_of(outcomes[0].registration_id) is None
    assert [m.registration_id for m in mails("session_seat")] == [outcomes[2].registration_id]
    db.session.refresh(group.sessions[0])
    assert group.sessions[0].seats_taken == 2


def test_a_full_session_without_a_waiting_list_refuses_the_signup(seminar_factory):
    seminar = seminar_factory(capacity=10)
    group = add_workshops(seminar, capacities=(1, 1), waitlist=False)
    assert sign(seminar, group, 0, "a@example.org").kind == Outcome.SEATED
    refused = sign(seminar, group, 0, "b@example.org")
    assert refused.kind == Outcome.SESSION_FULL
    assert (
        db.session.scalar(select(Registration).where(Registration.email == "b@example.org")) is None
    )
    # An organiser may still put the person in its line.
    added = sign(seminar, group, 0, "c@example.org", by_organizer=True)
    assert added.session_states[group.id] == "waiting"


def test_a_session_of_another_seminar_is_refused(workshops, seminar_factory):
    seminar, group = workshops
    other = add_workshops(seminar_factory())
    outcome = signup.sign_up(seminar.id, attendee(), sessions={group.id: other.sessions[0].id})
    assert outcome.kind == Outcome.CHANGED


def test_the_seminar_waiting_list_holds_no_session_seat_until_promoted(seminar_factory):
    seminar = seminar_factory(capacity=1)
    group = add_workshops(seminar)
    first = sign(seminar, group, 0, "a@example.org")
    second = sign(seminar, group, 0, "b@example.org")
    assert second.kind == Outcome.WAITING
    assert second.session_states[group.id] == "waiting"
    db.session.refresh(group.sessions[0])
    assert group.sessions[0].seats_taken == 1

    signup.cancel(db.session.get(Registration, first.registration_id))
    db.session.commit()
    assert db.session.get(Registration, second.registration_id).status == Status.CONFIRMED
    assert choice_of(second.registration_id).state == ChoiceState.SEATED
    # Their "promoted" mail lists the session; no second mail about it.
    assert mails("session_seat") == []


def test_change_to_a_free_session_frees_the_seat_for_the_next_in_line(workshops):
    seminar, group = workshops
    a, b, waiting = (sign(seminar, group, 0, f"p{i}@example.org") for i in range(3))
    moved = db.session.get(Registration, a.registration_id)
    state = session_seats.change_choice(moved, group.id, group.sessions[1].id)
    db.session.commit()
    assert state == ChoiceState.SEATED
    assert choice_of(a.registration_id).session_id == group.sessions[1].id
    assert choice_of(waiting.registration_id).state == ChoiceState.SEATED
    counts = [
        db.session.get(SeminarSession, s.id, populate_existing=True).seats_taken
        for s in group.sessions
    ]
    assert counts == [2, 1]


def test_holding_a_seat_one_waits_for_a_full_session_and_is_moved_when_it_frees(workshops):
    seminar, group = workshops
    in_b = [sign(seminar, group, 1, f"b{i}@example.org") for i in range(2)]
    holder = sign(seminar, group, 0, "holder@example.org")
    registration = db.session.get(Registration, holder.registration_id)
    with pytest.raises(session_seats.SessionFull):
        session_seats.change_choice(registration, group.id, group.sessions[1].id)
    db.session.rollback()
    session_seats.wish_for(registration, group.id, group.sessions[1].id)
    db.session.commit()
    assert choice_of(holder.registration_id, wish=True).session_id == group.sessions[1].id

    signup.cancel(db.session.get(Registration, in_b[0].registration_id))
    db.session.commit()
    held = choice_of(holder.registration_id)
    assert (held.session_id, held.state) == (group.sessions[1].id, ChoiceState.SEATED)
    assert choice_of(holder.registration_id, wish=True) is None
    [mail] = mails("session_seat")
    assert mail.registration_id == holder.registration_id
    assert mail.context == {
        "session": "Eftermiddagens workshop 14.00–15.30: Workshop B",
        "from_session": "Eftermiddagens workshop 14.00–15.30: Workshop A",
    }
    counts = [
        db.session.get(SeminarSession, s.id, populate_existing=True).seats_taken
        for s in group.sessions
    ]
    assert counts == [0, 2]


def test_never_two_seats_in_one_group(workshops):
    seminar, group = workshops
    registration = register(seminar, attendee())
    base = {"registration_id": registration.id, "group_id": group.id, "state": ChoiceState.SEATED}
    db.session.add(SessionChoice(session_id=group.sessions[0].id, **base))
    db.session.flush()
    db.session.add(SessionChoice(session_id=group.sessions[1].id, **base))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()
    # A wish is a place in line, never a seat.
    db.session.add(SessionChoice(session_id=group.sessions[1].id, wish=True, **base))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_leaving_an_optional_group_frees_the_seat(seminar_factory):
    seminar = seminar_factory()
    group = add_workshops(seminar, capacities=(1, None), required=False)
    first = sign(seminar, group, 0, "a@example.org")
    second = sign(seminar, group, 0, "b@example.org")
    session_seats.leave_group(db.session.get(Registration, first.registration_id), group.id)
    db.session.commit()
    assert choice_of(first.registration_id) is None
    assert choice_of(second.registration_id).state == ChoiceState.SEATED
    # An unlimited session is never full.
    for i in range(5):
        assert sign(seminar, group, 1, f"u{i}@example.org").session_states[group.id] == "seated"
